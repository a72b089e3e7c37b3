"""`medguide assess FILE|-`: the assessment of DESIGN.md from a JSON or YAML request."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from medguide.cli import exitcodes
from medguide.cli.common import (
    catalog,
    describe_validation_error,
    fail,
    print_json,
    read_document,
)

SEVERITIES = ("info", "low", "moderate", "high", "critical")


def assess(
    file: Annotated[str, typer.Argument(help="Request file (JSON or YAML), or - for stdin.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Exit 1 if a finding is at or above SEVERITY: info, low, moderate, high or "
            "critical.",
        ),
    ] = None,
    fhir: Annotated[
        bool,
        typer.Option("--fhir", help="FILE is a FHIR R4 Bundle (or resource), not a request."),
    ] = False,
) -> None:
    """Check a patient's medicines: doses, kidneys, age, interactions, what to do now."""
    if fail_on is not None and fail_on not in SEVERITIES:
        fail(f"--fail-on must be one of {', '.join(SEVERITIES)}")
    data = read_document(file)
    result = _assess_fhir(data) if fhir else _assess_request(data)
    cat = catalog()
    if as_json:
        print_json(result)
    else:
        from medguide.cli.render import render_assessment

        render_assessment(result, cat)
    if fail_on is not None:
        rank = SEVERITIES.index(fail_on)
        if any(SEVERITIES.index(f["severity"]) >= rank for f in result["findings"]):
            raise typer.Exit(exitcodes.FINDINGS_AT_THRESHOLD)


def _assess_fhir(data: Any) -> dict[str, Any]:
    from datetime import datetime

    from medguide.cli.common import fail_service
    from medguide.service import ServiceError
    from medguide.service.fhir import assess_fhir

    if not isinstance(data, dict | list):
        fail("a FHIR file must hold a Bundle or a resource (a JSON object)")
    try:
        result, _ = assess_fhir(catalog(), data, datetime.now().astimezone())
    except ServiceError as exc:
        fail_service(exc)
    return result.as_dict()


def _assess_request(data: Any) -> dict[str, Any]:
    from pydantic import ValidationError

    from medguide.clinical.request import AssessRequest
    from medguide.service import assess as run_assessment

    if not isinstance(data, dict):
        fail("the request must be a JSON or YAML object with at least 'medications'")
    try:
        request = AssessRequest.model_validate(data)
    except ValidationError as exc:
        fail(describe_validation_error(exc))
    return run_assessment(catalog(), request).as_dict()


def register(app: typer.Typer) -> None:
    app.command("assess")(assess)
