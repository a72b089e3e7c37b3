"""What to do right now: symptom triage, overdose, missed doses and stopping.

`check_triage` weighs reported symptoms with the person's situation (doses stopped or missed,
a recent dose increase, an added sedating drug or alcohol, worse kidney function or dialysis,
an intrathecal pump) and returns a level (`self_care` < `routine` < `urgent` < `emergency`),
the suspected state, the reasons and advice codes. The rules live in
`knowledge/data/symptoms.yaml`: each symptom's everyday words, measured signs, red flags and
links to drug states. Red flags always reach `emergency`; words that are not understood are
listed back and never lower a level.

`check_now` is the assessment's entry point: it builds the situation from the request and runs
triage, the overdose check, the missed-dose advice and the stopping advice.

>>> from medguide.knowledge.loader import load_catalog
>>> t = check_triage(load_catalog().symptoms, ["can't wake him up"], Situation())
>>> t.level, t.symptoms
('emergency', ('unrousable',))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medguide.clinical.context import Context
from medguide.clinical.findings import TRIAGE_RANK, CheckResult, Finding, NotChecked
from medguide.knowledge.catalog import Catalog
from medguide.knowledge.models.drug import Drug
from medguide.knowledge.models.symptoms import (
    Symptom,
    SymptomFile,
    SymptomLink,
    normalize_words,
)

LEVEL_SEVERITY: Mapping[str, str] = {
    "self_care": "low",
    "routine": "moderate",
    "urgent": "high",
    "emergency": "critical",
}
# When two states explain the same level, the one reported first is the likelier to harm.
STATE_PRIORITY: Mapping[str, int] = {
    "overdose": 3,
    "withdrawal": 2,
    "toxicity": 1,
    "expected_side_effect": 0,
}
STATE_NAME: Mapping[str, str] = {
    "overdose": "overdose",
    "withdrawal": "suspected_withdrawal",
    "toxicity": "suspected_toxicity",
    "expected_side_effect": "expected_side_effect",
}
_STATE_FINDING: Mapping[str, str] = {
    "withdrawal": "suspected_withdrawal",
    "toxicity": "suspected_toxicity",
    "expected_side_effect": "expected_side_effect",
    "overdose": "overdose",
}
_LEVEL_ADVICE: Mapping[str, tuple[str, ...]] = {
    "emergency": ("call_emergency_services",),
    "urgent": ("contact_prescriber",),
    "routine": (),
    "self_care": (),
}
_INTRATHECAL_WORDS = frozenset({"intrathecal", "it", "itb", "pump", "spinal"})


# ---------------------------------------------------------------------------- situation


@dataclass(frozen=True)
class Cue:
    """Something in the situation that makes a drug state possible, with the reason why."""

    drug: str
    state: str  # expected_side_effect | toxicity | overdose | withdrawal
    route: str  # oral | intrathecal | any
    reason: str
    alert: bool = True  # False: a standing fact (takes the drug, has a pump), not an event
    # The least level for a symptom explained by this cue: a drug that leaves by the kidneys
    # builds up with kidney failure or dialysis, where sleepiness can turn into coma (S26).
    floor: str | None = None


@dataclass(frozen=True)
class Situation:
    """The person's situation as triage needs it; built from the request by `situation_of`."""

    cues: tuple[Cue, ...] = ()
    intrathecal: bool = False

    def has(self, drug: str, state: str, route: str = "any") -> bool:
        return any(self._fits(c, drug, state, route) for c in self.cues)

    def floor(self, drug: str, state: str, route: str = "any") -> str | None:
        floors = [c.floor for c in self.cues if c.floor and self._fits(c, drug, state, route)]
        return _max_level(floors) if floors else None

    def reasons(self, drug: str, state: str, route: str = "any") -> tuple[str, ...]:
        return tuple(c.reason for c in self.cues if self._fits(c, drug, state, route))

    @staticmethod
    def _fits(c: Cue, drug: str, state: str, route: str) -> bool:
        return (
            c.drug == drug
            and c.state == state
            and (route == "any" or c.route == "any" or c.route == route)
        )

    @property
    def after_stopping(self) -> bool:
        return any(c.state == "withdrawal" and c.alert for c in self.cues)


# ---------------------------------------------------------------------------- reading input

_NUM = r"(\d{1,3}(?:\.\d+)?)"
_MEASURES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "systolic_bp",
        re.compile(rf"\b(?:bp|blood pressure)\s*(?:is|of|:|=)?\s*{_NUM}\s*/\s*\d{{1,3}}\b"),
    ),
    ("systolic_bp", re.compile(rf"\bsystolic\s*(?:is|of|:|=)?\s*{_NUM}\b")),
    (
        "respiratory_rate",
        re.compile(
            rf"\b(?:rr|resp(?:iratory)?(?: rate)?|breathing(?: rate)?|breaths?)\s*"
            rf"(?:is|of|at|:|=)?\s*{_NUM}\b"
        ),
    ),
    ("respiratory_rate", re.compile(rf"\b{_NUM}\s*(?:breaths?|br)\s*(?:a|per|/)\s*min")),
    (
        "temperature_c",
        re.compile(
            rf"\b(?:temp(?:erature)?|fever)\s*(?:is|of|at|:|=)?\s*{_NUM}\s*(?:°|deg(?:rees)?)?\s*"
            r"(c|f)?\b"
        ),
    ),
    ("temperature_c", re.compile(rf"\b{_NUM}\s*(?:°|deg(?:rees)?)\s*(c|f)\b")),
    (
        "heart_rate",
        re.compile(
            rf"\b(?:hr|pulse|heart ?rate|heart beat|heartbeat)\s*(?:is|of|at|:|=)?\s*{_NUM}\b"
        ),
    ),
    ("gcs", re.compile(rf"\bgcs\s*(?:is|of|:|=)?\s*{_NUM}\b")),
    ("avpu", re.compile(r"\bavpu\s*(?:is|of|:|=)?\s*([avpu])\b")),
)
_PLAUSIBLE: Mapping[str, tuple[float, float]] = {
    "respiratory_rate": (0, 80),
    "temperature_c": (25, 45),
    "heart_rate": (0, 300),
    "systolic_bp": (30, 300),
    "gcs": (3, 15),
}


