"""The interaction rules and the NDF-RT pairwise layer, indexed once per catalog.

`build_index(catalog)` runs when the catalog loads (or the index comes out of the catalog cache
beside it), so no screen ever reads a file; the index is frozen and attached to the catalog
(`interaction_index(catalog)` returns it). It holds:

- for each catalog drug, its classes (with their parent classes) and their properties;
- for each drug, which pairwise rules it can stand on side `a` and side `b` of, so that
  finding the rules for a pair is two set intersections rather than a scan;
- the imported pairwise layers (VA NDF-RT 2014), keyed by the unordered pair of ingredient
  keys: a catalog drug id when a monograph claims the DrugBank id or the name, else the
  ingredient's lower-case name;
No memo lives here: the screen keeps its bounded pair memo (`PairMemo`) on the catalog, beside
the index, never inside it.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medguide.knowledge.models.interactions import (
    INTERACTION_SEVERITY_RANK,
    InteractionRule,
    InteractionSeverity,
    PairwiseLayer,
    Side,
)
from medguide.knowledge.tables import read_table

if TYPE_CHECKING:
    from medguide.knowledge.catalog import Catalog


def normalize_name(name: str) -> str:
    """The form ingredient names are compared in: lower case, single spaces."""
    return " ".join(name.replace("_", " ").lower().split())


@dataclass(frozen=True, slots=True)
class PairwiseEntry:
    """One pair from an imported layer, with where it came from."""

    layer: str
    rating: str  # as the source writes it ("Critical", "Significant")
    severity: InteractionSeverity  # mapped onto minor/moderate/major/contraindicated
    names: tuple[str, str]  # the ingredient names the source uses
    concept_ids: tuple[str, ...]
    provenance: str
    sources: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "layer": self.layer,
            "rating": self.rating,
            "severity": self.severity,
            "names": list(self.names),
            "concept_ids": list(self.concept_ids),
            "provenance": self.provenance,
            "sources": list(self.sources),
        }


class PairwiseTable(Mapping[frozenset[str], PairwiseEntry]):
    """The pairwise layer, read-only: pair → entry. Stored as plain tuples, which pickle and
    unpickle several times faster than 2,600 dataclass instances (the catalog cache loads
    it in every process); an entry is rebuilt when it is looked up."""

    __slots__ = ("_rows",)

    def __init__(self, rows: Mapping[frozenset[str], tuple[Any, ...]]) -> None:
        self._rows = dict(rows)

    @classmethod
    def of(cls, entries: Mapping[frozenset[str], PairwiseEntry]) -> PairwiseTable:
        return cls(
            {
                k: (e.layer, e.rating, e.severity, e.names, e.concept_ids, e.provenance, e.sources)
                for k, e in entries.items()
            }
        )

    def __getitem__(self, key: frozenset[str]) -> PairwiseEntry:
        return PairwiseEntry(*self._rows[key])

    def get(self, key: frozenset[str], default: Any = None) -> Any:
        row = self._rows.get(key)
        return default if row is None else PairwiseEntry(*row)

    def __contains__(self, key: object) -> bool:
        return key in self._rows

    def __iter__(self) -> Iterator[frozenset[str]]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def __reduce__(self) -> tuple[Any, ...]:
        return (PairwiseTable, (self._rows,))


@dataclass(frozen=True, eq=False)
class InteractionIndex:
    """Everything the screen needs, precomputed from one catalog; never changed."""

    rules: tuple[InteractionRule, ...]
    drug_classes: Mapping[str, frozenset[str]]
    drug_properties: Mapping[str, frozenset[str]]
    a_hits: Mapping[str, frozenset[int]]
    b_hits: Mapping[str, frozenset[int]]
    aliases: Mapping[str, str]
    pairwise: Mapping[frozenset[str], PairwiseEntry]

    def key_for(self, drug_id: str | None, ingredient: str | None) -> str | None:
        """The ingredient key rules and pairwise data are indexed by."""
        if drug_id is not None:
            return drug_id
        if ingredient is None:
            return None
        name = normalize_name(ingredient)
        return self.aliases.get(name, name)

    def rules_for(self, x: str, y: str) -> list[tuple[InteractionRule, bool]]:
        """Rules that may apply to x with y (routes not yet checked), each with whether x
        stands on side a."""
        empty: frozenset[int] = frozenset()
        out = [(self.rules[i], True) for i in self.a_hits.get(x, empty) & self.b_hits.get(y, empty)]
        out += [
            (self.rules[i], False) for i in self.a_hits.get(y, empty) & self.b_hits.get(x, empty)
        ]
        return out


def _class_closure(catalog: Catalog, classes: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    stack = list(classes)
    while stack:
        cid = stack.pop()
        if cid in out:
            continue
        out.add(cid)
        parent = catalog.classes[cid].parent if cid in catalog.classes else None
        if parent:
            stack.append(parent)
    return frozenset(out)


def side_matches_drug(
    side: Side, drug_id: str, classes: frozenset[str], properties: frozenset[str]
) -> bool:
    """Whether a drug can stand on this side (route aside)."""
    if classes & set(side.except_classes):
        return False
    return (
        drug_id in side.drugs
        or bool(classes & set(side.classes))
        or bool(properties & set(side.properties))
    )


def side_matches_route(side: Side, routes: frozenset[str]) -> bool:
    """A side with a route applies only when the drug is given by that route."""
    return side.route is None or side.route == "any" or side.route in routes


def _read_layer(path: Path, layer: PairwiseLayer) -> list[tuple[list[str], PairwiseEntry]]:
    rows: list[tuple[list[str], PairwiseEntry]] = []
    for rec in read_table(path):
        severity = layer.severity_map.get(rec["severity"])
        if severity is None:
            raise ValueError(f"{path.name}: unmapped severity {rec['severity']!r}")
        entry = PairwiseEntry(
            layer=layer.id,
            rating=rec["severity"],
            severity=severity,
            names=(rec["a_name"], rec["b_name"]),
            concept_ids=tuple(rec["nui"].split(",")),
            provenance=layer.provenance,
            sources=layer.sources,
        )
        sides = [
            rec["a_drugbank"],
            rec["a_name"],
            rec["a_aliases"],
            rec["b_drugbank"],
            rec["b_name"],
            rec["b_aliases"],
        ]
        rows.append((sides, entry))
    return rows


def build_index(catalog: Catalog) -> InteractionIndex:
    """Index `catalog`'s interaction rules and pairwise layers (see the module docstring)."""
    ifile = catalog.interactions
    drug_classes = {d.id: _class_closure(catalog, d.classes) for d in catalog.drugs.values()}
    # class entries stand on rules by their classes, like monographs (combinations are
    # screened as their ingredients, so they are not indexed themselves)
    for e in catalog.class_entries.values():
        if not e.ingredients:
            drug_classes[e.id] = _class_closure(catalog, e.classes)
    # Equal sets are one object (many class entries share their classes): the index pickles
    # and unpickles each distinct set once, which keeps the cached catalog fast to load.
    interned: dict[frozenset[Any], frozenset[Any]] = {}

    def intern(value: frozenset[Any]) -> frozenset[Any]:
        return interned.setdefault(value, value)

    drug_classes = {did: intern(cls) for did, cls in drug_classes.items()}
    drug_props = {
        did: intern(
            frozenset(p for c in cls if c in catalog.classes for p in catalog.classes[c].properties)
        )
        for did, cls in drug_classes.items()
    }
    a_hits: dict[str, frozenset[int]] = {}
    b_hits: dict[str, frozenset[int]] = {}
    for did in drug_classes:
        cls, props = drug_classes[did], drug_props[did]
        a = frozenset(
            i for i, r in enumerate(ifile.rules) if side_matches_drug(r.a, did, cls, props)
        )
        b = frozenset(
            i for i, r in enumerate(ifile.rules) if side_matches_drug(r.b, did, cls, props)
        )
        if a:  # rules_for treats a missing key as no rule
            a_hits[did] = intern(a)
        if b:
            b_hits[did] = intern(b)

    # Names a catalog drug answers to, for mapping pairwise data onto monographs.
    catalog_names: dict[str, str] = {}
    by_drugbank: dict[str, str] = {}
    for d in catalog.drugs.values():
        catalog_names.setdefault(normalize_name(d.id), d.id)
        catalog_names.setdefault(normalize_name(d.name), d.id)
    for d in catalog.drugs.values():  # after every id and name, so those win a clash
        for syn in (*d.synonyms, *d.salts):
            catalog_names.setdefault(normalize_name(syn), d.id)
        if d.codes.drugbank:
            by_drugbank[d.codes.drugbank] = d.id
    for e in catalog.class_entries.values():  # after every monograph name
        if e.ingredients:
            continue
        for n in (e.id, e.name, *e.synonyms, *e.brands):
            catalog_names.setdefault(normalize_name(n), e.id)
    aliases: dict[str, str] = dict(catalog_names)
    for e in catalog.class_entries.values():  # combinations: the screen expands them
        if e.ingredients:
            for n in (e.id, e.name, *e.synonyms, *e.brands):
                aliases.setdefault(normalize_name(n), e.id)

    pairwise: dict[frozenset[str], PairwiseEntry] = {}
    for layer in ifile.pairwise_layers:
        path = catalog.data_dir / layer.file
        if not path.exists():
            continue
        for sides, entry in _read_layer(path, layer):
            keys = []
            for dbid, name, more in (sides[0:3], sides[3:6]):
                names = [name, *(a for a in more.split("|") if a)]
                key = by_drugbank.get(dbid) or next(
                    (catalog_names[n] for n in names if n in catalog_names), name
                )
                for n in names:
                    aliases.setdefault(n, key)
                keys.append(key)
            pair = frozenset(keys)
            if len(pair) != 2:
                continue
            old = pairwise.get(pair)
            if old is None or (
                INTERACTION_SEVERITY_RANK[entry.severity] > INTERACTION_SEVERITY_RANK[old.severity]
            ):
                pairwise[pair] = entry

    return InteractionIndex(
        rules=ifile.rules,
        drug_classes=drug_classes,
        drug_properties=drug_props,
        a_hits=a_hits,
        b_hits=b_hits,
        aliases=aliases,
        pairwise=PairwiseTable.of(pairwise),
    )


