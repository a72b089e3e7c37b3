"""What every check sees: the catalog, the request, the time, and the parsed orders."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from medguide.clinical.model import Order, Resolved
from medguide.clinical.orders import parse_medication
from medguide.clinical.request import AssessRequest
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.names import resolve_name

if TYPE_CHECKING:
    from medguide.clinical.doses import DailyTotal, Dose


@dataclass(frozen=True)
class Context:
    catalog: Catalog
    request: AssessRequest
    now: datetime | None
    orders: tuple[Order, ...]
    substances: tuple[Resolved, ...]
    computed: Mapping[str, Any] = field(default_factory=dict)

    # Worked out once per assessment and shared by every check that needs them.
    @cached_property
    def doses(self) -> tuple[Dose, ...]:
        from medguide.clinical.doses import compute_doses

        return compute_doses(self)

    @cached_property
    def daily_totals(self) -> tuple[DailyTotal, ...]:
        from medguide.clinical.doses import compute_daily_totals

        return compute_daily_totals(self)

    def orders_of(self, drug_id: str) -> tuple[Order, ...]:
        return tuple(o for o in self.orders if o.name.drug_id == drug_id)


def build_context(catalog: Catalog, request: AssessRequest, now: datetime | None) -> Context:
    orders = tuple(parse_medication(catalog, med, i) for i, med in enumerate(request.medications))
    substances = tuple(resolve_name(catalog, s) for s in request.substances)
    resolved = {
        o.text: {
            "ingredient": o.name.ingredient,
            "covered": o.name.covered,
            "matched": o.name.matched,
            "method": o.name.method,
            "product": o.name.product_id,
        }
        for o in orders
    }
    return Context(
        catalog=catalog,
        request=request,
        now=now,
        orders=orders,
        substances=substances,
        computed={"resolved": resolved},
    )