@dataclass(frozen=True)
class Reading:
    """What one input phrase was read as.

    `absent`: symptoms the person said are not there ("no fever"); `guessed`: misspelt words
    read as a known one ("siezure" as "seizure"), which keep the phrase uncertain.
    """

    text: str
    symptoms: tuple[str, ...]
    measures: tuple[tuple[str, float | str], ...]
    leftover: str
    problem: str | None = None
    absent: tuple[str, ...] = ()
    guessed: tuple[tuple[str, str], ...] = ()


def _measures(text: str) -> tuple[list[tuple[str, float | str]], str, str | None]:
    low = text.lower()
    found: list[tuple[str, float | str]] = []
    problem = None
    if "avpu" not in low and not any(ch.isdigit() for ch in low):
        return found, low, problem
    for measure, pattern in _MEASURES:
        for m in pattern.finditer(low):
            raw = m.group(1)
            if measure == "avpu":
                found.append((measure, raw.upper()))
            else:
                value = float(raw)
                if measure == "temperature_c":
                    unit = m.group(2) if m.lastindex and m.lastindex >= 2 else None
                    if unit == "f" or (unit is None and value >= 90):
                        value = round((value - 32) * 5 / 9, 1)
                lo, hi = _PLAUSIBLE[measure]
                if not lo <= value <= hi:
                    problem = f"{measure.replace('_', ' ')} {raw} is not a possible value"
                    continue
                found.append((measure, value))
            low = low[: m.start()] + " " * (m.end() - m.start()) + low[m.end() :]
    return found, low, problem


# A negation counts only when it stands right before the symptom, in the same clause: "no
# fever", "not sleepy", "never had a seizure". "No, he's fitting" (a comma) and "no, he is
# fitting" keep the symptom, because a pronoun or a break stands between. Phrases that carry
# their own negation ("not breathing", "cant wake") are matched whole first.
_NEGATORS = frozenset(
    {
        "no",
        "not",
        "without",
        "never",
        "denies",
        "nor",
        "isnt",
        "wasnt",
        "arent",
        "hasnt",
        "havent",
        "hadnt",
        "doesnt",
        "didnt",
    }
)
_CLAUSE_BREAK = re.compile(r"[,.;:!?()]|\bbut\b")


def _tokens(text: str) -> list[tuple[str, bool, int]]:
    """(word, is filler, clause number) for each word, folded as `normalize_words` does."""
    out: list[tuple[str, bool, int]] = []
    for clause, part in enumerate(_CLAUSE_BREAK.split(text.lower())):
        for w in normalize_words_keep(part):
            out.append((w, normalize_words(w) == "", clause))
    return out


def normalize_words_keep(text: str) -> list[str]:
    """`normalize_words` without dropping pronouns and fillers."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['`\u2019]", "", folded)
    return re.sub(r"[^a-z0-9]+", " ", folded).split()


def _close(a: str, b: str, limit: int) -> bool:
    """Damerau-Levenshtein distance of a and b is at most `limit` (1 or 2)."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            d = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                d = min(d, prev2[j - 2] + 1)
            cur.append(d)
        if min(cur) > limit:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= limit


def _guess(word: str, known: Mapping[str, frozenset[str]]) -> str | None:
    """A known symptom word that `word` is a likely misspelling of, or None.

    Only words of 6 letters or more, with the same first letter, one edit away (two from 9
    letters), and only when one known word fits or all that fit belong to one symptom.
    """
    if len(word) < 6 or word in known or word in _GLUE or word in _NEGATORS:
        return None
    limit = 2 if len(word) >= 9 else 1
    hits = sorted(k for k in known if len(k) >= 6 and k[0] == word[0] and _close(word, k, limit))
    owners = {sid for k in hits for sid in known[k]}
    return hits[0] if len(hits) == 1 or (hits and len(owners) == 1) else None


def read_symptom(vocab: SymptomFile, text: str) -> Reading:
    """Match one phrase against the vocabulary: measured values first, then words, left to
    right, the longest known phrase at each point, each word used once. A symptom right after
    a negation ("no fever") is read as absent; a misspelt word may be read as the one known
    symptom word it is one letter away from."""
    found, rest, problem = _measures(text)
    ids: list[str] = []
    for measure, value in found:
        for s in vocab.symptoms:
            if any(sign.matches(measure, value) for sign in s.measured) and s.id not in ids:
                ids.append(s.id)
    index, longest, known = _phrases(vocab)
    raw = _tokens(rest)
    # the words that take part in matching, with their place in `raw`
    content = [(w, k) for k, (w, filler, _) in enumerate(raw) if not filler]
    guessed: list[tuple[str, str]] = []
    words: list[str] = []
    for w, _ in content:
        g = None if w in known else _guess(w, known)
        words.append(g or w)
    absent: list[str] = []
    left: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            sid = index.get(" ".join(words[i : i + n]))
            if sid is not None:
                k = content[i][1]
                negated = (
                    k > 0
                    and raw[k - 1][0] in _NEGATORS
                    and raw[k - 1][2] == raw[k][2]
                    and " ".join(words[i : i + n]).split()[0] not in _NEGATORS
                )
                guessed.extend(
                    (content[j][0], words[j]) for j in range(i, i + n) if content[j][0] != words[j]
                )
                if negated:
                    absent.append(sid)
                    if left and left[-1] == raw[k - 1][0]:
                        left.pop()
                elif sid not in ids:
                    ids.append(sid)
                i += n
                break
        else:
            if content[i][0] not in _GLUE:
                left.append(content[i][0])
            i += 1
    absent = [a for a in dict.fromkeys(absent) if a not in ids]
    return Reading(
        text,
        tuple(ids),
        tuple(found),
        " ".join(left),
        problem,
        tuple(absent),
        tuple(dict.fromkeys(guessed)),
    )


