"""The interaction screen for a list of names, as a service job.

A thin wrapper over `medguide.clinical.interactions.screen` for the doors that take a bare
list of names (the HTTP API today). It resolves each name, reports the ones that do not
resolve as `unknown_drug`, and screens the rest. Kept apart from the CLI's own screen so the
interaction work can change either without the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from medguide.knowledge.catalog import Catalog
from medguide.service.errors import ServiceError

MAX_NAMES = 50  # the screen's own limit, checked before any name is resolved


def screen_names(
    catalog: Catalog, names: Sequence[str], routes: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Resolve `names`, screen what resolved and return the JSON-ready report.

    `routes` maps a name (as written, or the drug id) to its route. Raises `ServiceError`
    for fewer than two names, more than `MAX_NAMES`, or when no name resolves.
    """
    from medguide.clinical.findings import Finding
    from medguide.clinical.interactions import ScreenItem, TooManyItems, screen
    from medguide.knowledge.names import resolve_name

    cleaned = [n.strip() for n in names if n.strip()]
    if len(cleaned) > MAX_NAMES:
        raise ServiceError(
            f"{len(cleaned)} names given; at most {MAX_NAMES} can be screened at once",
            field="names",
        )
    if len(cleaned) < 2:
        raise ServiceError("give at least two names to screen against each other", field="names")
    wanted = {k.strip().lower(): v.strip().lower() for k, v in (routes or {}).items()}
    items: list[ScreenItem] = []
    resolved: list[dict[str, Any]] = []
    unknown: list[Finding] = []
    for name in cleaned:
        r = resolve_name(catalog, name)
        if not r.known:
            unknown.append(
                Finding(
                    code="unknown_drug",
                    severity="moderate",
                    message=(
                        f"{name!r} was not recognised as a medicine or substance, so it was not "
                        "screened. Check the spelling or ask a pharmacist."
                    ),
                    drugs=(name,),
                    details={"query": name},
                    advice=("not_covered_refer",),
                )
            )
            continue
        route = wanted.get(name.lower()) or wanted.get((r.drug_id or "").lower())
        items.append(ScreenItem.from_resolved(r, route))
        resolved.append(
            {
                "query": name,
                "ingredient": r.ingredient,
                "drug_id": r.drug_id,
                "covered": r.covered,
                "method": r.method,
                "route": route,
            }
        )
    if not resolved:
        raise ServiceError("none of the names was recognised", kind="not_found", field="names")
    try:
        result = screen(catalog, items)
    except TooManyItems as exc:
        raise ServiceError(str(exc), field="names") from None
    return {
        "knowledge_version": catalog.version,
        "resolved": resolved,
        "unknown": [f.as_dict() for f in unknown],
        "findings": [f.as_dict() for f in result.findings],
        "not_checked": [n.as_dict() for n in result.not_checked],
    }
