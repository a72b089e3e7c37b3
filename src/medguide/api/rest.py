"""REST under /api/v1: each route parses its body, calls one `medguide.service` job and
returns its result. No clinical rule lives here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query, Response

from medguide.api import schemas
from medguide.api.deps import catalog_of, rate_limited, strict_body
from medguide.api.problems import PROBLEM_RESPONSES
from medguide.api.responses import FastJSON
from medguide.clinical.request import AssessRequest
from medguide.knowledge.catalog import Catalog
from medguide.service import (
    MissedDoseQuery,
    OverdoseQuery,
    PkQuery,
    PlanQuery,
    ServiceError,
    TriageQuery,
)

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)
Cat = Annotated[Catalog, Depends(catalog_of)]
Limited = [Depends(rate_limited)]


@router.get("/drugs", tags=["knowledge"], response_model=list[schemas.DrugOut])
async def list_drugs(cat: Cat) -> FastJSON:
    """The medicines, substances and herbals medguide covers."""
    return FastJSON(
        [
            {
                "id": d.id,
                "name": d.name,
                "kind": d.kind,
                "depth": d.depth,
                "brands": [b.name for b in d.brands],
            }
            for d in sorted(cat.drugs.values(), key=lambda d: d.id)
        ]
    )


@router.get("/drugs/{drug}", tags=["knowledge"], response_model=schemas.GuideOut)
async def drug_guide(cat: Cat, drug: str) -> FastJSON:
    """The guide of one drug, by any of its names (brands and misspellings resolve)."""
    from medguide.service import guide

    return FastJSON(guide(cat, drug[:200]).as_dict())


@router.get("/drugs/{drug}/sections/{section}", tags=["knowledge"], response_model=schemas.GuideOut)
async def drug_guide_section(cat: Cat, drug: str, section: str) -> FastJSON:
    """One section of a drug's guide (`side_effects`, `dosing`, …)."""
    from medguide.answers.guide import SECTION_IDS
    from medguide.service import guide

    if section not in SECTION_IDS:
        raise ServiceError(
            f"unknown section {section[:60]!r}; one of {', '.join(SECTION_IDS)}",
            kind="not_found",
            field="section",
        )
    g = guide(cat, drug[:200])
    found = g.section(section)
    if found is None:
        raise ServiceError(
            f"the {g.name} guide has nothing under {section!r} yet",
            kind="not_found",
            field="section",
        )
    return FastJSON(type(g)(g.drug_id, g.name, (found,), g.knowledge_version).as_dict())


@router.post(
    "/assess",
    tags=["checks"],
    response_model=schemas.AssessmentOut,
    dependencies=[*Limited, strict_body(AssessRequest)],
)
async def assess(cat: Cat, request: AssessRequest) -> FastJSON:
    """Every check on one request (the assessment contract of DESIGN.md)."""
    from medguide.service import assess as run

    return FastJSON(run(cat, request).as_dict())


@router.post(
    "/assess/fhir",
    tags=["checks", "fhir"],
    response_model=schemas.FhirAssessmentOut,
    dependencies=[*Limited, strict_body(None)],
)
async def assess_fhir(
    cat: Cat,
    bundle: Annotated[dict[str, Any], Body(description="A FHIR R4 Bundle or one resource.")],
) -> FastJSON:
    """The assessment of a FHIR R4 Bundle (Patient, MedicationRequest, MedicationStatement,
    Observation, Condition), with the findings also as DetectedIssue resources."""
    from medguide.interop.fhir_export import dump_detected_issues
    from medguide.service.fhir import assess_fhir

    result, mapped = assess_fhir(cat, bundle, datetime.now().astimezone())
    out = result.as_dict()
    implicated: dict[str, list[str]] = {}
    for order in mapped.orders:
        if order.drug_id and order.resource_id:
            implicated.setdefault(order.drug_id, []).append(
                f"{order.resource_type}/{order.resource_id}"
            )
    patient = f"Patient/{mapped.patient_id}" if mapped.patient_id else None
    out["detected_issues"] = dump_detected_issues(out, patient=patient, implicated=implicated)
    return FastJSON(out)


@router.post(
    "/interactions",
    tags=["checks"],
    response_model=schemas.InteractionsOut,
    dependencies=[*Limited, strict_body(schemas.InteractionsIn)],
)
async def interactions(cat: Cat, body: schemas.InteractionsIn) -> FastJSON:
    """Interactions between medicines, alcohol and herbals, most serious first."""
    from medguide.service.interactions import screen_names

    return FastJSON(screen_names(cat, body.names, body.routes))


PlanFormat = Literal["json", "ics", "fhir"]


def _plan_response(
    cat: Catalog,
    result: Any,
    fmt: PlanFormat,
    timezone: str | None,
    times: str | None,
) -> Any:
    if fmt == "fhir":
        from medguide.interop.fhir_export import dump_plan_request

        return FastJSON(dump_plan_request(cat, result.plan))
    if fmt == "ics":
        from medguide.interop.ical import dump_ical

        if timezone is None:
            raise ServiceError("an .ics plan needs the patient's timezone", field="timezone")
        clock = tuple(t.strip() for t in times.split(",")) if times else None
        try:
            data = dump_ical(
                result.plan, timezone, times=clock, knowledge_version=result.knowledge_version
            )
        except ValueError as exc:
            raise ServiceError(str(exc), field="timezone") from None
        return Response(data, media_type="text/calendar")
    return FastJSON(result.as_dict())


