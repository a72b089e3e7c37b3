"""Name resolution: brand, synonym, salt, misspelling → ingredient. (Stub; see issue 2.)"""

from __future__ import annotations

from medguide.clinical.model import Resolved
from medguide.knowledge.catalog import Catalog


def resolve_name(catalog: Catalog, text: str) -> Resolved:
    key = text.strip().lower()
    if key in catalog.drugs:
        return Resolved(text, key, key, None, key, "exact", 1.0)
    return Resolved(text, None, None, None, None, "none", 0.0)
