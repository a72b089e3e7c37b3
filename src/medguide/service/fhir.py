"""The assessment of FHIR R4 resources: the one mapping (`interop/fhir_request.py`) into the
assessment contract, the assessment, and what could not be mapped as "not checked".

Every door that takes FHIR calls this: `medguide assess --fhir`, `POST /api/v1/assess/fhir`
and the CDS Hooks services.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from medguide.clinical.assess import Assessment
from medguide.clinical.findings import NotChecked
from medguide.interop.fhir_request import FhirRequest, fhir_request_model, request_from_fhir
from medguide.knowledge.catalog import Catalog
from medguide.service.errors import ServiceError
from medguide.service.jobs import assess


def assess_fhir(
    catalog: Catalog,
    resources: Iterable[Mapping[str, Any]] | Mapping[str, Any],
    now: datetime | None = None,
    *,
    drafts: Iterable[Mapping[str, Any]] = (),
) -> tuple[Assessment, FhirRequest]:
    """The assessment of `resources` (a Bundle, one resource or many), with the mapping.

    Raises `ServiceError` when nothing in them can be assessed (no medication to check).
    """
    if not isinstance(resources, Mapping | list | tuple):
        raise ServiceError("the body must be a FHIR Bundle or resource (a JSON object)")
    mapped = request_from_fhir(catalog, resources, now=now, drafts=drafts)
    try:
        request = fhir_request_model(catalog, mapped)
    except ValidationError as exc:
        first = exc.errors()[0]
        msg = str(first["msg"]).removeprefix("Value error, ")
        if "a request needs" in msg:
            msg = (
                "no active MedicationRequest or MedicationStatement with a medication that "
                "could be read was found, so there is nothing to check"
            )
        raise ServiceError(msg, field="entry") from None
    result = assess(catalog, request, now)
    notes = tuple(NotChecked("fhir", note) for note in mapped.notes)
    return (result.with_not_checked(*notes) if notes else result), mapped