# Small words, time words and units left over after matching that carry no symptom of their
# own. Any other word left over keeps the phrase uncertain (never self-care).
_GLUE_WORDS = """
    and or but with very a an the bit little also now has have had got per minute min mins
    bpm breaths degrees deg c f mmhg so quite really slightly since today yesterday tonight
    morning afternoon evening night last this that all day days week weeks hour hours ago
    just feel feels feeling felt seems seem seemed look looks looking bit of in on at for to
    after before from baclofen lioresal medicine medication tablet tablets dose doses made
    been being be getting gets again lot lots more much too times up sitting lying bed still
    hes shes theyre im ive hed shed"""
_GLUE = frozenset(_GLUE_WORDS.split())
_Index = tuple[dict[str, str], int, dict[str, frozenset[str]]]
_PHRASE_CACHE: dict[int, tuple[SymptomFile, _Index]] = {}


def _phrases(vocab: SymptomFile) -> _Index:
    """Phrase → symptom id, the longest phrase in words, and every word of every phrase.

    Memoized by the vocabulary's identity (checked, so a different vocabulary never gets a
    stale index); it changes speed only, never results.
    """
    hit = _PHRASE_CACHE.get(id(vocab))
    if hit is not None and hit[0] is vocab:
        return hit[1]
    index = {w: s.id for s in vocab.symptoms for w in s.words}
    owners: dict[str, set[str]] = {}
    for w, sid in index.items():
        for t in w.split():
            owners.setdefault(t, set()).add(sid)
    known = {t: frozenset(ids) for t, ids in owners.items()}
    built = (index, max((len(w.split()) for w in index), default=1), known)
    if len(_PHRASE_CACHE) > 8:
        _PHRASE_CACHE.clear()
    _PHRASE_CACHE[id(vocab)] = (vocab, built)
    return built


# ---------------------------------------------------------------------------- triage


@dataclass(frozen=True)
class Triage:
    level: str
    reasons: tuple[str, ...]
    suspected_state: str | None
    not_understood: tuple[str, ...]
    symptoms: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    advice: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()  # symptoms the person said are not there
    measured: bool = False  # a measured value was read (even a normal one)

    def as_dict(self) -> dict[str, Any]:
        return {
            "level": self.level,
            "reasons": list(self.reasons),
            "suspected_state": self.suspected_state,
            "not_understood": list(self.not_understood),
            "symptoms": list(self.symptoms),
            "red_flags": list(self.red_flags),
            "absent": list(self.absent),
        }


def _max_level(levels: Iterable[str], floor: str = "self_care") -> str:
    return max((floor, *levels), key=lambda lv: TRIAGE_RANK[lv])


def _drugs_of(situation: Situation) -> tuple[str, ...]:
    return tuple(dict.fromkeys(c.drug for c in situation.cues))


def _red_flag(s: Symptom, situation: Situation, mental_others: bool) -> str | None:
    """Why the symptom is an emergency here, or None."""
    if not s.red_flag:
        return None
    if not s.red_flag_when:
        return f"{s.name.lower()} is a red flag"
    if "after_stopping" in s.red_flag_when and situation.after_stopping:
        return f"{s.name.lower()} after doses were stopped or missed is a red flag"
    if "intrathecal" in s.red_flag_when and situation.intrathecal:
        return f"{s.name.lower()} with an intrathecal pump is a red flag"
    if "with_confusion" in s.red_flag_when and mental_others:
        return f"{s.name.lower()} with confusion is a red flag"
    return None


def check_triage(
    vocab: SymptomFile,
    symptoms: Sequence[str],
    situation: Situation,
) -> Triage:
    """Triage reported symptoms in a situation. Pure; the same input gives the same result."""
    readings = [read_symptom(vocab, text) for text in symptoms if text.strip()]
    not_understood: list[str] = []
    unknown = False  # something in a phrase was not read with certainty
    for r in readings:
        if r.problem:
            not_understood.append(f"{r.text} ({r.problem})")
            unknown = True
        elif not r.symptoms and not r.measures and not r.absent:
            not_understood.append(r.text)
            unknown = True
        elif r.leftover:
            # A word we could not read may be what matters ("vomiting blood"): never let the
            # words we did read make the level lower than for an unread phrase.
            not_understood.append(r.leftover)
            unknown = True
        for typed, meant in r.guessed:
            not_understood.append(f"{typed} (read as {meant!r})")
            unknown = True
    by_id = {s.id: s for s in vocab.symptoms}
    matched_ids = dict.fromkeys(sid for r in readings for sid in r.symptoms if sid in by_id)
    matched = [by_id[sid] for sid in matched_ids]
    absent = tuple(
        dict.fromkeys(a for r in readings for a in r.absent if a in by_id and a not in matched_ids)
    )
    measured_only = any(r.measures for r in readings)

    drugs = _drugs_of(situation)
    reasons: list[str] = []
    red_flags: list[str] = []
    advice: list[str] = []
    levels: list[str] = []
    # (state, route, drug) → [(symptom, link)] for the findings
    states: dict[tuple[str, str, str], list[tuple[Symptom, SymptomLink]]] = {}
    best: tuple[int, int, str] | None = None  # (level rank, state priority, state)

    for s in matched:
        mental_others = any(o.mental_status and o.id != s.id for o in matched)
        applicable = [
            link
            for link in s.links
            if link.drug in drugs and situation.has(link.drug, link.state, link.route)
        ]
        level = _max_level(lk.level for lk in applicable) if applicable else s.level
        for lk in applicable:
            least = situation.floor(lk.drug, lk.state, lk.route)
            if least:
                level = _max_level([level], least)
        flag = _red_flag(s, situation, mental_others)
        if flag:
            level = "emergency"
            red_flags.append(s.id)
            reasons.append(flag)
        levels.append(level)
        if applicable:
            # The most serious state explains the symptom; lesser ones are not reported.
            top = max(applicable, key=lambda lk: (TRIAGE_RANK[lk.level], STATE_PRIORITY[lk.state]))
            states.setdefault((top.state, _link_route(top, situation), top.drug), []).append(
                (s, top)
            )
            advice.extend(top.advice)
            why = "; ".join(situation.reasons(top.drug, top.state, top.route)[:2])
            reasons.append(
                f"{s.name.lower()}: points to {_state_words(top.state, top.drug)}"
                + (f" ({why})" if why and top.state != "expected_side_effect" else "")
            )
            key = (TRIAGE_RANK[top.level], STATE_PRIORITY[top.state], top.state)
            best = key if best is None or key > best else best
        elif not flag:
            reasons.append(f"{s.name.lower()}: {_LEVEL_WORDS[level]}")

    # Situations that are risky even without a matching symptom.
    for drug in drugs:
        alerts = [
            c.reason
            for c in situation.cues
            if c.alert and c.drug == drug and c.state == "withdrawal" and c.route == "intrathecal"
        ]
        if alerts:
            levels.append("urgent")
            reasons.extend(why for why in alerts if why not in reasons)

    if unknown:
        # What we could not read might be serious: never self-care, and say so.
        levels.append("routine")
        advice.append("not_covered_refer")
        reasons.append("some words were not understood: " + "; ".join(not_understood))
    for a in absent:
        reasons.append(f"read as not present: {by_id[a].name.lower()}")
    if measured_only and not matched:
        reasons.append("the measured values given are not in the alarm range")
    level = _max_level(levels) if levels else "self_care"
    advice = [*_LEVEL_ADVICE[level], *advice]

    findings = tuple(_state_findings(states, situation))
    suspected = STATE_NAME[best[2]] if best is not None else None
    if best is not None and best[2] == "expected_side_effect" and TRIAGE_RANK[level] > best[0]:
        suspected = None  # something worse than a side effect is going on, cause unknown
    return Triage(
        level=level,
        reasons=tuple(dict.fromkeys(reasons)),
        suspected_state=suspected,
        not_understood=tuple(not_understood),
        symptoms=tuple(s.id for s in matched),
        red_flags=tuple(red_flags),
        findings=findings,
        advice=tuple(dict.fromkeys(advice)),
        absent=absent,
        measured=measured_only,
    )


