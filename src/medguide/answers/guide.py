"""The drug guide for people: the knowledge of one drug as ordered sections of sourced items.

`build_guide(catalog, drug_id)` is pure; the CLI, the web pages and the question answerer
render or search what it returns. Section ids are stable; titles may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.base import Sourced
from medguide.knowledge.models.drug import DoseRule, Drug, Product

FREQUENCY_WORDS = {
    "very_common": "very common (more than 1 in 10)",
    "common": "common (up to 1 in 10)",
    "uncommon": "less common (up to 1 in 100)",
    "rare": "rare",
    "unknown": "frequency not known",
}


@dataclass(frozen=True)
class GuideItem:
    text: str
    sources: tuple[str, ...]
    judgment: bool = False


@dataclass(frozen=True)
class GuideSection:
    id: str
    title: str
    items: tuple[GuideItem, ...]


@dataclass(frozen=True)
class Guide:
    drug_id: str
    name: str
    sections: tuple[GuideSection, ...]
    knowledge_version: str

    def section(self, section_id: str) -> GuideSection | None:
        return next((s for s in self.sections if s.id == section_id), None)

    def as_dict(self) -> dict[str, object]:
        return {
            "drug": self.drug_id,
            "name": self.name,
            "knowledge_version": self.knowledge_version,
            "sections": [
                {
                    "id": s.id,
                    "title": s.title,
                    "items": [
                        {"text": i.text, "sources": list(i.sources), "judgment": i.judgment}
                        for i in s.items
                    ],
                }
                for s in self.sections
            ],
        }


def _items(statements: Iterable[Sourced], prefix: str = "") -> Iterator[GuideItem]:
    for s in statements:
        yield GuideItem(prefix + s.text, s.sources, s.judgment)


def _product_line(p: Product) -> GuideItem:
    if p.concentration is not None:
        strength = f"{p.concentration} ({p.concentration.per_ml:g} {p.concentration.amount_unit}"
        strength += " in each mL)"
    elif p.concentrations:
        strength = ", ".join(str(c) for c in p.concentrations)
    else:
        strength = ", ".join(str(s) for s in p.strengths)
    form = p.form.replace("_", " ")
    extra = f" {p.note}" if p.note else ""
    status = " (no longer sold under this name)" if p.status == "historical" else ""
    return GuideItem(f"{p.name}{status}: {form}, {p.route}, {strength}.{extra}", p.sources)


def _dose_line(r: DoseRule) -> GuideItem:
    return GuideItem(r.text, r.sources, r.label_status == "judgment")


def _uses(drug: Drug) -> Iterator[GuideItem]:
    labels = {
        "approved": "approved",
        "off_label": "off-label",
        "other_jurisdiction": "approved elsewhere, not in the US",
        "not_indicated": "not a use",
    }
    for ind in drug.indications:
        route = f", {ind.route}" if ind.route != "any" else ""
        yield GuideItem(
            f"{ind.condition.capitalize()} ({labels[ind.status]}{route}): {ind.text}",
            ind.sources,
            ind.judgment,
        )


def _side_effects(drug: Drug) -> Iterator[GuideItem]:
    for band in ("very_common", "common", "uncommon", "rare", "unknown"):
        effects = [e for e in drug.adverse_effects if e.frequency == band and not e.serious]
        if effects:
            names = ", ".join(e.name for e in effects)
            srcs = tuple(dict.fromkeys(s for e in effects for s in e.sources))
            yield GuideItem(f"{FREQUENCY_WORDS[band].capitalize()}: {names}.", srcs)
    serious = [e for e in drug.adverse_effects if e.serious]
    if serious:
        srcs = tuple(dict.fromkeys(s for e in serious for s in e.sources))
        names = ", ".join(e.name for e in serious)
        yield GuideItem(f"Serious, get help at once: {names}.", srcs)


def _withdrawal_and_stopping(drug: Drug) -> Iterator[GuideItem]:
    if drug.taper is not None:
        yield GuideItem(drug.taper.text, drug.taper.sources)
    for w in drug.withdrawal:
        pre = f"{w.route.capitalize()} use: " if w.route != "any" else ""
        yield from _items(w.signs, pre)
        if w.onset:
            yield from _items((w.onset,), pre)
        yield from _items(w.prevention, pre)
        yield from _items(w.management, pre)


def _overdose(drug: Drug) -> Iterator[GuideItem]:
    for od in drug.overdose:
        pre = f"{od.route.capitalize()}: " if od.route != "any" else ""
        yield from _items(od.signs, pre)
        for t in od.thresholds:
            per = "/kg" if t.per_kg else ""
            yield GuideItem(f"{pre}From about {t.at_or_above}{per}: {t.effect}", t.sources)
        yield from _items(od.management, pre)
        if od.hemodialysis:
            yield from _items((od.hemodialysis,), pre)


def _populations(drug: Drug, codes: set[str]) -> Iterator[GuideItem]:
    for rule in drug.age_rules:
        if rule.code in codes:
            yield GuideItem(rule.text, rule.sources, rule.judgment)


def _kidneys_liver(drug: Drug) -> Iterator[GuideItem]:
    if drug.renal is not None:
        if drug.renal.summary is not None:
            yield from _items((drug.renal.summary,))
        for band in drug.renal.bands:
            yield GuideItem(band.text, band.sources, band.judgment)
        if drug.renal.dialysis is not None:
            d = drug.renal.dialysis
            yield GuideItem(d.text, d.sources, d.judgment)
    yield from _items(drug.hepatic)


def _sections(drug: Drug) -> Iterator[tuple[str, str, Iterable[GuideItem]]]:
    yield "overview", "What it is", _items((drug.summary,) if drug.summary else ())
    yield "uses", "What it is used for", _uses(drug)
    yield "how_it_works", "How it works", _items(drug.mechanism)
    yield "how_to_take", "How to take it", _items(drug.how_to_take)
    yield "dosing", "Doses", (_dose_line(r) for r in drug.dosing)
    yield "products", "Forms and strengths", (_product_line(p) for p in drug.products)
    yield (
        "missed_dose",
        "If you miss a dose",
        (
            (GuideItem(drug.missed_dose.text, drug.missed_dose.sources, drug.missed_dose.judgment),)
            if drug.missed_dose
            else ()
        ),
    )
    yield "side_effects", "Side effects", _side_effects(drug)
    yield (
        "warnings",
        "Warnings",
        (
            GuideItem(
                ("BOXED WARNING. " if w.boxed else "") + f"{w.title}: {w.text}",
                w.sources,
                w.judgment,
            )
            for w in drug.warnings
        ),
    )
    yield "contraindications", "Who must not take it", _items(drug.contraindications)
    yield "conditions", "Conditions that need care", _items(drug.conditions)
    yield (
        "interactions",
        "Other medicines, alcohol and herbals",
        (GuideItem(f"{n.with_}: {n.text}", n.sources, n.judgment) for n in drug.interactions),
    )
    repro = drug.reproduction
    yield (
        "pregnancy",
        "Pregnancy and breastfeeding",
        (
            *_items(repro.pregnancy),
            *_items(repro.neonatal),
            *_items(repro.lactation),
            *(_items((repro.fetal_toxicity,)) if repro.fetal_toxicity else ()),
        ),
    )
    yield (
        "children",
        "Children",
        _populations(
            drug,
            {
                "pediatric_label_not_established",
                "pediatric_age_below_label",
                "pediatric_max_exceeded",
            },
        ),
    )
    yield (
        "older_adults",
        "Older adults",
        _populations(drug, {"beers_kidney_avoid", "geriatric_dose_caution", "encephalopathy_risk"}),
    )
    yield "special_populations", "Other groups", _items(drug.special_populations)
    yield "kidneys_liver", "Kidneys and liver", _kidneys_liver(drug)
    yield "overdose", "Overdose", _overdose(drug)
    yield "stopping", "Stopping and withdrawal", _withdrawal_and_stopping(drug)
    yield "lifestyle", "Everyday life", _items(drug.lifestyle)
    yield "storage", "Storage and disposal", _items(drug.storage)
    yield (
        "alternatives",
        "Alternatives",
        (GuideItem(f"{a.name}: {a.text}", a.sources, a.judgment) for a in drug.alternatives),
    )
    yield (
        "pharmacokinetics",
        "How the body handles it",
        (GuideItem(p.text, p.sources, p.judgment) for p in drug.pharmacokinetics),
    )
    yield (
        "faq",
        "Questions people ask",
        (GuideItem(f"{q.question} {q.answer}", q.sources) for q in drug.faq),
    )
    yield (
        "corrections",
        "Common claims, corrected",
        (
            GuideItem(
                f"Often said: {c.article_says} What the sources support: {c.position}", c.sources
            )
            for c in drug.corrections
        ),
    )


SECTION_IDS: tuple[str, ...] = (
    "overview",
    "uses",
    "how_it_works",
    "how_to_take",
    "dosing",
    "products",
    "missed_dose",
    "side_effects",
    "warnings",
    "contraindications",
    "conditions",
    "interactions",
    "pregnancy",
    "children",
    "older_adults",
    "special_populations",
    "kidneys_liver",
    "overdose",
    "stopping",
    "lifestyle",
    "storage",
    "alternatives",
    "pharmacokinetics",
    "faq",
    "corrections",
)


def build_guide(catalog: Catalog, drug_id: str) -> Guide:
    """The guide for one drug; empty sections are left out. KeyError if the id is unknown."""
    drug = catalog.drugs[drug_id]
    sections = tuple(
        GuideSection(sid, title, items)
        for sid, title, gen in _sections(drug)
        if (items := tuple(gen))
    )
    return Guide(drug.id, drug.name, sections, catalog.version)
