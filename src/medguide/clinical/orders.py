"""Reading medication orders as people write them. (Stub; see issue 2.)"""

from __future__ import annotations

from medguide.clinical.model import Order
from medguide.clinical.request import Medication
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.names import resolve_name


def parse_medication(catalog: Catalog, med: Medication, index: int = 0) -> Order:
    text = med.text or med.drug or ""
    name = resolve_name(catalog, med.drug or text.split()[0])
    return Order(index=index, text=text, name=name, dose=med.dose, unit=med.unit,
                 route=med.route, doses_per_day=None)
