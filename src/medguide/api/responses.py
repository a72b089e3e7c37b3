"""JSON responses written straight from the service's dicts.

Routes still declare their `response_model` (the OpenAPI document, and the schemathesis test
that checks every response against it), but return this response, so FastAPI does not
validate and re-serialize an already well-formed result on every request: that was half the
time of a small request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from fastapi.responses import JSONResponse


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


class FastJSON(JSONResponse):
    def render(self, content: Any) -> bytes:
        return json.dumps(
            content, ensure_ascii=False, allow_nan=False, separators=(",", ":"), default=_default
        ).encode("utf-8")
