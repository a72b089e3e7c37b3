"""Shapes of the API's bodies that are not the service's own query models.

Responses are described loosely where the service's result is open (`details`, `computed`
are for programs and grow with new checks) and exactly where programs key on them (codes,
severities, levels).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from medguide.service.interactions import MAX_NAMES
from medguide.service.queries import MissedDoseQuery

Severity = Literal["info", "low", "moderate", "high", "critical"]


class Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Problem(Open):
    """An RFC 9457 problem document."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    field: str | None = None


class FindingOut(Open):
    code: str
    severity: Severity
    drugs: list[str]
    message: str
    details: dict[str, Any]
    advice: list[str]
    sources: list[str]


class NotCheckedOut(Open):
    check: str
    reason: str
    drugs: list[str]


class AssessmentOut(Open):
    findings: list[FindingOut]
    triage: dict[str, Any] | None
    advice: list[str]
    computed: dict[str, Any]
    not_checked: list[NotCheckedOut]
    knowledge_version: str


class FhirAssessmentOut(AssessmentOut):
    detected_issues: list[dict[str, Any]]


class DrugOut(Open):
    id: str
    name: str
    kind: str
    depth: str
    brands: list[str]


class GuideItemOut(Open):
    text: str
    sources: list[str]
    judgment: bool


class GuideSectionOut(Open):
    id: str
    title: str
    items: list[GuideItemOut]


class GuideOut(Open):
    drug: str
    name: str
    knowledge_version: str
    sections: list[GuideSectionOut]


class InteractionsIn(Closed):
    names: tuple[str, ...] = Field(min_length=2, max_length=MAX_NAMES)
    routes: dict[str, Literal["oral", "intrathecal"]] = Field(default_factory=dict, max_length=50)


class InteractionsOut(Open):
    knowledge_version: str
    resolved: list[dict[str, Any]]
    unknown: list[FindingOut]
    findings: list[FindingOut]
    not_checked: list[NotCheckedOut]


class MissedDoseIn(MissedDoseQuery):
    now: datetime | None = Field(
        default=None, description="The time now with its offset; the server clock when absent."
    )


class MissedDoseOut(Open):
    drug: str
    action: str
    advice: list[str]
    message: str


class QuestionIn(Closed):
    question: str = Field(min_length=1, max_length=1000)
    drug: str | None = Field(default=None, max_length=200)


class AnswerOut(Open):
    question: str
    status: Literal["answered", "declined"]
    answer: str
    sources: list[str]
    advice: list[str]


class PlanOut(Open):
    plan: dict[str, Any]
    kidney: dict[str, Any]
    knowledge_version: str


class FhirPlanOut(Open):
    resourceType: Literal["MedicationRequest"]
    dosageInstruction: list[dict[str, Any]]