def _link_route(link: SymptomLink, situation: Situation) -> str:
    if link.route != "any":
        return link.route
    return "intrathecal" if situation.intrathecal else "oral"


def _state_words(state: str, drug: str) -> str:
    return {
        "withdrawal": f"{drug} withdrawal",
        "toxicity": f"too much {drug} building up (toxicity)",
        "overdose": f"{drug} overdose",
        "expected_side_effect": f"a known side effect of {drug}",
    }[state]


_LEVEL_WORDS: Mapping[str, str] = {
    "emergency": "call emergency services now",
    "urgent": "needs a clinician today",
    "routine": "mention it to your clinician at the next visit",
    "self_care": "usually passes on its own",
}
_STATE_MESSAGE: Mapping[str, str] = {
    "withdrawal": "These symptoms may be {drug} withdrawal{route}: stopping or missing {drug} "
    "can cause it, and it can become dangerous.",
    "toxicity": "These symptoms may mean {drug} is building up or adding to other sedating "
    "substances (toxicity).",
    "expected_side_effect": "These are known side effects of {drug}; mild ones often settle in "
    "the first weeks.",
    "serious_side_effect": "This can be a side effect of {drug}, but at this level it is serious "
    "whatever the cause: get help as advised, and say which medicines are taken.",
    "overdose": "These symptoms fit a {drug} overdose.",
}


def _state_findings(
    states: Mapping[tuple[str, str, str], list[tuple[Symptom, SymptomLink]]],
    situation: Situation,
) -> Iterable[Finding]:
    for (state, route, drug), pairs in states.items():
        if state == "overdose":
            continue  # the overdose check makes that finding
        level = _max_level(
            (lk.level for _, lk in pairs), situation.floor(drug, state, route) or "self_care"
        )
        route_words = " (intrathecal pump)" if route == "intrathecal" else ""
        yield Finding(
            code=_STATE_FINDING[state],
            severity=LEVEL_SEVERITY[level],  # type: ignore[arg-type]
            message=_STATE_MESSAGE[
                "serious_side_effect"
                if state == "expected_side_effect" and TRIAGE_RANK[level] >= TRIAGE_RANK["urgent"]
                else state
            ].format(drug=drug, route=route_words),
            drugs=(drug,),
            details={
                "route": route,
                "level": level,
                "symptoms": list(dict.fromkeys(s.id for s, _ in pairs)),
                "because": list(situation.reasons(drug, state, route)),
                "judgment": any(lk.judgment for _, lk in pairs),
            },
            advice=tuple(
                dict.fromkeys((*_LEVEL_ADVICE[level], *(a for _, lk in pairs for a in lk.advice)))
            ),
            sources=tuple(dict.fromkeys(src for _, lk in pairs for src in lk.sources)),
        )


# ---------------------------------------------------------------------------- the request


def _is_intrathecal(route: str | None) -> bool:
    return bool(route) and any(
        w in _INTRATHECAL_WORDS for w in re.split(r"\W+", (route or "").lower())
    )


def _sedating(catalog: Catalog, drug: Drug) -> bool:
    return any(
        "cns_depressant" in cls.properties
        for cid in drug.classes
        if (cls := catalog.classes.get(cid)) is not None
    )


