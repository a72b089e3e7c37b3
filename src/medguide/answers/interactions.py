"""A second medicine or a substance in a question, screened by the assessment."""

from __future__ import annotations

from medguide.answers.entities import Entities
from medguide.answers.model import AnswerPart, Draft
from medguide.answers.retrieval import GuideIndex
from medguide.knowledge.catalog import Catalog


def add_interaction(
    catalog: Catalog,
    index: GuideIndex,
    draft: Draft,
    intent: str,
    focus: str,
    text: str,
    ents: Entities,
) -> None:
    others = [d for d in ents.covered_drugs if d != focus]
    substances = [s for s in ents.substances if s in catalog.drugs]
    not_covered = [s for s in ents.substances if s not in catalog.drugs]
    if not_covered:
        draft.not_checked.append(
            f"no knowledge file for {', '.join(not_covered)}: interaction not screened"
        )
    if not others and not substances:
        return
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Medication

        request = AssessRequest(
            medications=tuple(Medication(drug=d) for d in (focus, *others)),
            substances=tuple(substances),
        )
        result = assess(catalog, request)
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"interaction check could not run: {exc}")
        return
    names = {focus, *others, *substances}
    for f in result.findings:
        if f.code not in {"interaction", "cns_depressant_burden", "hypotension_burden"}:
            continue
        if f.drugs and not names & set(f.drugs) and f.code == "interaction":
            continue
        draft.add(
            AnswerPart(
                "finding",
                f.message,
                tuple(f.sources),
                focus,
                "interactions",
                "Interaction check",
                False,
                f.code,
            )
        )
        draft.add_advice(f.advice)
    if "alcohol" in substances and "avoid_alcohol" not in draft.advice:
        d = catalog.drugs[focus]
        draft.add_advice(e.advice for e in d.lifestyle if e.advice == "avoid_alcohol")
    if not any(p.kind == "finding" for p in draft.parts):
        pair = " and ".join(catalog.drugs[x].name for x in (focus, *others, *substances))
        draft.add(
            AnswerPart(
                "finding",
                f"medguide's interaction rules list nothing for {pair}. That is not proof the "
                "combination is safe: ask a pharmacist, who can check everything you take.",
                (),
                focus,
                "interactions",
                "Interaction check",
                True,
                None,
            )
        )
