"""How much of a list of medicine names medguide knows: the figures behind
`medguide knowledge coverage FILE`.

Each name (a row of a prescription export, or a line of a list) is resolved into its
ingredients (`resolve_ingredients`) and counted once, by the least that is known of any of
its ingredients:

- `monograph`: every ingredient has a knowledge file (doses, kidneys, interactions);
- `class_entry`: every ingredient has at least a class entry (interactions screened by class,
  no monograph; a combination with one monograph and one class entry counts here);
- `name_only`: an ingredient is a known medicine name with neither (the VA NDF-RT 2014 list
  alone is checked);
- `unknown`: an ingredient is not recognised at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from medguide.knowledge.catalog import Catalog

LEVELS = ("monograph", "class_entry", "name_only", "unknown")


def coverage_level(coverages: Iterable[str]) -> str:
    """The level of a name from its ingredients' levels (the least known wins)."""
    seen = set(coverages)
    for level in reversed(LEVELS):
        if level in seen:
            return level
    return "unknown"


@dataclass(frozen=True)
class Coverage:
    rows: Counter[str] = field(default_factory=Counter)  # level → rows
    names: Counter[str] = field(default_factory=Counter)  # level → distinct names
    uncovered: Counter[str] = field(default_factory=Counter)  # name → rows, not covered

    @property
    def total(self) -> int:
        return sum(self.rows.values())

    def share(self, *levels: str) -> float:
        return sum(self.rows[lv] for lv in levels) / self.total if self.total else 0.0

    def as_dict(self, top: int = 20) -> dict[str, Any]:
        return {
            "rows": self.total,
            "distinct_names": sum(self.names.values()),
            "by_level": {
                lv: {"rows": self.rows[lv], "names": self.names[lv], "share": self.share(lv)}
                for lv in LEVELS
            },
            "covered_share": self.share("monograph", "class_entry"),
            "top_uncovered": [{"name": n, "rows": c} for n, c in self.uncovered.most_common(top)],
        }


def compute_coverage(catalog: Catalog, names: Iterable[str]) -> Coverage:
    """Count `names` (one per row, repeats included) by what medguide knows of them."""
    from medguide.knowledge.names import resolve_ingredients

    counts = Counter(n.strip() for n in names if n and n.strip())
    cov = Coverage()
    for name, rows in counts.items():
        level = coverage_level(r.coverage for r in resolve_ingredients(catalog, name))
        cov.rows[level] += rows
        cov.names[level] += 1
        if level in ("name_only", "unknown"):
            cov.uncovered[name] += rows
    return cov