def _days(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1:
        return " today" if value == 0 else f" {value * 24:g} hours ago"
    return f" {value:g} day{'s' if value != 1 else ''} ago"


def situation_of(ctx: Context) -> tuple[Situation, tuple[NotChecked, ...]]:
    """The triage situation of a request: drugs in play and the cues for each state."""
    from medguide.knowledge.names import resolve_name

    req = ctx.request
    cat = ctx.catalog
    not_checked: list[NotChecked] = []
    taken: list[str] = []
    intrathecal = False
    for o in ctx.orders:
        if o.name.drug_id and o.name.drug_id in cat.drugs:
            taken.append(o.name.drug_id)
            product = cat.drugs[o.name.drug_id].product(o.name.product_id or "")
            if (
                _is_intrathecal(o.route)
                or o.bolus
                or (product is not None and product.route == "intrathecal")
            ):
                intrathecal = True
    for e in req.events:
        if e.kind in ("pump_alarm", "pump_refill_missed"):
            intrathecal = True
    if req.ingestion is not None and _is_intrathecal(req.ingestion.route):
        intrathecal = True

    def resolve(name: str | None) -> str | None:
        if not name:
            return None
        r = resolve_name(cat, name)
        return r.drug_id if r.drug_id in cat.drugs else None

    extra = [
        resolve(x)
        for x in (
            req.ingestion.drug if req.ingestion else None,
            req.missed_dose.drug if req.missed_dose else None,
            *(e.drug for e in req.events if e.kind != "started_drug"),
        )
    ]
    drugs = list(dict.fromkeys([*taken, *(d for d in extra if d)]))
    route = "intrathecal" if intrathecal else "oral"
    cues: list[Cue] = []
    for d in drugs:
        cues.append(Cue(d, "expected_side_effect", "any", f"takes {d}", alert=False))

    def for_drugs(name: str | None) -> list[str]:
        own = resolve(name)
        return [own] if own else drugs

    # Sedating company: other orders, substances, newly started drugs.
    company: list[str] = []
    for o in ctx.orders:
        other = o.name.drug_id
        if other and other in cat.drugs and _sedating(cat, cat.drugs[other]):
            company.append(f"{'newly started ' if o.new else ''}{o.name.matched or other}")
    for r in ctx.substances:
        if r.drug_id and r.drug_id in cat.drugs:
            if _sedating(cat, cat.drugs[r.drug_id]):
                company.append(r.matched or r.drug_id)
        else:
            company.append(f"{r.query} (not in the catalog, counted as sedating)")
            not_checked.append(
                NotChecked(
                    "triage_substance",
                    f"{r.query!r} is not in the catalog; counted as possibly sedating",
                )
            )
    for e in req.events:
        if e.kind == "started_drug":
            if not e.drug:
                company.append("a new medicine (name not given, counted as sedating)")
                continue
            r = resolve_name(cat, e.drug)
            if r.drug_id and r.drug_id in cat.drugs:
                if _sedating(cat, cat.drugs[r.drug_id]):
                    company.append(f"newly started {r.matched or r.drug_id}{_days(e.days_ago)}")
            else:
                company.append(f"newly started {e.drug} (not in the catalog, counted as sedating)")
    for d in drugs:
        for c in dict.fromkeys(company):
            if not c.startswith(d) and not c.startswith(f"newly started {d}"):
                cues.append(Cue(d, "toxicity", "any", f"taken with {c}"))

    for e in req.events:
        dose = f" ({e.daily_dose_mg:g} mg a day)" if e.daily_dose_mg is not None else ""
        for d in for_drugs(e.drug):
            if e.kind in ("stopped", "doses_missed", "dose_decreased"):
                verb = {
                    "stopped": "stopped",
                    "doses_missed": "missed doses of",
                    "dose_decreased": "lowered the dose of",
                }[e.kind]
                cues.append(Cue(d, "withdrawal", route, f"{verb} {d}{_days(e.days_ago)}{dose}"))
            elif e.kind == "pump_alarm":
                cues.append(Cue(d, "withdrawal", "intrathecal", "the pump alarm went off"))
            elif e.kind == "pump_refill_missed":
                cues.append(Cue(d, "withdrawal", "intrathecal", "a pump refill was missed"))
            elif e.kind == "dose_increased":
                cues.append(
                    Cue(d, "toxicity", "any", f"the dose of {d} went up{_days(e.days_ago)}{dose}")
                )
            elif e.kind in ("kidney_function_worse", "dialysis_started"):
                drug = cat.drugs[d]
                if drug.renal is not None and drug.renal.renally_cleared:
                    what = (
                        "kidney function got worse"
                        if e.kind == "kidney_function_worse"
                        else "dialysis started"
                    )
                    cues.append(
                        Cue(
                            d,
                            "toxicity",
                            "any",
                            f"{what}{_days(e.days_ago)}; {d} leaves by the kidneys",
                            floor="urgent",
                        )
                    )

    # The kidney value every check reads: measured, or estimated from serum creatinine.
    kidney = ctx.patient.kidney_ml_min
    for d in drugs:
        drug = cat.drugs[d]
        if drug.renal is None or not drug.renal.renally_cleared:
            continue
        avoid_below = [
            b.below for b in drug.renal.bands if b.action == "avoid" and b.below is not None
        ]
        if ctx.patient.on_dialysis:
            cues.append(
                Cue(
                    d,
                    "toxicity",
                    "any",
                    f"on dialysis; {d} leaves by the kidneys",
                    floor="urgent",
                )
            )
        elif kidney is not None and avoid_below and kidney < max(avoid_below):
            cues.append(
                Cue(
                    d,
                    "toxicity",
                    "any",
                    f"kidney function {kidney:g} mL/min; {d} builds up",
                    floor="urgent",
                )
            )

    if req.missed_dose is not None:
        for d in for_drugs(req.missed_dose.drug):
            rule = cat.drugs[d].missed_dose
            n = req.missed_dose.consecutive_missed
            if (
                rule
                and rule.consecutive_missed_withdrawal_risk
                and (n >= rule.consecutive_missed_withdrawal_risk)
            ):
                cues.append(Cue(d, "withdrawal", route, f"{n} doses of {d} missed in a row"))
    if req.last_dose_hours_ago is not None:
        for d in drugs:
            for w in cat.drugs[d].withdrawal:
                gap = w.after_gap
                if gap and req.last_dose_hours_ago >= gap.hours and (w.route in (route, "any")):
                    cues.append(
                        Cue(
                            d,
                            "withdrawal",
                            route,
                            f"last dose of {d} {req.last_dose_hours_ago:g} hours ago",
                        )
                    )
    if req.ingestion is not None:
        ing_route = "intrathecal" if _is_intrathecal(req.ingestion.route) else "oral"
        for d in for_drugs(req.ingestion.drug):
            cues.append(Cue(d, "overdose", ing_route, f"an overdose of {d} is reported"))
    if intrathecal:
        for d in drugs:
            cues.append(
                Cue(
                    d,
                    "withdrawal",
                    "intrathecal",
                    "has an intrathecal pump; its delivery can fail without warning",
                    alert=False,
                )
            )
    return Situation(cues=tuple(dict.fromkeys(cues)), intrathecal=intrathecal), tuple(not_checked)


# ---------------------------------------------------------------------------- check_now


@dataclass
class _Merge:
    findings: list[Finding] = field(default_factory=list)
    not_checked: list[NotChecked] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    levels: list[str] = field(default_factory=list)
    computed: dict[str, Any] = field(default_factory=dict)


def check_now(ctx: Context) -> CheckResult:
    """Triage, overdose, missed dose and stopping for the request in `ctx`."""
    req = ctx.request
    acting = bool(
        req.symptoms
        or req.ingestion
        or req.missed_dose
        or req.events
        or req.last_dose_hours_ago is not None
    )
    if not acting:
        return CheckResult()
    situation, nc = situation_of(ctx)
    out = _Merge(not_checked=list(nc))
    suspected: str | None = None
    not_understood: tuple[str, ...] = ()

    tri = check_triage(ctx.catalog.symptoms, req.symptoms, situation)
    symptomatic = bool(tri.symptoms)
    if req.symptoms or situation.after_stopping:
        out.findings.extend(tri.findings)
        out.advice.extend(tri.advice)
        out.reasons.extend(tri.reasons)
        if tri.symptoms or tri.not_understood or tri.red_flags or tri.absent or tri.measured:
            out.levels.append(tri.level)
        suspected = tri.suspected_state
        not_understood = tri.not_understood

    if req.ingestion is not None:
        overdose_symptoms = any(
            lk.state == "overdose"
            for sid in tri.symptoms
            if (s := ctx.catalog.symptoms.get(sid)) is not None
            for lk in s.links
        )
        _overdose(ctx, out, overdose_symptoms or (symptomatic and bool(tri.red_flags)))
        if any(f.code == "overdose" for f in out.findings):
            suspected = "overdose"
    if req.missed_dose is not None:
        _missed(ctx, out)
        holding = [f.code for f in out.findings if f.code in ("overdose", "suspected_toxicity")]
        if holding and "take_missed_dose_now" in out.advice:
            # Never advise more of a drug that may already be too much.
            said = out.computed.get("missed_dose", {}).get("message")
            out.reasons = [r for r in out.reasons if r != said]
            out.advice = [a for a in out.advice if a != "take_missed_dose_now"]
            out.advice += ["skip_missed_dose", "contact_prescriber"]
            out.reasons.append(
                f"do not take the missed dose now: {holding[0].replace('_', ' ')} is suspected"
            )
            out.computed["missed_dose"] = {
                **out.computed.get("missed_dose", {}),
                "action": "hold",
                "held_because": holding[0],
            }
    _stopping(ctx, situation, tri, out)
    _gap_without_symptoms(ctx, situation, out)

    if not out.levels:
        return CheckResult(
            findings=tuple(out.findings),
            not_checked=tuple(out.not_checked),
            computed=out.computed,
            advice=tuple(dict.fromkeys(out.advice)),
        )
    level = _max_level(out.levels)
    advice = (
        [*out.advice]
        if "call_poison_center" in out.advice
        else [*_LEVEL_ADVICE[level], *out.advice]
    )
    if level == "emergency":  # emergency advice first, always
        advice = ["call_emergency_services", *advice]
    triage = {
        "level": level,
        "reasons": list(dict.fromkeys(out.reasons)),
        "suspected_state": suspected,
        "not_understood": list(not_understood),
        "symptoms": list(tri.symptoms),
        "red_flags": list(tri.red_flags),
        "absent": list(tri.absent),
    }
    return CheckResult(
        findings=tuple(out.findings),
        not_checked=tuple(out.not_checked),
        computed=out.computed,
        advice=tuple(dict.fromkeys(advice)),
        triage=triage,
    )


def _overdose(ctx: Context, out: _Merge, symptomatic: bool) -> None:
    from medguide.clinical.overdose import Ingested, check_overdose
    from medguide.knowledge.names import resolve_name

    ing = ctx.request.ingestion
    assert ing is not None
    r = resolve_name(ctx.catalog, ing.drug)
    drug = ctx.catalog.drugs.get(r.drug_id or "")
    if drug is None:
        out.levels.append("urgent")
        out.advice.append("call_poison_center")
        out.reasons.append(
            f"{ing.drug!r} is not in the catalog: call a poison centre for "
            "advice on the amount taken"
        )
        out.not_checked.append(NotChecked("overdose", f"{ing.drug!r} is not covered"))
        return
    p = ctx.request.patient
    company = tuple(
        s.matched or s.query
        for s in ctx.substances
        if not s.drug_id or _sedating(ctx.catalog, ctx.catalog.drugs[s.drug_id])
        if s.drug_id in ctx.catalog.drugs or not s.drug_id
    )
    try:
        result = check_overdose(
            drug,
            Ingested(
                drug=drug.id,
                amount=ing.amount,
                unit=ing.unit,
                strength_mg=ing.strength_mg,
                concentration=ing.concentration,
                product=r.product_id,
                hours_ago=ing.hours_ago,
                intentional=ing.intentional,
                route=ing.route or "oral",
                age_years=p.age_years,
                weight_kg=p.weight_kg,
                kidney_ml_min=ctx.patient.kidney_ml_min,
                dialysis=ctx.patient.on_dialysis,
                co_ingestants=company,
                symptomatic=symptomatic,
            ),
        )
    except ValueError as exc:
        out.levels.append("urgent")
        out.advice.append("call_poison_center")
        out.reasons.append(f"the amount could not be worked out ({exc}): call a poison centre")
        out.not_checked.append(NotChecked("overdose_amount", str(exc), (drug.id,)))
        return
    out.findings.extend(result.findings)
    out.not_checked.extend(result.not_checked)
    out.advice.extend(result.advice)
    out.reasons.extend(result.reasons)
    out.levels.append(result.level)
    out.computed["overdose"] = result.computed


def _missed(ctx: Context, out: _Merge) -> None:
    from medguide.clinical.missed_dose import advise_missed_dose
    from medguide.knowledge.names import resolve_name

    md = ctx.request.missed_dose
    assert md is not None
    r = resolve_name(ctx.catalog, md.drug)
    drug = ctx.catalog.drugs.get(r.drug_id or "")
    if drug is None or drug.missed_dose is None:
        out.not_checked.append(
            NotChecked("missed_dose", f"no missed-dose rule for {md.drug!r}; ask a pharmacist")
        )
        out.advice.extend(("do_not_double", "contact_prescriber"))
        out.levels.append("routine")
        return
    if md.scheduled is None:  # a run of missed doses, or a long gap: no one dose to place
        _missed_run(ctx, drug, md.consecutive_missed, out)
        return
    now = ctx.now
    if now is None:
        out.not_checked.append(
            NotChecked("missed_dose", "the current time is not known ('now' missing)", (drug.id,))
        )
        out.advice.append("do_not_double")
        return
    zone = ctx.request.patient.timezone
    if now.tzinfo is None:
        # A wall-clock "now" with a wall-clock schedule: both are the person's local time.
        from datetime import UTC

        now = now.replace(tzinfo=UTC) if zone is None else now
        out.computed["now_assumed"] = (
            "'now' had no time zone: it was read as the person's wall-clock time"
            + (f" in {zone}" if zone else ", like the schedule's clock times")
        )
        zone = zone or "UTC"
    interval = md.interval_hours
    next_due = md.next_due
    if next_due is None and interval is None:
        next_due = _next_clock_time(ctx, drug.id, md.scheduled)
    if next_due is None and interval is None:
        per_day = [
            o.interval_hours or (24 / o.doses_per_day if o.doses_per_day else None)
            for o in ctx.orders_of(drug.id)
        ]
        interval = next((x for x in per_day if x), None)
    try:
        a = advise_missed_dose(
            drug.missed_dose,
            missed=md.scheduled,
            next_due=next_due,
            interval_hours=interval,
            now=now,
            tz=zone,
            consecutive_missed=md.consecutive_missed,
            drug=drug.id,
        )
    except ValueError as exc:
        out.not_checked.append(NotChecked("missed_dose", str(exc), (drug.id,)))
        out.advice.append("do_not_double")
        out.levels.append("routine")
        out.reasons.append(f"missed dose: {exc}")
        return
    out.computed["missed_dose"] = a.as_dict()
    out.advice.extend(a.advice)
    out.reasons.append(a.message)
    out.levels.append("urgent" if a.withdrawal_risk else "self_care")
    if a.withdrawal_risk:
        out.findings.append(_missed_run_finding(drug, f"{a.consecutive_missed} doses", None))


def _next_clock_time(ctx: Context, drug_id: str, scheduled: str) -> str | None:
    """The dose after `scheduled` in the order's own clock times ("times"), if it has them."""
    for o in ctx.orders_of(drug_id):
        times = sorted(ctx.request.medications[o.index].times)
        if scheduled.strip() in times and len(times) > 1:
            return times[(times.index(scheduled.strip()) + 1) % len(times)]
    return None


def _missed_run_finding(drug: Drug, what: str, hours: float | None) -> Finding:
    rule = drug.missed_dose
    assert rule is not None
    signs = [w for w in drug.withdrawal if w.route in ("oral", "any")]
    return Finding(
        code="withdrawal_risk",
        severity="high",
        message=(
            f"{what} of {drug.name} missed: going without it can bring on withdrawal. Do not "
            "take the missed doses together; call the prescriber today for how to restart. "
            "Get emergency help for fever, confusion, hallucinations, a fit or stiff muscles."
        ),
        drugs=(drug.id,),
        details={
            "missed": what,
            "hours_since_last_dose": hours,
            "threshold": rule.consecutive_missed_withdrawal_risk,
        },
        advice=("do_not_take_all_missed_doses", "contact_prescriber", "do_not_double"),
        sources=tuple(
            dict.fromkeys([*rule.sources, *(s for w in signs for x in w.signs for s in x.sources)])
        ),
    )


def _missed_run(ctx: Context, drug: Drug, count: int, out: _Merge) -> None:
    """Several doses missed in a row, or a day or more since the last dose."""
    rule = drug.missed_dose
    assert rule is not None
    hours = ctx.request.last_dose_hours_ago
    threshold = rule.consecutive_missed_withdrawal_risk
    # The gap the knowledge counts as an interruption (withdrawal.after_gap; a judgment call).
    gaps = [w.after_gap.hours for w in drug.withdrawal if w.after_gap and w.route != "intrathecal"]
    long_gap = hours is not None and bool(gaps) and hours >= min(gaps)
    if (threshold is not None and count >= threshold) or long_gap:
        what = f"{count} doses" if count > 1 else f"{hours:g} hours" if hours else "doses"
        out.findings.append(_missed_run_finding(drug, what, hours))
        out.advice.extend(("do_not_take_all_missed_doses", "contact_prescriber", "do_not_double"))
        out.levels.append("urgent")
        out.reasons.append(f"{what} of {drug.name} missed: risk of withdrawal")
        return
    out.advice.extend(("do_not_double", "contact_prescriber"))
    out.levels.append("routine")
    out.reasons.append(f"{count} dose(s) of {drug.name} missed; do not double the next one")


def _stopping(ctx: Context, situation: Situation, tri: Triage, out: _Merge) -> None:
    """A wish or plan to stop, or a stop that already happened without symptoms yet."""
    req = ctx.request
    for e in req.events:
        if e.kind not in ("wants_to_stop", "stopped", "pump_alarm", "pump_refill_missed"):
            continue
        drugs = [
            d for d in _drugs_of(situation) if not e.drug or d == (_resolve_id(ctx, e.drug) or d)
        ]
        for d in drugs:
            drug = ctx.catalog.drugs[d]
            if e.kind == "wants_to_stop":
                _plan_stop(ctx, drug, e.daily_dose_mg, out)
            elif not any(f.code == "suspected_withdrawal" and d in f.drugs for f in out.findings):
                withdrawal = [
                    w
                    for w in drug.withdrawal
                    if w.route in ("intrathecal" if situation.intrathecal else "oral", "any")
                ]
                if not withdrawal:
                    continue
                why = (
                    f"stopped{_days(e.days_ago)}"
                    if e.kind == "stopped"
                    else "pump alarm"
                    if e.kind == "pump_alarm"
                    else "missed pump refill"
                )
                srcs = tuple(
                    dict.fromkeys(s for w in withdrawal for x in w.signs for s in x.sources)
                )
                out.findings.append(
                    Finding(
                        code="withdrawal_risk",
                        severity="high",
                        message=(
                            f"{drug.name}: {why}. Withdrawal can follow within days and can be "
                            "dangerous; call the prescriber (or the pump team) today and get "
                            "emergency help for fever, confusion, hallucinations or a fit."
                        ),
                        drugs=(d,),
                        details={
                            "event": e.kind,
                            "days_ago": e.days_ago,
                            "daily_dose_mg": e.daily_dose_mg,
                            "route": withdrawal[0].route,
                        },
                        advice=("contact_prescriber", "monitor_mental_status"),
                        sources=srcs,
                    )
                )
                out.advice.extend(("contact_prescriber", "monitor_mental_status"))
                out.levels.append("urgent")
                out.reasons.append(f"{drug.name} {why}: risk of withdrawal")


def _gap_without_symptoms(ctx: Context, situation: Situation, out: _Merge) -> None:
    """Doses missed, or a long gap since the last dose, with no symptoms (yet): a withdrawal
    risk that needs the prescriber today, not silence."""
    for d in _drugs_of(situation):
        if any(
            f.code in ("suspected_withdrawal", "withdrawal_risk") and d in f.drugs
            for f in out.findings
        ):
            continue
        why = [
            c.reason
            for c in situation.cues
            if c.drug == d
            and c.alert
            and c.state == "withdrawal"
            and not c.reason.startswith("lowered the dose")
        ]
        drug = ctx.catalog.drugs[d]
        signs = [w for w in drug.withdrawal if w.route in ("oral", "any")]
        if not why or not signs:
            continue
        out.findings.append(
            Finding(
                code="withdrawal_risk",
                severity="high",
                message=(
                    f"{drug.name}: {why[0]}. Going without it can bring on withdrawal; do not "
                    "take the missed doses together. Call the prescriber today, and get "
                    "emergency help for fever, confusion, hallucinations or a fit."
                ),
                drugs=(d,),
                details={"because": why},
                advice=("contact_prescriber", "do_not_take_all_missed_doses", "do_not_double"),
                sources=tuple(dict.fromkeys(s for w in signs for x in w.signs for s in x.sources)),
            )
        )
        out.advice.extend(("contact_prescriber", "do_not_take_all_missed_doses", "do_not_double"))
        out.levels.append("urgent")
        out.reasons.append(f"{why[0]}: risk of withdrawal")


def _resolve_id(ctx: Context, name: str) -> str | None:
    from medguide.knowledge.names import resolve_name

    r = resolve_name(ctx.catalog, name)
    return r.drug_id


def _plan_stop(ctx: Context, drug: Drug, daily_mg: float | None, out: _Merge) -> None:
    taper = drug.taper
    sources = (
        tuple(taper.sources)
        if taper
        else tuple(s for w in drug.withdrawal for x in w.prevention for s in x.sources)
    )
    details: dict[str, Any] = {"min_days": taper.min_days if taper else None}
    plan, why_not = _taper_plan(ctx, drug, daily_mg)
    if plan is not None:
        details["plan"] = plan
    else:
        out.not_checked.append(NotChecked("taper_plan", why_not or "no taper plan", (drug.id,)))
    out.findings.append(
        Finding(
            code="withdrawal_risk",
            severity="moderate",
            message=(
                f"Do not stop {drug.name} suddenly. Lower the dose step by step"
                + (f" over at least {taper.min_days} days" if taper else "")
                + ", with a plan from your prescriber."
            ),
            drugs=(drug.id,),
            details=details,
            advice=("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"),
            sources=sources or tuple(drug.sources),
        )
    )
    out.advice.extend(("do_not_stop_abruptly", "gradual_taper", "contact_prescriber"))
    out.levels.append("routine")
    out.reasons.append(f"wants to stop {drug.name}: taper, never stop abruptly")


def _taper_plan(ctx: Context, drug: Drug, daily_mg: float | None) -> tuple[Any, str | None]:
    """A taper plan from the dosing work's planner, or (None, why not)."""
    try:
        from medguide.clinical.plans import plan_taper
    except ImportError:
        return None, "the taper planner is not installed; the prescriber plans the taper"
    if ctx.now is None:
        return None, "no taper plan without the current date ('now')"
    order = next((o for o in ctx.orders_of(drug.id) if o.dose and o.doses_per_day), None)
    if order is None or not order.doses_per_day or not order.dose:
        known = f" (only {daily_mg:g} mg a day)" if daily_mg else ""
        return (
            None,
            f"no taper plan: the current dose and how often it is taken are not known{known}",
        )
    dpd = round(order.doses_per_day)
    dose = order.dose / dpd if order.dose_is_daily else order.dose
    try:
        plan = plan_taper(
            drug,
            dose=dose,
            doses_per_day=dpd,
            start=ctx.now.date(),
            route="intrathecal" if _is_intrathecal(order.route) else "oral",
            dose_unit=order.unit,
            product=order.name.product_id,
            age_years=ctx.request.patient.age_years,
            # long use lengthens the taper (the knowledge's taper rule)
            on_drug_days=(ctx.now.date() - order.started).days if order.started else None,
        )
    except ValueError as exc:
        return None, f"no taper plan: {exc}"
    return plan.as_dict(), None
