"""The assessment's response as typed models: its JSON Schema ships beside the request's.

`Assessment.as_dict()` is validated against `AssessmentResponse` in the tests (every golden
file and the Hypothesis runs), so the exported schema is the shape programs really get.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from medguide.codes import Severity, TriageLevel


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FindingOut(_Out):
    code: str
    severity: Severity
    drugs: list[str]
    message: str
    details: dict[str, Any]
    advice: list[str]
    sources: list[str]


class TriageOut(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    level: TriageLevel
    reasons: list[str] = []
    suspected_state: str | None = None
    not_understood: list[str] = []
    symptoms: list[str] = []
    red_flags: list[str] = []
    absent: list[str] = []


class NotCheckedOut(_Out):
    check: str
    reason: str
    drugs: list[str]


class AssessmentResponse(_Out):
    """What `medguide assess --json` and `POST /api/v1/assess` return."""

    findings: list[FindingOut]
    triage: TriageOut | None
    advice: list[str]
    computed: dict[str, Any]
    not_checked: list[NotCheckedOut]
    answer: dict[str, Any] | None = None
    knowledge_version: str
