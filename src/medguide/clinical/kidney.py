"""(Stub, to be filled by its issue.)"""

from __future__ import annotations

from medguide.clinical.context import Context
from medguide.clinical.findings import CheckResult


def check_kidney(ctx: Context) -> CheckResult:
    return CheckResult()
