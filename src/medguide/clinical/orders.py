"""Reading medication orders as people write them.

"Lioresal 10 mg tid", "20 mg/day divided QID", "Ozobax DS 15 mL QID", "1 tab tid",
"Gablofen 50 mcg intrathecal bolus", or structured fields (drug, dose, unit, route,
frequency), or both. Fields win when both are given; when they disagree the order gets an
`ambiguous_order` finding.

Two rules a reader of orders must keep (ISMP, S86):
- an error-prone form ("qd", "U", "cc", "µg", "5.0 mg", ".5 mg", "qod", "tiw") is read as it
  was meant where that is unambiguous, and always flagged `error_prone_abbreviation`;
- anything that cannot be read with confidence (no dose, no frequency, two doses, a range
  such as "1-2 tabs", an unknown unit) is left as None and flagged `ambiguous_order`. The
  reader never guesses a dose.

Text is read with one compiled pattern (`_ORDER`) whose alternatives are tried left to right
at each position, so each word is claimed once ("three times a day" is a frequency, never a
dose of 3 "times").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from medguide.clinical.findings import Finding
from medguide.clinical.model import Order, Resolved
from medguide.clinical.request import Medication
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.names import resolve_name
from medguide.units import MASS_IN_MG, UnknownUnit, normalize_unit

ISMP_SOURCE: Final = "S86"  # ISMP list of error-prone abbreviations (sources.yaml)

# fmt: off
_COUNT: Final[dict[str, int]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "once": 1, "twice": 2, "thrice": 3,
}
_NUM_WORD: Final = r"(?:\d+|one|two|three|four|five|six)"

# Abbreviations and phrases for a fixed number of doses a day.
_PER_DAY: Final[dict[str, float]] = {
    "od": 1, "qd": 1, "qday": 1, "daily": 1, "nightly": 1, "qhs": 1, "hs": 1, "qam": 1,
    "qpm": 1, "nocte": 1, "mane": 1, "bedtime": 1, "every day": 1, "each day": 1,
    "every morning": 1, "every night": 1, "every evening": 1, "each morning": 1,
    "each night": 1, "at bedtime": 1, "at night": 1, "in the morning": 1,
    "in the evening": 1, "before bed": 1, "once a day": 1,
    "bid": 2, "bd": 2, "tid": 3, "tds": 3, "qid": 4, "qds": 4,
    "qod": 0.5, "every other day": 0.5, "alternate days": 0.5, "on alternate days": 0.5,
    "tiw": 3 / 7, "weekly": 1 / 7, "once weekly": 1 / 7, "once a week": 1 / 7,
}
_ROUTES: Final[dict[str, str]] = {
    "po": "oral", "by mouth": "oral", "per os": "oral", "oral": "oral", "orally": "oral",
    "intrathecal": "intrathecal", "intrathecally": "intrathecal", "it": "intrathecal",
    "iv": "intravenous", "intravenous": "intravenous", "intravenously": "intravenous",
    "im": "intramuscular", "intramuscular": "intramuscular",
    "intramuscularly": "intramuscular", "topical": "topical", "topically": "topical",
}
# fmt: on
# Words that may follow a number without being its unit.
_NOT_UNIT: Final = (
    r"(?:x|times|a|per|each|every|and|or|to|at|in|for|by|with|then|"
    + "|".join(sorted({w for w in _PER_DAY if " " not in w} | set(_ROUTES), key=len, reverse=True))
    + r"|prn|as|divided|bolus|q\d*h?)\b"
)
_NUM: Final = r"(?:\d+(?:\.\d+)?|\.\d+)"

_ORDER: Final = re.compile(
    # Every alternative starts a word or a number: one cheap look-behind skips the rest.
    r"(?<![a-z0-9µμ])(?:"
    + "|".join(
        (
            # frequencies that are ranges: never guessed
            rf"(?P<freq_range>\b(?:q|every|each)\s*{_NUM}\s*(?:-|to|or)\s*{_NUM}\s*"
            r"(?:h|hr|hrs|hours?)\b"
            rf"|\b{_NUM_WORD}\s*(?:-|to|or)\s*{_NUM_WORD}\s*(?:x|times)\b"
            r"(?:\s*(?:a|per|/|each|every)?\s*(?:day|daily|d)\b)?)",
            rf"(?P<interval>\b(?:q|every|each)\s*(?P<hours>{_NUM})\s*(?:h|hr|hrs|hours?)\b)",
            r"(?P<times>\b(?:(?P<tw>once|twice|thrice)|(?P<tn>\d+|one|two|three|four|five|six)"
            r"\s*(?:x|times))\s*(?:a\s+|per\s+|/\s*|each\s+|every\s+|in\s+a\s+)?"
            r"(?P<tu>day|daily|d|week|wk)\b)",
            r"(?P<divided>\bdivided(?:\s+(?:into|in))?(?:\s+(?P<dn>\d+|two|three|four|five|six)"
            r"\s+(?:divided\s+|equal\s+|separate\s+)?doses)?\b"
            r"|\bin\s+(?P<in>\d+|two|three|four|five|six)\s+(?:divided\s+|equal\s+|separate\s+)?"
            r"doses\b)",
            r"(?P<per_day>\b(?:"
            + "|".join(
                re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_PER_DAY, key=len, reverse=True)
            )
            + r")\b)",
            r"(?P<prn>\b(?:prn|as\s+needed|when\s+needed|as\s+required|if\s+needed|"
            r"when\s+required)\b)",
            r"(?P<bolus>\b(?:bolus|test\s+dose|single\s+dose)\b)",
            r"(?P<route>\b(?:"
            + "|".join(
                re.escape(k).replace(r"\ ", r"\s+") for k in sorted(_ROUTES, key=len, reverse=True)
            )
            + r")\b)",
            r"(?P<duration>\b(?:for|x)\s*\d+\s*(?:days?|weeks?|months?|wks?|d)\b)",
            rf"(?P<conc>(?<![\w.]){_NUM}\s*(?:mg|mcg|ug|µg|μg|g)\s*/\s*(?:{_NUM}\s*)?ml\b)",
            r"(?P<comma>(?<![\w.])\d+,\d+)",
            r"(?P<negative>(?<![\w.])-\s*\.?\d)",
            rf"(?P<dose_range>(?<![\w.]){_NUM}\s*(?:(?!{_NOT_UNIT})[a-z]+\s*)?(?:-|–|to|or)\s*"
            rf"{_NUM}(?:\s*(?!{_NOT_UNIT})[a-z]+\b)?)",
            rf"(?P<dose>(?<![\w.])(?:(?P<fn>\d+)\s*/\s*(?P<fd>[234])(?![\d.])|(?P<num>{_NUM}))"
            rf"\s*(?P<unit>(?!{_NOT_UNIT})[a-zµμ]+\b(?:\s*/\s*kg\b)?)?"
            r"(?P<daily>\s*(?:/\s*|per\s+|a\s+|each\s+|every\s+)(?:day|d|24\s*h(?:ours?|rs?)?)\b)?"
            r"(?P<form>\s+(?:tab|tabs|tablet|tablets)\b)?)",
        )
    )
    + ")"
)

# ISMP error-prone forms (S86): (form, why it is dangerous, what to write instead). They are
# recognised on the words the order pattern reads, so a form inside another word never fires.
_ERROR_PRONE: Final[tuple[tuple[str, str, str], ...]] = (
    ("qd", "can be misread as 'qid' (four times a day)", "'daily'"),
    ("qod", "can be misread as 'qd' or 'qid'", "'every other day'"),
    ("U", "can be misread as 0, 4 or 'cc', a many-fold error", "'units'"),
    ("cc", "can be misread as 'U' (units)", "'mL'"),
    ("µg", "can be misread as 'mg', a thousand-fold error", "'mcg'"),
    (
        "trailing zero",
        "has a trailing zero; if the point is missed the dose is read ten times too high",
        "the whole number without '.0'",
    ),
    (
        "naked decimal",
        "has no zero before the decimal point; if the point is missed the dose is read ten "
        "times too high",
        "a leading zero, as in 0.5",
    ),
    ("tiw", "can be misread as 'three times a day' or 'twice weekly'", "'3 times weekly'"),
)
_EP_TRAILING_ZERO: Final = 5
_EP_NAKED_DECIMAL: Final = 6
_EP_WORDS: Final[dict[str, int]] = {"qd": 0, "qod": 1, "tiw": 7}
_EP_UNITS: Final[dict[str, int]] = {"u": 2, "iu": 2, "cc": 3, "µg": 4, "μg": 4}
_LETTER_DOT: Final = re.compile(r"(?<=[a-z])\.(?![0-9])")


@dataclass
class _Read:
    """What the text (or a structured field) said, before fields and products are applied."""

    name_text: str = ""
    dose: float | None = None
    unit: str | None = None
    dose_is_daily: bool = False
    per_day: float | None = None
    interval: float | None = None
    freq_text: str | None = None
    route: str | None = None
    prn: bool = False
    bolus: bool = False
    problems: list[tuple[str, str]] = field(default_factory=list)
    error_prone: list[tuple[int, str, str]] = field(default_factory=list)


def _count(word: str) -> int:
    return _COUNT[word] if word in _COUNT else int(word)


def _number(m: re.Match[str]) -> float:
    if m.group("fn"):
        return int(m.group("fn")) / int(m.group("fd"))
    return float(m.group("num"))


@lru_cache(maxsize=4096)
def _read_text(text: str) -> _Read:
    """Read an order text. Cached: the same strings recur across requests; callers must not
    change the result."""
    r = _Read()
    s = text.lower()
    if "." in s:
        s = _LETTER_DOT.sub("", s)
    freqs: dict[float, str] = {}
    daily_words: list[str] = []
    divided_n: int | None = None
    divided = False
    doses: list[tuple[float, str | None, bool, bool]] = []  # value, unit, daily, form-follows
    routes: set[str] = set()
    cut = len(s)
    leftover: list[str] = []
    pos = 0
    for m in _ORDER.finditer(s):
        kind = m.lastgroup
        leftover.append(s[pos : m.start()])
        pos = m.end()
        if kind != "route":
            cut = min(cut, m.start())
        word = m.group(0)
        if kind == "interval":
            hours = float(m.group("hours"))
            if hours <= 0:
                r.problems.append(("frequency", f"'{word}' is not an interval"))
            else:
                freqs.setdefault(24 / hours, word)
                r.interval = hours
        elif kind == "times":
            n = _count(m.group("tw") or m.group("tn"))
            unit = m.group("tu")
            freqs.setdefault(n / 7 if unit in ("week", "wk") else float(n), word)
        elif kind == "per_day":
            key = " ".join(word.split())
            if key in _EP_WORDS:
                r.error_prone.append((_EP_WORDS[key], "text", word))
            if key in ("daily", "od", "qd", "every day", "each day", "once a day"):
                daily_words.append(word)
            else:
                freqs.setdefault(float(_PER_DAY[key]), word)
        elif kind == "divided":
            divided = True
            n_text = m.group("dn") or m.group("in")
            if n_text:
                divided_n = _count(n_text)
        elif kind == "prn":
            r.prn = True
        elif kind == "bolus":
            r.bolus = True
        elif kind == "route":
            routes.add(_ROUTES[" ".join(word.split())])
        elif kind == "dose":
            raw_unit = m.group("unit")
            num = m.group("num")
            if num and "." in num:
                if num[0] == ".":
                    r.error_prone.append((_EP_NAKED_DECIMAL, "text", word.strip()))
                elif not num.split(".", 1)[1].strip("0"):
                    r.error_prone.append((_EP_TRAILING_ZERO, "text", word.strip()))
            if raw_unit in _EP_UNITS:
                r.error_prone.append((_EP_UNITS[raw_unit], "text", raw_unit))
            doses.append(
                (_number(m), raw_unit, m.group("daily") is not None, m.group("form") is not None)
            )
        elif kind == "freq_range":
            if re.search(r"\b(?:q|every|each|day|daily|d)\b|h(?:r|rs|ours?)?\b", word):
                r.problems.append(("frequency", f"'{word.strip()}' is a range of frequencies"))
            else:
                # "1-2 x 10 mL" (no "a day"): how many doses at once, so the amount is unsure
                r.problems.append(("dose", f"'{word.strip()}' is a range of doses"))
        elif kind == "dose_range":
            r.problems.append(("dose", f"'{word.strip()}' is a range of doses"))
        elif kind == "comma":
            r.problems.append(("dose", f"'{word}' has a comma in a number"))
        elif kind == "negative":
            r.problems.append(("dose", "a dose cannot be negative"))
    leftover.append(s[pos:])

    # Name: the words before the first dose or frequency (route words may belong to a brand,
    # as in "Lioresal Intrathecal"); else whatever words no pattern claimed.
    r.name_text = s[:cut].strip(" ,;:-/")
    if not r.name_text:
        r.name_text = " ".join(" ".join(leftover).split()).strip(" ,;:-/")

    if divided or any(d[2] for d in doses):
        r.dose_is_daily = True
    if divided_n is not None:
        freqs.setdefault(float(divided_n), f"in {divided_n} doses")
    if daily_words and not (r.dose_is_daily and freqs):
        freqs.setdefault(1.0, daily_words[0])
    if len(freqs) > 1:
        r.problems.append(
            (
                "frequency",
                "two different frequencies: " + " and ".join(f"'{t}'" for t in freqs.values()),
            )
        )
    elif freqs:
        ((r.per_day, r.freq_text),) = freqs.items()
        if r.interval is not None and abs(24 / r.interval - r.per_day) > 1e-9:
            r.interval = None

    if len(routes) > 1:
        r.problems.append(("route", "two different routes: " + ", ".join(sorted(routes))))
    elif routes:
        (r.route,) = routes

    if len(doses) > 1:
        # "10 mg tab, 1 tab tid": a mass followed by a form word is the tablet strength.
        plain = [d for d in doses if not d[3]]
        doses = plain if plain else doses
    if len(doses) > 1:
        r.problems.append(
            (
                "dose",
                "more than one dose: "
                + ", ".join(f"{v:g} {u or ''}".strip() for v, u, *_ in doses),
            )
        )
    elif doses and not any(where == "dose" for where, _ in r.problems):
        # a dose beside a range, a comma number or a minus sign is not read with confidence
        value, raw_unit, daily, _ = doses[0]
        _set_dose(r, value, raw_unit, "dose")
        r.dose_is_daily = r.dose_is_daily or daily
    return r


def _set_dose(r: _Read, value: float, raw_unit: str | None, where: str) -> None:
    if value <= 0:
        r.problems.append((where, f"a dose of {value:g} is not a dose"))
        return
    if raw_unit is None:
        r.problems.append((where, f"the dose {value:g} has no unit"))
        return
    if "/" in raw_unit:
        r.problems.append(
            (
                "unit",
                f"weight-based doses ('{raw_unit}') are not read; "
                "write the dose itself (for example in mg)",
            )
        )
        return
    try:
        unit = normalize_unit(raw_unit)
    except UnknownUnit:
        r.problems.append(
            (
                "unit",
                f"unit '{raw_unit}' is not one medguide knows (mg, mcg, g, mL, tablet, packet)",
            )
        )
        return
    if unit == "kg" or unit == "L":
        r.problems.append(("unit", f"'{value:g} {raw_unit}' is not a dose unit for a medicine"))
        return
    r.dose, r.unit = value, unit


def _read_fields(med: Medication) -> _Read:
    """The structured fields, read with the same rules as text."""
    r = _Read()
    if med.unit is not None:
        idx = _EP_UNITS.get(med.unit.strip().lower())
        if idx is not None:
            r.error_prone.append((idx, "unit", med.unit.strip()))
    if med.dose is not None:
        _set_dose(r, med.dose, med.unit.strip() if med.unit else None, "dose")
    elif med.unit is not None:
        try:
            normalize_unit(med.unit)
        except UnknownUnit:
            r.problems.append(("unit", f"unit '{med.unit}' is not one medguide knows"))
    if med.route is not None:
        route = _ROUTES.get(" ".join(_LETTER_DOT.sub("", med.route.lower()).split()))
        if route is None and med.route.strip().lower() in _ROUTES.values():
            route = med.route.strip().lower()
        if route is None:
            r.problems.append(("route", f"route '{med.route}' is not one medguide knows"))
        r.route = route
    if med.frequency is not None:
        f = _read_text(med.frequency)
        for idx, _, written in f.error_prone:
            r.error_prone.append((idx, "frequency", written))
        if (f.per_day is None or f.problems or f.dose is not None) and not f.prn:
            r.problems.append(("frequency", f"frequency '{med.frequency}' cannot be read"))
        r.per_day, r.interval = f.per_day, f.interval
        r.freq_text = f.freq_text if f.per_day is not None else None
        r.prn, r.bolus = f.prn, f.bolus
        r.dose_is_daily = f.dose_is_daily
    r.prn = r.prn or med.prn
    return r


def _same_dose(a: _Read, b: _Read) -> bool:
    if a.dose is None or b.dose is None or a.unit is None or b.unit is None:
        return True
    if a.unit in MASS_IN_MG and b.unit in MASS_IN_MG:
        return abs(a.dose * MASS_IN_MG[a.unit] - b.dose * MASS_IN_MG[b.unit]) < 1e-9 * max(
            1.0, a.dose * MASS_IN_MG[a.unit]
        )
    return a.unit == b.unit and abs(a.dose - b.dose) < 1e-9


def _merge(text: _Read, fields: _Read, problems: list[tuple[str, str]]) -> _Read:
    """Fields win; where both say something different, the order is ambiguous."""
    if fields.dose is not None and text.dose is not None and not _same_dose(text, fields):
        problems.append(
            (
                "dose",
                f"the text says {text.dose:g} {text.unit} but the dose field "
                f"says {fields.dose:g} {fields.unit}",
            )
        )
    if fields.route and text.route and fields.route != text.route:
        problems.append(
            ("route", f"the text says {text.route} but the route field says {fields.route}")
        )
    if (
        fields.per_day is not None
        and text.per_day is not None
        and abs(fields.per_day - text.per_day) > 1e-9
    ):
        problems.append(
            (
                "frequency",
                f"the text says '{text.freq_text}' but the frequency "
                f"field says '{fields.freq_text}'",
            )
        )
    out = _Read(
        name_text=text.name_text,
        dose=fields.dose if fields.dose is not None else text.dose,
        unit=fields.unit if fields.dose is not None else text.unit,
        dose_is_daily=fields.dose_is_daily if fields.per_day is not None else text.dose_is_daily,
        per_day=fields.per_day if fields.per_day is not None else text.per_day,
        interval=fields.interval if fields.per_day is not None else text.interval,
        freq_text=fields.freq_text if fields.per_day is not None else text.freq_text,
        route=fields.route or text.route,
        prn=fields.prn or text.prn,
        bolus=fields.bolus or text.bolus,
    )
    if text.dose_is_daily and fields.dose is None:
        out.dose_is_daily = True
    return out


def _resolve(
    catalog: Catalog, med: Medication, text_name: str, problems: list[tuple[str, str]]
) -> Resolved:
    from_text = resolve_name(catalog, text_name) if text_name else None
    if med.drug and med.drug.strip():
        from_field = resolve_name(catalog, med.drug)
        if (
            from_text is not None
            and from_text.known
            and from_field.known
            and from_text.ingredient != from_field.ingredient
        ):
            problems.append(
                (
                    "drug",
                    f"the text names {from_text.ingredient} but the drug "
                    f"field names {from_field.ingredient}",
                )
            )
        if (
            from_field.product_id is None
            and from_text is not None
            and from_text.product_id
            and from_text.drug_id == from_field.drug_id
        ):
            return from_text
        return from_field
    if from_text is not None:
        return from_text
    return Resolved(text_name, None, None, None, None, "none", 0.0)


def parse_medication(catalog: Catalog, med: Medication, index: int = 0) -> Order:
    """Read one medication (text, fields or both) into an Order; never raises on its input.

    Unreadable values are None, with an `ambiguous_order` finding in `Order.issues`.
    """
    text = (med.text or "").strip()
    problems: list[tuple[str, str]] = []
    read_text = _read_text(text) if text else _Read()
    read_fields = _read_fields(med)
    problems.extend(read_text.problems)
    problems.extend(read_fields.problems)
    read = _merge(read_text, read_fields, problems)
    name = _resolve(catalog, med, read.name_text, problems)

    route = read.route
    if name.product_id and name.drug_id:
        drug = catalog.drugs.get(name.drug_id)
        product = drug.product(name.product_id) if drug else None
        if product is not None and product.route != "any":
            if route is None:
                route = product.route
            elif route != product.route:
                problems.append(
                    (
                        "route",
                        f"{product.name} is given {product.route}, but the order says {route}",
                    )
                )

    has_dose_problem = any(f in ("dose", "unit") for f, _ in problems)
    if read.dose is None and not has_dose_problem:
        problems.append(("dose", "no dose"))
    if (
        read.per_day is None
        and not (read.prn or read.bolus or read.dose_is_daily)
        and not any(f == "frequency" for f, _ in problems)
    ):
        problems.append(("frequency", "no frequency (how often)"))

    drugs = (name.ingredient,) if name.ingredient else ()
    label = text or " ".join(
        str(x) for x in (med.drug, med.dose, med.unit, med.route, med.frequency) if x
    )
    issues = [
        _error_prone_finding(i, where, written, index, label, drugs)
        for i, where, written in dict.fromkeys(read_text.error_prone + read_fields.error_prone)
    ]
    issues.extend(_ambiguous_finding(f, msg, index, label, drugs) for f, msg in problems)

    return Order(
        index=index,
        text=label,
        name=name,
        dose=read.dose,
        unit=read.unit,
        route=route,
        doses_per_day=read.per_day,
        interval_hours=read.interval,
        frequency_text=read.freq_text,
        dose_is_daily=read.dose_is_daily,
        prn=read.prn,
        bolus=read.bolus,
        new=med.new,
        started=med.started,
        issues=tuple(issues),
    )


def _error_prone_finding(
    i: int, where: str, written: str, index: int, label: str, drugs: tuple[str, ...]
) -> Finding:
    form, why, instead = _ERROR_PRONE[i]
    return Finding(
        code="error_prone_abbreviation",
        severity="moderate",
        message=f"Medication {index + 1} ('{label}'): '{written}' is on the ISMP list of "
        f"error-prone forms, it {why}; write {instead} instead.",
        drugs=drugs,
        details={
            "medication": index,
            "form": form,
            "written": written,
            "field": where,
            "write": instead,
        },
        sources=(ISMP_SOURCE,),
    )


def _ambiguous_finding(
    where: str, problem: str, index: int, label: str, drugs: tuple[str, ...]
) -> Finding:
    return Finding(
        code="ambiguous_order",
        severity="high",
        message=f"Medication {index + 1} ('{label}') cannot be read with confidence: {problem}. "
        "It was not guessed; confirm the order with the prescriber.",
        drugs=drugs,
        details={"medication": index, "field": where, "problem": problem},
        advice=("contact_prescriber",),
    )