def interaction_index(catalog: Catalog) -> InteractionIndex:
    """The index of `catalog` (built when it loaded)."""
    return catalog.index


PAIR_MEMO_LIMIT = 20_000  # pair results kept per catalog; the oldest go first


@dataclass(eq=False)
class PairMemo:
    """A bounded memo for a pure function of its key: pair screens (the two keys and their
    routes) and, with their own limits, parsed orders, resolved names, route dose ranges and
    whole interaction lists.

    At most `limit` entries: when full, the oldest entry is dropped (first in, first out), so
    a long-lived process that sees ever new inputs holds at most `limit` results. Values must
    be immutable (frozen dataclasses, tuples): every caller shares them.
    """

    limit: int = PAIR_MEMO_LIMIT
    entries: dict[Any, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, key: Any, default: Any = None) -> Any:
        return self.entries.get(key, default)

    def put(self, key: Any, value: Any) -> None:
        entries = self.entries
        while len(entries) >= self.limit:
            try:
                del entries[next(iter(entries))]
            except (StopIteration, KeyError, RuntimeError):  # another thread got there first
                break
        entries[key] = value

    def clear(self) -> None:
        self.entries.clear()


def check_rule_references(catalog: Catalog) -> list[str]:
    """Problems with the ids the interaction rules name: drugs, classes and properties that
    nothing in the catalog has. An empty list means every rule can fire."""
    properties = {p for c in catalog.classes.values() for p in c.properties}
    problems = []
    ifile = catalog.interactions

    def check(where: str, side: Side) -> None:
        for d in side.drugs:
            if d not in catalog.drugs and d not in catalog.class_entries:
                problems.append(f"{where}: unknown drug {d!r}")
        for c in (*side.classes, *side.except_classes):
            if c not in catalog.classes:
                problems.append(f"{where}: unknown class {c!r}")
        for p in side.properties:
            if p not in properties:
                problems.append(f"{where}: no class has property {p!r}")

    for r in ifile.rules:
        check(f"rules.{r.id}.a", r.a)
        check(f"rules.{r.id}.b", r.b)
    for g in ifile.groups:
        if g.property not in properties:
            problems.append(f"groups.{g.id}: no class has property {g.property!r}")
    for dup in ifile.duplicates:
        for c in dup.classes:
            if c not in catalog.classes:
                problems.append(f"duplicates.{dup.id}: unknown class {c!r}")
    for layer in ifile.pairwise_layers:
        if not (catalog.data_dir / layer.file).exists():
            problems.append(f"pairwise_layers.{layer.id}: missing file {layer.file}")
    return problems
