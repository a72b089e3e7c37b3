"""One engine behind every door: one function per job, pure over (catalog, query, now).

The command line, the HTTP API, the web pages, the journal and the batch runs all call these
functions and only parse their own input shape and render the result. No door makes a
clinical decision of its own.

| job | function | query | result |
|---|---|---|---|
| regimen check | `assess` | `AssessRequest` | `Assessment` |
| how urgent is it | `triage` | `TriageQuery` | `Assessment` |
| someone took too much | `overdose` | `OverdoseQuery` | `Assessment` |
| a forgotten dose | `missed_dose` | `MissedDoseQuery` | `MissedDoseAdvice` |
| plans | `plan_titrate`, `plan_taper` | `PlanQuery` | `PlanResult` |
| the level over time | `pk` | `PkQuery` | `PkResult` |
| questions | `answer` | text | `Answer` |
| the drug guide | `guide` | drug name | `Guide` |

Every function raises `ServiceError` (with the field at fault where there is one) for input
it cannot act on; nothing is guessed.
"""

from __future__ import annotations

from medguide.service.errors import ServiceError
from medguide.service.jobs import (
    answer,
    assess,
    covered_drug,
    guide,
    missed_dose,
    overdose,
    pk,
    plan_taper,
    plan_titrate,
    triage,
)
from medguide.service.queries import (
    MissedDoseQuery,
    OverdoseQuery,
    PkQuery,
    PkResult,
    PlanQuery,
    PlanResult,
    TriageQuery,
)

__all__ = [
    "MissedDoseQuery",
    "OverdoseQuery",
    "PkQuery",
    "PkResult",
    "PlanQuery",
    "PlanResult",
    "ServiceError",
    "TriageQuery",
    "answer",
    "assess",
    "covered_drug",
    "guide",
    "missed_dose",
    "overdose",
    "pk",
    "plan_taper",
    "plan_titrate",
    "triage",
]