_PLAN_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {
            "application/json": {},
            "text/calendar": {"schema": {"type": "string"}},
        },
        "description": "the plan (JSON), a FHIR MedicationRequest, or an iCalendar file",
    }
}


def _plan_route(kind: Literal["titrate", "taper"]) -> Any:
    async def route(
        cat: Cat,
        query: PlanQuery,
        format: Annotated[PlanFormat, Query(description="json, ics or fhir")] = "json",
        timezone: Annotated[str | None, Query(max_length=64)] = None,
        times: Annotated[
            str | None, Query(max_length=120, pattern=r"^\d{2}:\d{2}(,\d{2}:\d{2})*$")
        ] = None,
    ) -> Any:
        from medguide.service import plan_taper, plan_titrate

        job = plan_titrate if kind == "titrate" else plan_taper
        return _plan_response(cat, job(cat, query), format, timezone, times)

    route.__name__ = f"plan_{kind}"
    route.__doc__ = (
        "A dated titration up to a target, never above a maximum."
        if kind == "titrate"
        else "A dated taper to zero that never rises."
    )
    return route


for _kind in ("titrate", "taper"):
    router.add_api_route(
        f"/plans/{_kind}",
        _plan_route(_kind),
        methods=["POST"],
        tags=["plans"],
        response_model=schemas.PlanOut | schemas.FhirPlanOut,
        responses=_PLAN_RESPONSES,
        dependencies=[*Limited, strict_body(PlanQuery)],
    )


@router.post(
    "/triage",
    tags=["now"],
    response_model=schemas.AssessmentOut,
    dependencies=[*Limited, strict_body(TriageQuery)],
)
async def triage(cat: Cat, query: TriageQuery) -> FastJSON:
    """How urgent it is, from what a person notices and what happened."""
    from medguide.service import triage as run

    return FastJSON(run(cat, query, datetime.now().astimezone()).as_dict())


@router.post(
    "/missed-dose",
    tags=["now"],
    response_model=schemas.MissedDoseOut,
    dependencies=[*Limited, strict_body(schemas.MissedDoseIn)],
)
async def missed_dose(cat: Cat, body: schemas.MissedDoseIn) -> FastJSON:
    """A forgotten dose: take it now or skip it; never double."""
    from medguide.service import missed_dose as run

    now = body.now or datetime.now().astimezone()
    if now.tzinfo is None:
        raise ServiceError("now needs its UTC offset, e.g. 2026-11-26T08:15:00-05:00", field="now")
    query = MissedDoseQuery.model_validate(body.model_dump(exclude={"now"}))
    return FastJSON(run(cat, query, now).as_dict())


@router.post(
    "/overdose",
    tags=["now"],
    response_model=schemas.AssessmentOut,
    dependencies=[*Limited, strict_body(OverdoseQuery)],
)
async def overdose(cat: Cat, query: OverdoseQuery) -> FastJSON:
    """Someone took too much: what happens next and who to call."""
    from medguide.service import overdose as run

    return FastJSON(run(cat, query, datetime.now().astimezone()).as_dict())


@router.post(
    "/questions",
    tags=["knowledge"],
    response_model=schemas.AnswerOut,
    dependencies=[*Limited, strict_body(schemas.QuestionIn)],
)
async def questions(cat: Cat, body: schemas.QuestionIn) -> FastJSON:
    """A question in plain words, answered from the knowledge with its sources, or declined."""
    from medguide.service import answer

    return FastJSON(answer(cat, body.question, drug=body.drug).as_dict())


_PK_TYPES = {"json": "application/json", "svg": "image/svg+xml", "png": "image/png"}
# A shared server simulates at most this many people a request (200,000 take seconds of
# CPU); the command line allows the model's full range.
API_MAX_SUBJECTS = 20_000


@router.post(
    "/pk",
    tags=["checks"],
    response_model=dict[str, Any],
    responses={
        200: {
            "description": "the level summary (JSON) or its picture (SVG, PNG)",
            "content": {media: {} for media in _PK_TYPES.values()},
        }
    },
    dependencies=[*Limited, strict_body(PkQuery)],
)
def pk(
    cat: Cat,
    query: PkQuery,
    format: Annotated[
        Literal["json", "svg", "png"], Query(description="json, svg or png")
    ] = "json",
) -> Response:
    """The level of a regimen over time for the person's kidneys (as `medguide pk`): steady
    state, time to it, accumulation, the population band, with sources; `format=svg` or
    `png` draws it. An illustration from published averages, never a prediction."""
    from medguide.service import pk as run

    if query.subjects > API_MAX_SUBJECTS:
        raise ServiceError(
            f"at most {API_MAX_SUBJECTS:,} subjects a request here (the command line takes more)",
            field="subjects",
        )
    result = run(cat, query)
    if format == "json":
        return FastJSON(result.as_dict())
    from medguide.pk.plot import render_plot

    return Response(render_plot(result.summary.curves, format), media_type=_PK_TYPES[format])


# The journal's routes (a person's medicines, doses, symptoms, exports, with per-person
# tokens) are in `medguide.api.journal`, mounted under /api/v1/journal.
