"""A dose the question mentions, checked by the assessment's dose checks."""

from __future__ import annotations

import re

from medguide.answers.entities import Entities
from medguide.answers.model import AnswerPart, Draft
from medguide.answers.reading import PUMP
from medguide.knowledge.catalog import Catalog

_PER_DAY = re.compile(r"\b(a|per|each|every|in a|in one) day\b|\bdaily\b|/ ?day\b|\bdaily total\b")


_HOW_OFTEN = re.compile(
    r"\b(\d+|one|two|three|four|five|six) ?(x|times)\b|\btwice\b|\bevery \d+ ?h|\bq\d+h\b"
    r"|\b(tid|tds|qid|qds|bid|bd)\b",
    re.I,
)


def add_dose_check(catalog: Catalog, draft: Draft, focus: str, text: str, ents: Entities) -> None:
    """ "Is 120 mg ok?": the amount is checked as a day's total by the dose checks."""
    amounts = [
        a
        for a in ents.amounts
        if a.unit in {"mg", "g", "mcg", "mL"}
        # "5mg/ml" is a strength, not an amount taken.
        and not re.search(re.escape(a.text) + r"\s*/", text)
    ]
    if not amounts:
        return
    if _HOW_OFTEN.search(text) and not _PER_DAY.search(text):
        # a dose with a frequency that was not read is never checked as a day's total
        draft.not_checked.append(
            "the dose and how often it is taken could not be read together: ask a pharmacist "
            "to add up the day's total"
        )
        return
    a = amounts[0]
    name = next((d.query for d in ents.drugs if d.drug_id == focus and d.query != d.drug_id), focus)
    route = "intrathecal" if PUMP.search(text) else None
    try:
        from medguide.clinical.assess import assess
        from medguide.clinical.request import AssessRequest, Medication

        med = Medication(drug=name, dose=a.value, unit=a.unit, frequency="daily", route=route)
        result = assess(catalog, AssessRequest(medications=(med,)))
    except (ImportError, ValueError, KeyError, NotImplementedError) as exc:
        draft.not_checked.append(f"dose check could not run: {exc}")
        return
    flagged = False
    for f in result.findings:
        if f.code in {
            "max_daily_dose_exceeded",
            "max_single_dose_exceeded",
            "concentration_confusion",
            "unit_mismatch",
        }:
            flagged = True
            draft.add(
                AnswerPart(
                    "finding",
                    f.message,
                    tuple(f.sources),
                    focus,
                    "dosing",
                    "Dose check",
                    False,
                    f.code,
                )
            )
            draft.add_advice(a for a in f.advice if a != "reduce_dose")
    totals = [t for t in result.computed.get("daily_totals", ()) if t.get("drug") == focus]
    rule = next(
        (
            r
            for r in catalog.drugs[focus].dosing
            if r.max_daily is not None and r.population == "adult" and r.route == (route or "oral")
        ),
        None,
    )
    if not flagged and totals and rule is not None and rule.max_daily is not None:
        total = totals[0]
        amount = f"{total['amount']:g} {total['unit']}"
        said = f"{a.value:g} {a.unit}"
        lead = f"{said} is {amount}. " if said != amount else ""
        draft.add(
            AnswerPart(
                "finding",
                f"{lead}Taken as a whole day's total, {amount} is not above the labelled "
                f"maximum of {rule.max_daily} a day{_ages(rule.age_years.low)}. Your own dose is "
                "the one "
                "your prescriber set; do not raise it on your own.",
                rule.sources,
                focus,
                "dosing",
                "Dose check",
                False,
                None,
            )
        )
    if not _PER_DAY.search(text):
        draft.not_checked.append(
            f"{a.value:g} {a.unit} was checked as a whole day's total; as one dose, compare it "
            "with the dose schedule shown"
        )


def _ages(low: float | None) -> str:
    return f" (from age {low:g})" if low else ""
