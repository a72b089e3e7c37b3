"""Reading medication orders as people write them.

"Lioresal 10 mg tid", "20 mg/day divided QID", "Ozobax DS 15 mL QID", "1 tab tid",
"Gablofen 50 mcg intrathecal bolus", or structured fields (drug, dose, unit, route,
frequency, concentration), or both. Fields win when both are given; when they disagree the
order gets an `ambiguous_order` finding.

The shapes of a written prescription it reads, each into what it states (never more):

- strength and quantity: "10 mg tablet, 1 tablet PO TID", "20mg tab 2 tabs qid",
  "1/2 tab of 20 mg", "1 tab (10 mg)", "2 x 20 mg tid", a drug field "Lyvispah 10 mg" with
  "unit": "packet". A count beside a bare mass ("2 tabs 20 mg") says nothing about which is
  per tablet, so it is not read;
- ranges, read at their top and said so: "10-20 mg tid", "1-2 tabs", "every 6-8 hours"
  (its most frequent), "2-3 times a day";
- different doses by time: "10 mg BID + 20 mg HS", "5 mg in the morning, 10 mg at night",
  "10 mg morning and night" (times of day add up; frequencies must agree);
- a stated concentration ("5 mg/mL suspension 20 mL qid"), rates ("300 mcg/day",
  "400 mcg/24h", "20 mcg/h", "60 mg per day"), weight-based doses ("2 mg/kg/dose",
  "0.5 mg/kg/day divided TID"; the amount is worked out from the weight later);
- enteral routes (G-tube, NG, PEG, "via tube") as oral; numbers in words ("two tablets",
  "ten milligrams"); thousands separators ("1,000 mcg"); clock times ("at 8am and 8pm");
- a dose said two ways ("20 mg (2 tabs)", "Ozobax 5 mL (5 mg)", "2 tablets (20 mg total)"):
  read once, and the two must agree;
- what is not a dose: a quantity dispensed ("#90", "disp 90 tabs"), a duration ("x 7 days"),
  a stated ceiling ("max 40 mg/day", which bounds an as-needed order).

Two doses joined by "then", "increase", "or" are a schedule or alternatives, never added up;
a count after the frequency ("10 mg tid, 90 tabs") may be the supply, so it is not read.

Two rules a reader of orders must keep (ISMP, S86):
- an error-prone form (`_ERROR_PRONE`: "qd", "HS", "U", "cc", "µg", "5.0 mg", ".5 mg",
  "SC", "IT", "D/C", "AU", "+", …) is read as it was meant where that is unambiguous, and
  always flagged `error_prone_abbreviation` with the reason;
- anything that cannot be read with confidence (no dose, no frequency, two doses, an
  unbounded range, an unknown unit) is left as None and flagged `ambiguous_order`. The
  reader never guesses a dose.

Text is read with one compiled pattern (`_ORDER`) whose alternatives are tried left to right
at each position, so each word is claimed once ("three times a day" is a frequency, never a
dose of 3 "times").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final

from pydantic import BaseModel

from medguide.clinical.dose_severity import severity_of
from medguide.clinical.findings import Finding
from medguide.clinical.model import DosePart, Order, Resolved
from medguide.clinical.request import Medication
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.interaction_index import PairMemo
from medguide.knowledge.names import resolve_name
from medguide.units import (
    COUNT_UNITS,
    MASS_IN_MG,
    UnknownUnit,
    fmt_number,
    normalize_unit,
    parse_concentration,
    parse_rate_unit,
)

ISMP_SOURCE: Final = "S86"  # ISMP list of error-prone abbreviations (sources.yaml)

# fmt: off
_COUNT: Final[dict[str, int]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "once": 1, "twice": 2, "thrice": 3,
}
_NUM_WORD: Final = r"(?:\d+|one|two|three|four|five|six)"
_UNITS_W: Final[dict[str, int]] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9,
}
_TEENS_W: Final[dict[str, int]] = {
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS_W: Final[dict[str, int]] = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}

# Fixed numbers of doses a day (frequencies: when two are given they must agree).
_FREQ: Final[dict[str, float]] = {
    "od": 1, "qd": 1, "qday": 1, "q1d": 1, "daily": 1, "every day": 1, "each day": 1,
    "once a day": 1,
    "bid": 2, "bd": 2, "tid": 3, "tds": 3, "qid": 4, "qds": 4,
    "qod": 0.5, "every other day": 0.5, "alternate days": 0.5, "on alternate days": 0.5,
    "tiw": 3 / 7, "biw": 2 / 7, "weekly": 1 / 7, "once weekly": 1 / 7, "once a week": 1 / 7,
}
_DAILY_WORDS: Final = frozenset(
    {"daily", "od", "qd", "qday", "q1d", "every day", "each day", "once a day"}
)
# Times of day: one dose each; different times add up ("morning and night" is twice a day).
_SLOTS: Final[dict[str, str]] = {
    "in the morning": "morning", "every morning": "morning", "each morning": "morning",
    "qam": "morning", "mane": "morning", "morning": "morning", "am": "morning",
    "at breakfast": "morning", "with breakfast": "morning",
    "at noon": "noon", "noon": "noon", "midday": "noon", "at midday": "noon",
    "at lunch": "noon", "with lunch": "noon",
    "in the evening": "evening", "every evening": "evening", "each evening": "evening",
    "qpm": "evening", "evening": "evening", "pm": "evening", "at dinner": "evening",
    "with dinner": "evening", "with supper": "evening",
    "at night": "night", "every night": "night", "each night": "night", "nightly": "night",
    "nocte": "night", "night": "night", "at bedtime": "night", "bedtime": "night",
    "before bed": "night", "hs": "night", "qhs": "night", "qn": "night", "bt": "night",
}
_ROUTES: Final[dict[str, str]] = {
    "po": "oral", "by mouth": "oral", "per os": "oral", "oral": "oral", "orally": "oral",
    # enteral tubes deliver an oral product (Lyvispah's label gives tube sizes, S9)
    "g-tube": "oral", "g tube": "oral", "gtube": "oral", "gt": "oral", "peg": "oral",
    "peg tube": "oral", "ng": "oral", "ngt": "oral", "ng tube": "oral", "nasogastric": "oral",
    "nasogastric tube": "oral", "gastrostomy": "oral", "gastrostomy tube": "oral",
    "j-tube": "oral", "j tube": "oral", "gj": "oral", "gj tube": "oral", "gj-tube": "oral",
    "nj": "oral", "feeding tube": "oral", "via tube": "oral", "per tube": "oral",
    "by tube": "oral", "through the tube": "oral", "enteral": "oral", "enterally": "oral",
    "intrathecal": "intrathecal", "intrathecally": "intrathecal",
    "iv": "intravenous", "intravenous": "intravenous", "intravenously": "intravenous",
    "im": "intramuscular", "intramuscular": "intramuscular",
    "intramuscularly": "intramuscular", "topical": "topical", "topically": "topical",
    "epidural": "epidural", "epidurally": "epidural",
    "subcutaneous": "subcutaneous", "subcutaneously": "subcutaneous", "subcut": "subcutaneous",
    "sc": "subcutaneous", "sq": "subcutaneous", "subq": "subcutaneous",
    "sub q": "subcutaneous", "sub-q": "subcutaneous",
    "sublingual": "sublingual", "sl": "sublingual",
    "rectal": "rectal", "rectally": "rectal", "per rectum": "rectal",
}
_MOUTH: Final = ("po", "by mouth", "per os", "oral", "orally")
_ENTERAL: Final = frozenset(k for k, v in _ROUTES.items() if v == "oral" and k not in _MOUTH)
_FORM_WORDS: Final = (
    r"tab|tabs|tablet|tablets|cap|caps|capsule|capsules|packet|packets|sachet|sachets|"
    r"granules|oral\s+granules|pill|pills"
)
# fmt: on
_PER_DAY_KEYS: Final = {**_FREQ, **dict.fromkeys(_SLOTS, 1.0)}


def _alternation(words: Iterable[str]) -> str:
    return "|".join(
        re.escape(k).replace(r"\ ", r"\s+") for k in sorted(words, key=len, reverse=True)
    )


# Words that may follow a number without being its unit.
_NOT_UNIT: Final = (
    r"(?:x|times|a|an|per|each|every|and|or|to|at|in|for|by|with|then|of|via|through|"
    + "|".join(
        sorted(
            {w for w in _PER_DAY_KEYS if " " not in w}
            | {w for w in _ROUTES if " " not in w and "-" not in w},
            key=len,
            reverse=True,
        )
    )
    + r"|prn|as|divided|bolus|q\d*h?)\b"
)
_NUM: Final = r"(?:\d+(?:\.\d+)?|\.\d+)"
_UNIT_WORD: Final = rf"(?!{_NOT_UNIT})[a-zµμ]+\b"

_ORDER: Final = re.compile(
    # Every alternative starts a word or a number: one cheap look-behind skips the rest.
    r"(?<![a-z0-9µμ])(?:"
    + "|".join(
        (
            # frequencies that are ranges: read at their most frequent
            rf"(?P<freq_range>\b(?:q|every|each)\s*{_NUM}\s*(?:-|to|or)\s*{_NUM}\s*"
            r"(?:h|hr|hrs|hours?)\b"
            rf"|\b{_NUM_WORD}\s*(?:-|to|or)\s*{_NUM_WORD}\s*(?:x|times)\s*"
            r"(?:a|per|/|each|every)?\s*(?:day|daily|d)\b)",
            rf"(?P<interval>\b(?:q|every|each)\s*(?P<hours>{_NUM})\s*(?:h|hr|hrs|hours?)\b)",
            r"(?P<times>\b(?:(?P<tw>once|twice|thrice)|(?P<tn>\d+|one|two|three|four|five|six)"
            r"\s*(?:x|times))\s*(?:a\s+|per\s+|/\s*|each\s+|every\s+|in\s+a\s+)?"
            r"(?P<tu>day|daily|d|week|wk)\b)",
            r"(?P<divided>\bdivided(?:\s+(?:into|in))?(?:\s+(?P<dn>\d+|two|three|four|five|six)"
            r"\s+(?:divided\s+|equal\s+|separate\s+)?doses)?\b"
            r"|\bin\s+(?P<in>\d+|two|three|four|five|six)\s+(?:divided\s+|equal\s+|separate\s+)?"
            r"doses\b)",
            r"(?P<per_day>\b(?:" + _alternation(_PER_DAY_KEYS) + r")\b)",
            r"(?P<prn>\b(?:prn|as\s+needed|when\s+needed|as\s+required|if\s+needed|"
            r"when\s+required)\b)",
            r"(?P<bolus>\b(?:bolus|test\s+dose|single\s+dose)\b)",
            r"(?P<route>\b(?:" + _alternation(_ROUTES) + r")(?![\w-]))",
            r"(?P<duration>\b(?:for|x)\s*\d+\s*(?:days?|weeks?|months?|wks?|d)\b"
            r"|(?<![\w.])\d+\s*(?:days?|weeks?|months?|wks?)\b)",
            # "at 8am and 8pm", "08:00": each clock time is one dose a day
            r"(?P<clock>(?<![\w.:])(?:[01]?\d|2[0-3])(?::[0-5]\d)?\s*(?:am|pm)\b"
            r"|(?<![\w.:])(?:[01]?\d|2[0-3]):[0-5]\d\b)",
            # what is dispensed is not a dose: "#90", "disp 90 tabs", "qty: 30", "refills 2"
            r"(?P<dispense>#\s*\d+(?:\s*(?:tabs?|tablets?|packets?|ml))?\b"
            r"|\b(?:disp(?:ense)?|qty|quantity|refills?|rf)\s*[:#]?\s*\d+"
            r"(?:\s*(?:tabs?|tablets?|packets?|ml))?\b)",
            # a stated ceiling: "max 40 mg/day", "not to exceed 40 mg a day"
            rf"(?P<maxday>\b(?:max(?:imum)?|not\s+to\s+exceed|nte|no\s+more\s+than)\s*:?\s*"
            rf"(?P<mx>{_NUM})\s*(?P<mxu>mg|mcg|g|ml|tabs?|tablets?)\s*"
            r"(?:/\s*|per\s+|a\s+|in\s+|each\s+)(?:day|d|24\s*h(?:ours?|rs?)?)\b)",
            rf"(?P<conc>(?<![\w.])(?P<cv>{_NUM})\s*(?P<cu>mg|mcg|ug|µg|μg|g)\s*/\s*"
            rf"(?:(?P<cp>{_NUM})\s*)?ml\b)",
            r"(?P<comma>(?<![\w.])\d+,\d+)",
            r"(?P<negative>(?<![\w.])-\s*\.?\d)",
            # "2 x 20 mg": a count of the dose that follows ("1-2 x 10 mL": a range of counts)
            r"(?P<countx>(?<![\w.])(?:(?P<cxlo>\d+)\s*(?:-|to)\s*)?"
            r"(?P<cx>\d+(?:\.\d+)?|\d/[234])\s*(?:x|×)\s*(?=\.?\d))",
            rf"(?P<dose>(?<![\w.])(?:(?P<rlo>{_NUM})\s*(?:(?P<ru>{_UNIT_WORD})\s*)?"
            r"(?:-|–|to|or)\s*)?"
            rf"(?:(?P<fn>\d+)\s*/\s*(?P<fd>[234])(?![\d.])|(?P<num>{_NUM}))"
            rf"\s*(?P<unit>{_UNIT_WORD})?"
            r"(?P<kg>\s*(?:/\s*|per\s+)kg\b)?"
            r"(?P<per>\s*(?:(?:/\s*|per\s+|a\s+|each\s+|every\s+)"
            r"(?P<perday>day|d|24\s*h(?:ours?|rs?)?)"
            r"|(?:/\s*|per\s+|an\s+)(?P<perhour>h|hr|hrs|hour)"
            r"|(?:/\s*|per\s+)(?P<perdose>dose))\b)?"
            r"(?P<slash>\s*/\s*[a-z0-9]+\b)?"
            rf"(?P<form>\s+(?:oral\s+)?(?:{_FORM_WORDS})\b)?)",
        )
    )
    + ")"
)

# ISMP error-prone forms (S86): form → (why it is dangerous, what to write instead). They are
# recognised on the words the order pattern reads, so a form inside another word never fires.
_ERROR_PRONE: Final[dict[str, tuple[str, str]]] = {
    "qd": ("can be misread as 'qid' (four times a day)", "'daily'"),
    "q1d": ("can be misread as 'qid' (four times a day)", "'daily'"),
    "od": ("means once daily but can be mistaken for 'right eye' (oculus dexter)", "'daily'"),
    "qod": ("can be misread as 'qd' or 'qid'", "'every other day'"),
    "tiw": ("can be misread as 'three times a day' or 'twice weekly'", "'3 times weekly'"),
    "biw": ("can be misread as 'twice daily'", "'2 times weekly'"),
    "hs": ("can mean half-strength or bedtime, and is misread either way", "'at bedtime'"),
    "qhs": ("can be mistaken for 'qhr' (every hour)", "'nightly at bedtime'"),
    "qn": ("can be mistaken for 'qh' (every hour)", "'nightly'"),
    "bt": ("can be mistaken for 'BID' (twice daily)", "'at bedtime'"),
    "u": ("can be misread as 0, 4 or 'cc', a many-fold error", "'units'"),
    "iu": ("can be misread as 'IV' (intravenous) or '10' (ten)", "'units'"),
    "cc": ("can be misread as 'U' (units)", "'mL'"),
    "µg": ("can be misread as 'mg', a thousand-fold error", "'mcg'"),
    "sc": ("can be mistaken for 'SL' (sublingual) or '5 every'", "'subcut' or 'subcutaneously'"),
    "sq": ("can be mistaken for '5 every'", "'subcut' or 'subcutaneously'"),
    "subq": ("the 'q' can be mistaken for 'every'", "'subcut' or 'subcutaneously'"),
    "it": (
        "can be mistaken for intratracheal, intratympanic or inhalation therapy",
        "'intrathecal'",
    ),
    "per os": ("'os' can be mistaken for 'left eye'", "'PO', 'by mouth' or 'orally'"),
    "d/c": (
        "is misread as discharge or as discontinue, so medicines meant to continue get stopped",
        "'discharge' or 'discontinue'",
    ),
    "au": ("means both ears but can be mistaken for 'OU' (both eyes)", "'both ears'"),
    "as": ("means left ear but can be mistaken for 'OS' (left eye)", "'left ear'"),
    "ad": ("means right ear but can be mistaken for 'OD' (right eye)", "'right ear'"),
    "ud": ("means 'as directed' but can be mistaken for 'unit dose'", "'as directed'"),
    "ss": ("can mean sliding scale or one-half, and is misread as '55'", "'one-half' or '1/2'"),
    "x3d": ("can be mistaken for 'three doses'", "'for 3 days'"),
    "+": ("can be mistaken for the number 4", "'and'"),
    "°": ("(for hour) can be mistaken for a zero, so 'q2°' is read as 'q20'", "'hr' or 'hour'"),
    "gr": ("(grain, an apothecary unit) can be mistaken for gram", "the metric unit, mg"),
    "ij": ("(injection) can be mistaken for 'IV' or 'intrajugular'", "'injection'"),
    "q6pm": ("(nightly at 6 PM) can be mistaken for every 6 hours", "'daily at 6 PM'"),
    "&": ("can be mistaken for the number 2", "'and'"),
    "@": ("can be mistaken for the number 2", "'at'"),
    ">": ("can be mistaken for its opposite, '<'", "'more than'"),
    "<": ("can be mistaken for its opposite, '>'", "'less than'"),
    "trailing zero": (
        "has a trailing zero; if the point is missed the dose is read ten times too high",
        "the whole number without '.0'",
    ),
    "naked decimal": (
        "has no zero before the decimal point; if the point is missed the dose is read ten "
        "times too high",
        "a leading zero, as in 0.5",
    ),
}
_EP_WORDS: Final = frozenset(
    {"qd", "q1d", "od", "qod", "tiw", "biw", "hs", "qhs", "qn", "bt", "sc", "sq", "subq"}
)
_EP_UNITS: Final[dict[str, str]] = {"u": "u", "iu": "iu", "cc": "cc", "µg": "µg", "μg": "µg"}
# Forms read from the original text: ear abbreviations only in capitals (lower case "as" is
# the English word), symbols, and words the pattern does not otherwise claim.
_EP_RAW: Final[tuple[tuple[re.Pattern[str], str], ...]] = (
    (re.compile(r"(?<![A-Za-z])(?:AU|A\.U\.|a\.u\.)(?![A-Za-z])"), "au"),
    (re.compile(r"(?<![A-Za-z])(?:AS|A\.S\.|a\.s\.)(?![A-Za-z])"), "as"),
    (re.compile(r"(?<![A-Za-z])(?:AD|A\.D\.|a\.d\.)(?![A-Za-z])"), "ad"),
    (re.compile(r"(?<![A-Za-z])(?:UD|U\.D\.|u\.d\.|ud)(?![A-Za-z])"), "ud"),
    (re.compile(r"(?<![A-Za-z])[Dd]\s*/\s*[Cc](?![A-Za-z])"), "d/c"),
    (re.compile(r"(?<![A-Za-z])(?:SS|ss)(?![A-Za-z])"), "ss"),
    (re.compile(r"(?<![A-Za-z])[xX]\s*\d+\s*[dD](?![A-Za-z])"), "x3d"),
    (re.compile(r"(?<![A-Za-z])(?:per\s+os|PER\s+OS|Per\s+os)(?![A-Za-z])"), "per os"),
    (re.compile(r"\+"), "+"),
    (re.compile(r"&"), "&"),
    (re.compile(r"@"), "@"),
    (re.compile(r"°"), "°"),
    (re.compile(r"(?<![A-Za-z])(?:IJ|ij|I\.J\.)(?![A-Za-z])"), "ij"),
    (re.compile(r"(?<![A-Za-z])[Qq]\s*\d{1,2}\s*(?:PM|pm)(?![A-Za-z])"), "q6pm"),
    (re.compile(r"(?<![A-Za-z])\d+(?:\.\d+)?\s*(?:gr|GR)(?![A-Za-z])"), "gr"),
    (re.compile(r">"), ">"),
    (re.compile(r"<"), "<"),
)
# "IT" in capitals is intrathecal (and error-prone); lower-case "it" is the pronoun.
_IT: Final = re.compile(r"(?<![A-Za-z])(?:IT|I\.T\.|i\.t\.)(?![A-Za-z])")
_LETTER_DOT: Final = re.compile(r"(?<=[a-z])\.(?![0-9])")
_THOUSANDS: Final = re.compile(r"(?<![\d.,])(\d{1,3}(?:,\d{3})+)(?![\d,]|\.\d)")
_TENS_UNITS: Final = re.compile(
    r"\b(" + "|".join(_TENS_W) + r")[\s-]+(" + "|".join(_UNITS_W) + r")\b"
)
_ONE_WORD: Final = re.compile(r"\b(" + "|".join((*_TENS_W, *_TEENS_W, *_UNITS_W)) + r")\b")
_HUNDRED: Final = re.compile(r"\b(\d+)\s+hundred\b")
_HALF: Final = re.compile(
    r"\b(?:one\s+and\s+a\s+half)\b|\b(?:a\s+half|one\s+half|half\s+an?|half)\b"
)
# Words that make two doses steps of a schedule over time, not parts of one day.
_SEQUENCE: Final = re.compile(
    r"\b(?:then|increas\w*|decreas\w*|reduc\w*|after|followed|thereafter|until|titrat\w*|"
    r"taper\w*|weeks?|wks?|or|if)\b"
)
_ALTERNATIVE: Final = re.compile(r"\b(?:or|if)\b")
_STRAY_UNIT: Final = re.compile(
    r"(?<![\w/])(?:mg|mcg|ug|µg|μg|g|ml|cc|units?|iu|tabs?|tablets?|packets?)(?![\w/])"
)
_OF_BEFORE: Final = re.compile(r"\bof\s*$")
_ASIDE_BEFORE: Final = re.compile(r"(?:\(|=)\s*$")
_TOTAL_AFTER: Final = re.compile(r"\s*total\b")


def _words_to_numbers(s: str) -> str:
    """Numbers in words as digits ("two tablets" → "2 tablets", "one half" → "1/2")."""
    s = _HALF.sub(lambda m: "1.5" if m.group(0).startswith("one and") else "1/2", s)
    s = _TENS_UNITS.sub(lambda m: str(_TENS_W[m.group(1)] + _UNITS_W[m.group(2)]), s)
    s = _ONE_WORD.sub(
        lambda m: str({**_TENS_W, **_TEENS_W, **_UNITS_W}[m.group(1)]),
        s,
    )
    return _HUNDRED.sub(lambda m: str(int(m.group(1)) * 100), s)


@dataclass
class _DoseText:
    """One dose the text wrote, before it is known whether it is a dose or a strength."""

    value: float
    unit: str | None
    written: str
    low: float | None = None
    per: str | None = None  # "day", "hour" or "dose"
    per_kg: bool = False
    strength_like: bool = False  # "10 mg tablet", "of 20 mg": the strength of each unit
    aside: bool = False  # "(10 mg)", "= 2 tabs": the same dose said another way
    total: bool = False  # "(20 mg total)": the whole dose
    count: float | None = None  # "2 x 20 mg": 2
    count_low: float | None = None


@dataclass
class _Segment:
    freqs: dict[float, str] = field(default_factory=dict)
    slots: dict[str, str] = field(default_factory=dict)
    daily_words: list[str] = field(default_factory=list)


@dataclass
class _Read:
    """What the text (or a structured field) said, before fields and products are applied."""

    name_text: str = ""
    dose: float | None = None
    unit: str | None = None
    dose_is_daily: bool = False
    daily_factor: float = 1.0
    per_day: float | None = None
    interval: float | None = None
    freq_text: str | None = None
    route: str | None = None
    route_text: str | None = None
    prn: bool = False
    bolus: bool = False
    strength: tuple[float, str] | None = None
    concentration: tuple[float, str] | None = None
    per_kg: bool = False
    dose_low: float | None = None
    parts: tuple[DosePart, ...] = ()
    max_daily: tuple[float, str] | None = None
    stated_volume: float | None = None
    sequence: bool = False
    alternative: bool = False
    frequency_moot: bool = False  # the doses themselves could not be read as one regimen
    notes: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)
    error_prone: list[tuple[str, str, str]] = field(default_factory=list)  # form, field, text


def _count(word: str) -> int:
    return _COUNT[word] if word in _COUNT else int(word)


def _fraction(text: str) -> float:
    if "/" in text:
        a, b = text.split("/")
        return int(a) / int(b)
    return float(text)


def _number(m: re.Match[str]) -> float:
    if m.group("fn"):
        return int(m.group("fn")) / int(m.group("fd"))
    return float(m.group("num"))


def _unit_of(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return normalize_unit(raw)
    except UnknownUnit:
        return None


def _decimal_forms(r: _Read, *numbers: str | None) -> None:
    for num in numbers:
        if num and "." in num:
            if num[0] == ".":
                r.error_prone.append(("naked decimal", "text", num))
            elif not num.split(".", 1)[1].strip("0"):
                r.error_prone.append(("trailing zero", "text", num))


def _frequency_of(seg: _Segment, r: _Read, dose_is_daily: bool) -> tuple[float, str] | None:
    """How many doses a day one segment of the order states, or None."""
    if len(seg.freqs) > 1:
        r.problems.append(
            (
                "frequency",
                "two different frequencies: " + " and ".join(f"'{t}'" for t in seg.freqs.values()),
            )
        )
        return None
    times = " and ".join(seg.slots.values())
    if seg.freqs:
        ((n, text),) = seg.freqs.items()
        # "bid at 8am and 8pm" agrees; "tid at night" or "daily ... tid" does not
        clash = (seg.slots and n >= 1 and len(seg.slots) != n and times) or (
            seg.daily_words and n != 1 and not dose_is_daily and seg.daily_words[0]
        )
        if clash:
            r.problems.append(("frequency", f"two different frequencies: '{text}' and '{clash}'"))
            return None
        return n, text
    if seg.slots:
        if seg.daily_words and len(seg.slots) > 1 and not dose_is_daily:
            r.problems.append(
                ("frequency", f"'{seg.daily_words[0]}' is once a day but '{times}' is more")
            )
            return None
        return float(len(seg.slots)), times
    if seg.daily_words and not dose_is_daily:
        return 1.0, seg.daily_words[0]
    return None


@lru_cache(maxsize=4096)
def _read_text(text: str) -> _Read:
    """Read an order text. Cached: the same strings recur across requests; callers must not
    change the result."""
    r = _Read()
    for pattern, form in _EP_RAW:
        r.error_prone.extend((form, "text", m.group(0)) for m in pattern.finditer(text))
    raw = text
    it = _IT.search(raw)
    if it is not None:
        r.error_prone.append(("it", "text", it.group(0)))
        raw = _IT.sub(" intrathecal ", raw)
    s = raw.lower()
    if "." in s:
        s = _LETTER_DOT.sub("", s)
    if "," in s:
        s = _THOUSANDS.sub(lambda m: m.group(1).replace(",", ""), s)
    s = _words_to_numbers(s)
    if any(c in s for c in "½¼¾"):
        s = s.replace("½", " 1/2").replace("¼", " 1/4").replace("¾", " 3/4")
    segments: list[_Segment] = [_Segment()]
    dose_segment: list[int] = []  # the segment each entry of `doses` opened
    divided_n: int | None = None
    divided = False
    doses: list[_DoseText] = []
    routes: dict[str, str] = {}
    concentrations: dict[tuple[float, str], str] = {}
    count: tuple[float, float | None] | None = None
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
        seg = segments[-1]
        if kind == "interval":
            hours = float(m.group("hours"))
            if hours <= 0:
                r.problems.append(("frequency", f"'{word}' is not an interval"))
            else:
                seg.freqs.setdefault(24 / hours, word)
                r.interval = hours
        elif kind == "times":
            n = _count(m.group("tw") or m.group("tn"))
            unit = m.group("tu")
            seg.freqs.setdefault(n / 7 if unit in ("week", "wk") else float(n), word)
        elif kind == "per_day":
            key = " ".join(word.split())
            if key in _EP_WORDS:
                r.error_prone.append((key, "text", word))
            if key in _SLOTS:
                seg.slots.setdefault(_SLOTS[key], word)
            elif key in _DAILY_WORDS:
                seg.daily_words.append(word)
            else:
                seg.freqs.setdefault(float(_FREQ[key]), word)
        elif kind == "divided":
            divided = True
            n_text = m.group("dn") or m.group("in")
            if n_text:
                divided_n = _count(n_text)
        elif kind == "clock":
            key = re.sub(r"\s+", "", word)
            seg.slots.setdefault(f"clock {key}", word.strip())
        elif kind == "dispense":
            r.notes.append(f"'{word.strip()}' is the quantity dispensed, not a dose")
        elif kind == "maxday":
            unit = _unit_of(m.group("mxu"))
            if unit is not None and float(m.group("mx")) > 0:
                r.max_daily = (float(m.group("mx")), unit)
                r.notes.append(f"'{word.strip()}' is a stated ceiling a day")
        elif kind == "prn":
            r.prn = True
        elif kind == "bolus":
            r.bolus = True
        elif kind == "route":
            key = " ".join(word.split())
            ep = {"sub q": "subq", "sub-q": "subq"}.get(key, key)
            if ep in _EP_WORDS:
                r.error_prone.append((ep, "text", word))
            routes.setdefault(_ROUTES[key], word)
            if _ROUTES[key] == "oral" and key in _ENTERAL:
                r.notes.append(f"'{word.strip()}' is an enteral tube: read as the oral route")
        elif kind == "conc":
            per = float(m.group("cp")) if m.group("cp") else 1.0
            unit = _unit_of(m.group("cu")) or "mg"
            if m.group("cu") in _EP_UNITS:
                r.error_prone.append((_EP_UNITS[m.group("cu")], "text", m.group("cu")))
            if per > 0 and float(m.group("cv")) > 0:
                concentrations.setdefault((float(m.group("cv")) / per, unit), word.strip())
        elif kind == "countx":
            count = (_fraction(m.group("cx")), float(m.group("cxlo")) if m.group("cxlo") else None)
        elif kind == "dose":
            raw_unit = m.group("unit") or m.group("ru")
            _decimal_forms(r, m.group("num"), m.group("rlo"))
            if raw_unit in _EP_UNITS:
                r.error_prone.append((_EP_UNITS[raw_unit], "text", raw_unit))
            per_word = (
                "day"
                if m.group("perday")
                else "hour"
                if m.group("perhour")
                else "dose"
                if m.group("perdose")
                else None
            )
            if m.group("slash"):
                r.problems.append(("unit", f"'{word.strip()}' has a unit medguide does not read"))
                continue
            d = _DoseText(
                value=_number(m),
                unit=raw_unit,
                written=word.strip(),
                low=float(m.group("rlo")) if m.group("rlo") else None,
                per=per_word,
                per_kg=m.group("kg") is not None,
                strength_like=m.group("form") is not None
                or bool(_OF_BEFORE.search(s[: m.start()])),
                aside=bool(_ASIDE_BEFORE.search(s[: m.start()])),
                total=bool(_TOTAL_AFTER.match(s, m.end())),
            )
            if count is not None:
                d.count, d.count_low = count
                count = None
            if (
                _is_count(d)
                and (seg.freqs or seg.slots)
                and doses
                and not any(_is_count(x) for x in doses)
            ):
                # "10 mg tid, 90 tabs": a count after the frequency is most often the supply
                r.problems.append(
                    (
                        "dose",
                        f"'{d.written}' after the frequency may be the quantity to dispense "
                        "(write it as 'disp 90'), or the dose",
                    )
                )
            if d.strength_like or d.aside or (doses and _is_count(doses[-1]) and not _is_count(d)):
                # a strength belongs to the dose it describes, never opens a new one
                dose_segment.append(len(segments) - 1)
            else:
                if doses:
                    segments.append(_Segment())
                dose_segment.append(len(segments) - 1)
            doses.append(d)
        elif kind == "freq_range":
            nums = [float(x) for x in re.findall(r"\d+(?:\.\d+)?|\.\d+", word)]
            nums += [float(_COUNT[w]) for w in re.findall(r"[a-z]+", word) if w in _COUNT]
            if re.search(r"h(?:r|rs|ours?)?\b", word):
                shortest = min(nums)
                if shortest <= 0:
                    r.problems.append(("frequency", f"'{word}' is not an interval"))
                    continue
                seg.freqs.setdefault(24 / shortest, word)
                r.notes.append(f"'{word.strip()}' read at its most frequent, every {shortest:g} h")
            else:
                seg.freqs.setdefault(max(nums), word)
                r.notes.append(f"'{word.strip()}' read at its most frequent, {max(nums):g} a day")
        elif kind == "comma":
            r.problems.append(("dose", f"'{word}' has a comma in a number"))
        elif kind == "negative":
            r.problems.append(("dose", "a dose cannot be negative"))
    leftover.append(s[pos:])
    # A unit word with no number beside it ("baclofen mcg 10 tid") means the order is not
    # what it seems: nothing claimed it, so it is said, not dropped.
    stray = [w for chunk in leftover[1:] for w in _STRAY_UNIT.findall(chunk)]
    if stray and cut < len(s) and not any(where == "dose" for where, _ in r.problems):
        r.problems.append(("unit", f"'{stray[0]}' stands without a number"))

    # Name: the words before the first dose or frequency (route words may belong to a brand,
    # as in "Lioresal Intrathecal"); else whatever words no pattern claimed.
    r.name_text = s[:cut].strip(" ,;:-/(")
    if not r.name_text:
        r.name_text = " ".join(" ".join(leftover).split()).strip(" ,;:-/(")

    if len(concentrations) > 1:
        r.problems.append(("dose", "two concentrations: " + ", ".join(concentrations.values())))
    elif concentrations:
        ((r.concentration, _),) = concentrations.items()

    if len(routes) > 1:
        r.problems.append(("route", "two different routes: " + ", ".join(sorted(routes))))
    elif routes:
        ((r.route, r.route_text),) = routes.items()

    r.sequence = _SEQUENCE.search(s) is not None
    r.alternative = _ALTERNATIVE.search(s) is not None
    _doses_into(r, doses, dose_segment, segments, divided, divided_n)
    return r


def _is_count(d: _DoseText) -> bool:
    return _unit_of(d.unit) in COUNT_UNITS


def _doses_into(
    r: _Read,
    doses: list[_DoseText],
    dose_segment: list[int],
    segments: list[_Segment],
    divided: bool,
    divided_n: int | None,
) -> None:
    """Sort the written doses into the dose, its strength and its parts, and set them."""
    dose_problem = any(where == "dose" for where, _ in r.problems)
    counts = [d for d in doses if _is_count(d)]
    masses = [d for d in doses if not _is_count(d)]
    strengths = [d for d in masses if d.strength_like and d.low is None and not d.per]
    main: list[tuple[_DoseText, int]] = []
    volumes = [d for d in doses if _unit_of(d.unit) == "mL" and d.low is None and d.count is None]
    plain_mass = [d for d in masses if d.low is None and not d.per and not d.per_kg]
    pair = len(doses) == 2 and len(counts) == 1 and len(plain_mass) == 1
    if not counts and len(volumes) == 1 and len(doses) == 2 and doses[1].aside:
        # "Ozobax 5 mL (5 mg) tid": the mass is the dose, the volume is checked against it
        vol, mass = doses
        r.stated_volume = vol.value
        r.notes.append(f"'{vol.written}' is given as '{mass.written}'")
        main = [(mass, dose_segment[0])]
    elif pair and (
        (_is_count(doses[1]) and doses[1].aside) or (not _is_count(doses[1]) and doses[1].total)
    ):
        # "20 mg (2 tabs)", "20 mg = 2 tabs", "2 tablets (20 mg total)": the mass is the dose
        c, mass = counts[0], plain_mass[0]
        r.notes.append(f"'{mass.written}' is the dose, given as '{c.written}'")
        main = [(mass, dose_segment[0])]
    elif (
        pair
        and not plain_mass[0].strength_like
        and doses.index(counts[0]) == 0
        and (counts[0].value != 1 or counts[0].low is not None or counts[0].count is not None)
    ):
        # "2 tabs 20 mg", "2 tabs (20 mg)": each tablet, or the whole dose? Not said.
        c, mass = counts[0], plain_mass[0]
        r.problems.append(
            (
                "dose",
                f"'{c.written}' and '{mass.written}': it is not said whether "
                f"{mass.written} is each {_unit_of(c.unit)} or the whole dose",
            )
        )
        dose_problem = True
        main = [(c, dose_segment[0])]
    elif counts and strengths:
        main = [(d, i) for d, i in zip(doses, dose_segment, strict=True) if d not in strengths]
        distinct = {(s.value, _unit_of(s.unit)) for s in strengths}
        if len(distinct) > 1:
            r.problems.append(("dose", "two strengths: " + ", ".join(s.written for s in strengths)))
        else:
            _set_strength(r, strengths[0])
            # "10 mg tablet, 2 tablets (20 mg)": the mass aside must be count × strength
            asides = [d for d, _ in main if d.aside and not _is_count(d)]
            main_counts = [d for d, _ in main if _is_count(d)]
            if asides and len(main_counts) == 1 and r.strength is not None:
                each = r.strength[0] * MASS_IN_MG[r.strength[1]]
                c = main_counts[0]
                for a in asides:
                    said = a.value * MASS_IN_MG.get(_unit_of(a.unit) or "", float("nan"))
                    if abs(c.value * (c.count or 1) * each - said) > 1e-9 * max(said, 1e-9):
                        r.problems.append(
                            ("dose", f"'{c.written}' of {strengths[0].written} is not {a.written}")
                        )
                        dose_problem = True
                main = [(d, i) for d, i in main if d not in asides]
    elif pair:
        # "10 mg 1-2 tabs", "Baclofen 10mg Tablet 1.5 TAB": a mass before the count describes
        # the product, as on a label; "1 tab (10 mg)": one tablet of 10 mg either way.
        c, mass = counts[0], plain_mass[0]
        _set_strength(r, mass)
        main = [(c, dose_segment[doses.index(c)])]
    else:
        main = list(zip(doses, dose_segment, strict=True))

    # Every frequency before the first dose belongs to it; a segment is the dose that opens
    # it and the frequencies that follow.
    by_segment: dict[int, list[_DoseText]] = {}
    for d, i in main:
        by_segment.setdefault(i, []).append(d)
    if divided_n is not None:
        segments[0].freqs.setdefault(float(divided_n), f"in {divided_n} doses")
    if (
        len(main) > 1
        and len(by_segment) == len(main)
        and all(_frequency_of(segments[i], _Read(), False) is not None for i in by_segment)
    ):
        if r.sequence:
            written = ", ".join(d.written for d, _ in main)
            r.problems.append(
                (
                    "dose",
                    f"two alternative doses ({written}): which one is meant is not said"
                    if r.alternative
                    else f"the doses are steps of a schedule over time, not parts of one day "
                    f"({written}); write each step as its own order or use a plan",
                )
            )
            r.frequency_moot = True
            return
        _set_parts(r, [(d, segments[i]) for d, i in main], dose_problem)
        return
    merged = _Segment()
    for seg in segments:
        for k, v in seg.freqs.items():
            merged.freqs.setdefault(k, v)
        for k2, v2 in seg.slots.items():
            merged.slots.setdefault(k2, v2)
        merged.daily_words.extend(seg.daily_words)
    freq = _frequency_of(merged, r, divided or any(d.per in ("day", "hour") for d, _ in main))
    if freq is not None:
        r.per_day, r.freq_text = freq
        if r.interval is not None and abs(24 / r.interval - r.per_day) > 1e-9:
            r.interval = None
    else:
        r.interval = None
    if len(main) > 1:
        r.problems.append(("dose", "more than one dose: " + ", ".join(d.written for d, _ in main)))
    elif main and not dose_problem:
        _set_dose_text(r, main[0][0])
    if divided:
        r.dose_is_daily = True


def _set_strength(r: _Read, d: _DoseText) -> None:
    unit = _unit_of(d.unit)
    if unit in MASS_IN_MG and d.value > 0:
        r.strength = (d.value, unit)
    else:
        r.problems.append(("dose", f"'{d.written}' is not a strength in mg or mcg"))


def _set_dose_text(r: _Read, d: _DoseText) -> None:
    value = d.value
    if d.count is not None:
        value = d.count * d.value
        note = f"'{fmt_number(d.count)} x {d.written}' is {fmt_number(value)} {d.unit or ''}"
        if d.count_low is not None:
            note += ", the top of the range of counts; it is checked at the top of the range"
            r.dose_low = d.count_low * d.value
        r.notes.append(note.strip())
    if d.low is not None:
        if d.low >= d.value:
            r.problems.append(("dose", f"'{d.written}' is not a range that rises"))
            return
        r.dose_low = d.low * (d.count or 1)
        r.notes.append(f"'{d.written}' is a range; it is checked at the top of the range")
    if d.per_kg:
        r.per_kg = True
    if d.per in ("day", "hour"):
        r.dose_is_daily = True
        r.daily_factor = 24.0 if d.per == "hour" else 1.0
    _set_dose(r, value, d.unit, "dose")
    if r.dose is None:
        r.dose_low, r.per_kg, r.dose_is_daily, r.daily_factor = None, False, False, 1.0


def _set_parts(r: _Read, parts: list[tuple[_DoseText, _Segment]], dose_problem: bool) -> None:
    """An order with different doses by time: each part with its own frequency."""
    out: list[DosePart] = []
    for d, seg in parts:
        freq = _frequency_of(seg, r, False)
        unit = _unit_of(d.unit)
        if freq is None or unit is None or d.low is not None or d.per or d.per_kg or d.value <= 0:
            r.problems.append(("dose", f"the part '{d.written}' cannot be read with confidence"))
            return
        value = d.value * (d.count or 1)
        out.append(DosePart(value, unit, freq[0], freq[1]))
    if len({_kind(p.unit) for p in out}) > 1:
        r.problems.append(("dose", "the parts are written in different kinds of unit"))
        return
    if dose_problem:
        return
    r.parts = tuple(out)
    biggest = max(out, key=lambda p: p.dose * MASS_IN_MG.get(p.unit, 1.0))
    r.dose, r.unit = biggest.dose, biggest.unit
    r.per_day = sum(p.doses_per_day for p in out)
    r.freq_text = " + ".join(f"{fmt_number(p.dose)} {p.unit} {p.when}" for p in out)
    r.notes.append("different doses by time: " + r.freq_text)


def _kind(unit: str) -> str:
    return "mass" if unit in MASS_IN_MG else unit


def _set_dose(r: _Read, value: float, raw_unit: str | None, where: str) -> None:
    if value <= 0:
        r.problems.append((where, f"a dose of {value:g} is not a dose"))
        return
    if raw_unit is None:
        r.problems.append((where, f"the dose {value:g} has no unit"))
        return
    rate = parse_rate_unit(raw_unit) if "/" in raw_unit else None
    if rate is not None:
        unit, factor = rate
        r.dose, r.unit, r.dose_is_daily, r.daily_factor = value, unit, True, factor
        return
    if "/" in raw_unit:
        r.problems.append(
            (
                "unit",
                f"unit '{raw_unit}' is not read; write the dose itself (for example in mg), "
                "a rate (mcg/day) or a dose per kg (mg/kg/dose)",
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
    if unit == "kg" or unit == "L" or unit == "lb":
        r.problems.append(("unit", f"'{value:g} {raw_unit}' is not a dose unit for a medicine"))
        return
    if r.per_kg and unit not in MASS_IN_MG:
        r.problems.append(("unit", f"a dose per kg must be a mass per kg, not '{raw_unit}/kg'"))
        return
    r.dose, r.unit = value, unit


def _read_fields(med: Medication) -> _Read:
    """The structured fields, read with the same rules as text."""
    r = _Read()
    rate = med.unit is not None and parse_rate_unit(med.unit) is not None
    if med.unit is not None:
        form = _EP_UNITS.get(med.unit.strip().lower())
        if form is not None:
            r.error_prone.append((form, "unit", med.unit.strip()))
    if med.dose is not None:
        _set_dose(r, med.dose, med.unit.strip() if med.unit else None, "dose")
    elif med.unit is not None and not rate:
        try:
            normalize_unit(med.unit)
        except UnknownUnit:
            r.problems.append(("unit", f"unit '{med.unit}' is not one medguide knows"))
    if med.concentration is not None:
        r.concentration = parse_concentration(med.concentration)
    if med.route is not None:
        key = " ".join(_LETTER_DOT.sub("", med.route.lower()).split())
        route = "intrathecal" if key == "it" else _ROUTES.get(key)
        if route is None and key in set(_ROUTES.values()):
            route = key
        if route is None:  # "via G-tube", "by mouth (PO)": the words the text reader knows
            in_words = _read_text(med.route)
            if in_words.route is not None and not in_words.problems and in_words.dose is None:
                route = in_words.route
        if route is None:
            r.problems.append(("route", f"route '{med.route}' is not one medguide knows"))
        elif key in _EP_WORDS or key == "it":
            r.error_prone.append((key, "route", med.route.strip()))
        r.route, r.route_text = route, med.route
    if med.times and med.frequency is None and not rate:
        r.per_day, r.freq_text = float(len(med.times)), " and ".join(med.times)
    if med.frequency is not None and not rate:
        f = _read_text(med.frequency)
        for form, _, written in f.error_prone:
            r.error_prone.append((form, "frequency", written))
        if (f.per_day is None or f.problems or f.dose is not None) and not (f.prn or f.bolus):
            r.problems.append(("frequency", f"frequency '{med.frequency}' cannot be read"))
        r.per_day, r.interval = f.per_day, f.interval
        r.freq_text = f.freq_text if f.per_day is not None else None
        r.prn, r.bolus = f.prn, f.bolus
        r.dose_is_daily = r.dose_is_daily or f.dose_is_daily
        r.notes.extend(f.notes)
    if (
        med.times
        and med.frequency is not None
        and r.per_day is not None
        and r.per_day >= 1
        and abs(r.per_day - len(med.times)) > 1e-9
    ):
        r.problems.append(
            (
                "frequency",
                f"frequency '{med.frequency}' is {fmt_number(r.per_day)} a day but "
                f"{len(med.times)} clock times are given",
            )
        )
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
    if (
        fields.concentration is not None
        and text.concentration is not None
        and fields.concentration != text.concentration
    ):
        problems.append(("dose", "the text and the concentration field give two concentrations"))
    use_fields = fields.dose is not None
    src = fields if use_fields else text
    out = _Read(
        name_text=text.name_text,
        dose=src.dose,
        unit=src.unit,
        dose_is_daily=src.dose_is_daily,
        daily_factor=src.daily_factor,
        per_day=fields.per_day if fields.per_day is not None else text.per_day,
        interval=fields.interval if fields.per_day is not None else text.interval,
        freq_text=fields.freq_text if fields.per_day is not None else text.freq_text,
        route=fields.route or text.route,
        route_text=fields.route_text if fields.route else text.route_text,
        prn=fields.prn or text.prn,
        bolus=fields.bolus or text.bolus,
        strength=text.strength,
        concentration=fields.concentration or text.concentration,
        per_kg=src.per_kg,
        dose_low=src.dose_low,
        parts=() if use_fields else text.parts,
        max_daily=text.max_daily,
        stated_volume=None if use_fields else text.stated_volume,
        notes=[*text.notes, *fields.notes],
    )
    if fields.per_day is not None and fields.dose_is_daily:
        out.dose_is_daily = True
    if text.dose_is_daily and not use_fields and fields.per_day is not None:
        out.dose_is_daily = True
    return out


def _resolve(
    catalog: Catalog, med: Medication, text_name: str, drug_name: str | None,
    problems: list[tuple[str, str]],
) -> Resolved:  # fmt: skip
    from_text = resolve_name(catalog, text_name) if text_name else None
    if drug_name:
        from_field = resolve_name(catalog, drug_name)
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


PARSE_MEMO_LIMIT = 2_000  # parsed orders kept per catalog; the oldest go first


def _model_key(model: BaseModel) -> tuple[object, ...]:
    """The values of a validated (frozen) request model, each with its type, so that equal
    keys mean the same input: 10 and 10.0, or "1" and 1, never share an entry."""
    return tuple(
        (name, type(value), _model_key(value) if isinstance(value, BaseModel) else value)
        for name, value in model.__dict__.items()
    )


def parse_medication(catalog: Catalog, med: Medication, index: int = 0) -> Order:
    """Read one medication (text, fields or both) into an Order; never raises on its input.

    Unreadable values are None, with an `ambiguous_order` finding in `Order.issues`. The
    reading is a pure function of the catalog, the medication's fields and its position, so
    it is memoized (bounded, on the catalog): a population repeats the same orders.
    """
    memo = catalog.derived("orders.parse_memo", lambda: PairMemo(limit=PARSE_MEMO_LIMIT))
    key = (index, _model_key(med))
    found = memo.get(key)
    if not isinstance(found, Order):
        found = _parse_medication(catalog, med, index)
        memo.put(key, found)
    return found


def _parse_medication(catalog: Catalog, med: Medication, index: int) -> Order:
    text = (med.text or "").strip()
    problems: list[tuple[str, str]] = []
    read_text = _read_text(text) if text else _Read()
    read_fields = _read_fields(med)
    problems.extend(read_text.problems)
    problems.extend(read_fields.problems)
    # A strength written into the drug field ("Lyvispah 10 mg", "baclofen 20 mg tablets")
    drug_name = med.drug.strip() if med.drug and med.drug.strip() else None
    drug_strength: tuple[float, str] | None = None
    if drug_name and re.search(r"\d", drug_name):
        in_name = _read_text(drug_name)
        if in_name.name_text and in_name.dose is not None and in_name.per_day is None:
            drug_name = in_name.name_text
            if in_name.unit in MASS_IN_MG and not (in_name.dose_is_daily or in_name.per_kg):
                drug_strength = (in_name.dose, in_name.unit)
            elif in_name.concentration is None:
                problems.append(("drug", f"the drug field '{med.drug}' holds a dose"))
        elif in_name.name_text and in_name.concentration is not None and in_name.dose is None:
            drug_name = in_name.name_text
        if in_name.concentration is not None and read_fields.concentration is None:
            read_fields.concentration = in_name.concentration
    read = _merge(read_text, read_fields, problems)
    if read.strength is None:
        read.strength = drug_strength
    name = _resolve(catalog, med, read.name_text, drug_name, problems)

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

    if read.stated_volume is not None and read.dose is not None and read.unit in MASS_IN_MG:
        _check_volume(catalog, name, read, problems)
    has_dose_problem = any(f in ("dose", "unit") for f, _ in problems)
    if read.dose is None and not has_dose_problem:
        problems.append(("dose", "no dose"))
    if (
        read.per_day is None
        and not (read.prn or read.bolus or read.dose_is_daily or read_text.frequency_moot)
        and not any(f == "frequency" for f, _ in problems)
    ):
        problems.append(("frequency", "no frequency (how often)"))

    drugs = (name.ingredient,) if name.ingredient else ()
    label = text or " ".join(
        str(x)
        for x in (med.drug, med.dose, med.unit, med.route, med.frequency, med.concentration)
        if x
    )
    issues = [
        _error_prone_finding(form, where, written, index, label, drugs)
        for form, where, written in dict.fromkeys(read_text.error_prone + read_fields.error_prone)
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
        strength=read.strength,
        concentration=read.concentration,
        per_kg=read.per_kg,
        daily_factor=read.daily_factor,
        dose_low=read.dose_low,
        parts=read.parts,
        notes=tuple(read.notes),
        route_text=read.route_text,
        max_daily=read.max_daily,
    )


def _check_volume(
    catalog: Catalog, name: Resolved, read: _Read, problems: list[tuple[str, str]]
) -> None:
    """ "5 mL (5 mg)": the volume must hold the mass at the concentration it is made in."""
    assert read.stated_volume is not None and read.dose is not None and read.unit is not None
    per_ml: tuple[float, str] | None = read.concentration
    where = "the stated concentration"
    if per_ml is None and name.drug_id and name.product_id:
        drug = catalog.drugs.get(name.drug_id)
        product = drug.product(name.product_id) if drug else None
        if product is not None and product.concentration is not None:
            per_ml = (product.concentration.per_ml, product.concentration.amount_unit)
            where = product.name
    if per_ml is None:
        return
    held = read.stated_volume * per_ml[0] * MASS_IN_MG[per_ml[1]]
    said = read.dose * MASS_IN_MG[read.unit]
    if abs(held - said) > 1e-6 * max(held, said):
        problems.append(
            (
                "dose",
                f"{fmt_number(read.stated_volume)} mL of {where} is "
                f"{fmt_number(held / MASS_IN_MG[read.unit])} {read.unit}, but the order says "
                f"{fmt_number(read.dose)} {read.unit}",
            )
        )


def _error_prone_finding(
    form: str, where: str, written: str, index: int, label: str, drugs: tuple[str, ...]
) -> Finding:
    why, instead = _ERROR_PRONE[form]
    return Finding(
        code="error_prone_abbreviation",
        severity=severity_of("error_prone_abbreviation"),
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
        severity=severity_of("ambiguous_order"),
        message=f"Medication {index + 1} ('{label}') cannot be read with confidence: {problem}. "
        "It was not guessed; confirm the order with the prescriber.",
        drugs=drugs,
        details={"medication": index, "field": where, "problem": problem},
        advice=("contact_prescriber",),
    )
