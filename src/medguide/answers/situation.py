"""Safety first: what is happening to someone, assessed before anything is retrieved.

Every question is read for a situation: an amount swallowed (how much, of what strength,
by whom, on purpose or not, how long ago), symptoms someone has now, a dose or regimen, a
stop, missed doses, a dose increase, a pump alarm, kidney function, pregnancy. What is found
becomes an `AssessRequest` and goes through `service.assess`, the same triage, ingestion and
dose checks as `medguide assess`; nothing clinical is decided here. When the assessment says
urgent or emergency, the answer opens with the action and who to call, in its first sentence.

The words read here are about the question (who, how many, when, what happened); the
symptom words themselves are read by the clinical triage from the shared vocabulary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from medguide.answers.entities import Entities
from medguide.answers.model import AnswerPart, Draft
from medguide.answers.reading import PUMP
from medguide.answers.retrieval import guide_index
from medguide.knowledge.catalog import Catalog

EMERGENCY_ADVICE = ("call_emergency_services", "call_poison_center")
# Red flags (from the question's words) that point to too much of a medicine in the body.
# Red flags are symptom ids of the one symptom vocabulary (knowledge/data/symptoms.yaml).
OVERDOSE_FLAGS = frozenset(
    {
        "intentional_ingestion",
        "unrousable",
        "floppy",
        "slow_breathing",
        "breathing_difficulty",
        "seizure",
    }
)
SELF_HARM_FLAGS = frozenset({"suicidal_thoughts"})
# Advice meant for poison-centre and hospital staff, not for a person asking at home.
NOT_FOR_PATIENTS = frozenset(
    {"not_covered_refer", "consider_activated_charcoal", "consider_hemodialysis"}
)
# Findings of the assessment that belong in an answer about what is happening now.
SITUATION_FINDINGS = frozenset(
    {
        "overdose",
        "suspected_toxicity",
        "suspected_withdrawal",
        "withdrawal_risk",
        "expected_side_effect",
        "max_daily_dose_exceeded",
        "max_single_dose_exceeded",
        "max_doses_per_day_exceeded",
        "pediatric_max_exceeded",
        "concentration_confusion",
        "renal_avoid",
        "renal_dose_adjustment",
        "beers_kidney_avoid",
        "geriatric_dose_caution",
        "neonatal_withdrawal_risk",
        "titration_too_fast",
    }
)
LEVELS = ("self_care", "routine", "urgent", "emergency")

EMERGENCY_NUMBER = "911 in the US, 112 in Europe, 999 in the UK"
POISON_NUMBER = "US Poison Help 1-800-222-1222; in the UK call NHS 111"
DANGER_SIGNS = (
    "Call emergency services at once if the person is very hard to wake, breathing slowly or "
    "oddly, or has a seizure."
)

# --- reading the question ------------------------------------------------------------------

_NUM_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
}
_NUM = (
    r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen"
    r"|twenty|thirty)"
)
_CHILD = re.compile(
    r"\b(baby|babies|infant|toddler|child|kid|grand(?:child|son|daughter|kid)|little one"
    r"|\d{1,2} ?(?:yo|y/o|yr old|year old|years old|month old|months old)"
    r"|(?:son|daughter)(?=\b.{0,60}\b(?:hes|he's|shes|she's|is|aged?) ?\d{1,2}\b(?! ?mg)))",
    re.I,
)
_CHILD_WORD = re.compile(r"\b(baby|infant|toddler|child|kid|little one)\b", re.I)
_AGE = re.compile(
    r"\b(\d{1,3}) ?(?:yo|y/o|yr old|yrs? old|year old|years old|-year-old)\b"
    r"|\b(?:is|hes|he's|shes|she's|aged?|age) (\d{1,3})\b(?! ?(?:mg|ml|mcg|g|tablets?|pills?|"
    r"days?|weeks?|hours?|times?|%))",
    re.I,
)
_MONTHS = re.compile(r"\b(\d{1,2}) ?(?:months?|mo) old\b", re.I)
_INGEST_VERB = re.compile(
    r"\b(took|taken|take[ns]? (?:it )?again|swallowed|swallow|ate|eaten|drank|drunk|chewed"
    r"|got into|had some|gave (?:him|her|them|my \w+)|given (?:him|her)|overdos\w*|double dosed"
    r"|extra)\b",
    re.I,
)
_COUNT = re.compile(
    rf"\b{_NUM}(?: (?:or|to|-) {_NUM})? (?:of (?:his|her|my|their|the|your|grandmas?|mums?"
    r"|moms?|dads?) )?(?:\w+ )?(tablets?|tabs?|pills?|capsules?|baclofens?|of (?:them|those))\b",
    re.I,
)
_NUM_COUNT = r"(\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|twenty|thirty)"
_COUNT_BARE = re.compile(
    rf"\b(?:took|swallowed|ate|had|taken) (?:like |about |around |maybe |nearly )?{_NUM_COUNT}"
    r"(?: (?:or|to) (\d+))?\b(?! ?(?:mg|ml|mcg|hours?|days?|weeks?|years?|am|pm))",
    re.I,
)
_STRENGTH = re.compile(r"\b(\d+(?:\.\d+)?) ?mg\b(?! ?/)(?!\w)|\b(\d+)s\b", re.I)
_ML = re.compile(r"\b(\d+(?:\.\d+)?) ?(?:ml|mls|milliliters?|millilitres?|cc)\b", re.I)
_TIMES = re.compile(r"\b(twice|two times|2 times|three times|3 times)\b", re.I)
_UNKNOWN_AMOUNT = re.compile(
    r"\b(whole (?:bottle|pack|box|week|month|strip)|all (?:of )?(?:his|her|my|the|their) "
    r"(?:pills|tablets|baclofen|medicine)|handful|a lot of|bunch|lots|sip|some of|a few|unas"
    r"|some)\b",
    re.I,
)
_INTENTIONAL = re.compile(
    r"\b(on purpose|deliberately|intentionally|to kill|to end it|to die|suicid\w*"
    r"|(?:don'?t|do not|dont) want to (?:be here|live|wake up)|end (?:my|his|her) life"
    r"|kill (?:myself|himself|herself))\b",
    re.I,
)
_HOURS_AGO = re.compile(
    rf"\b(?:about |around |like )?{_NUM} (hours?|hrs?|minutes?|mins?) ago\b", re.I
)
_DAYS_AGO = re.compile(
    rf"\b(?:for |like |about )?{_NUM} (days?|weeks?)(?: ago)?\b|\b(yesterday|last night"
    r"|last week|this morning|today)\b",
    re.I,
)
_STOPPED = re.compile(
    r"\b(stopped|stop(?:ped)? taking|quit|ran out|run out|running out|came off|come off|cold "
    r"turkey|haven'?t taken|have not taken|didn'?t take|didnt take|not taken|can'?t get it"
    r"|couldn'?t get)\b"
    # "to quit drinking", "stopped smoking": another habit, not the medicine
    r"(?! (?:drinking|smoking|alcohol|drugs|vaping|the booze|opioids|using))",
    re.I,
)
_MISSED = re.compile(r"\b(missed|skipped|forgot|forgotten)\b", re.I)
_INCREASED = re.compile(
    r"\b(raised|increased|upped|went up|gone up|bumped|doubled (?:my|his|her) dose"
    r"|higher dose|dose (?:was )?(?:raised|increased))\b",
    re.I,
)
_STARTED = re.compile(
    r"\b(just started|since (?:she |he |i |they )?start|started (?:him|her|me|on)"
    r"|new on|newly|first week|since starting)\b",
    re.I,
)
_PUMP_ALARM = re.compile(r"\b(alarm\w*|beep\w*|sonando|pitando)\b", re.I)
_REFILL_MISSED = re.compile(
    r"\b(missed|late|overdue|skipped|forgot)\b.{0,30}\brefill|\brefill\b"
    r".{0,30}\b(missed|late|overdue)",
    re.I,
)
_DIALYSIS = re.compile(r"\bdialysis\b", re.I)
_KIDNEY_BAD = re.compile(
    r"\b(kidneys? (?:are|is) (?:bad|poor|failing|weak)|bad kidneys?|kidney (?:disease|failure"
    r"|problems?|trouble)|ckd|renal (?:failure|impairment|disease))\b",
    re.I,
)
_CRCL = re.compile(
    r"\b(?:creatinine clearance|crcl|cr cl|clearance)(?: is| of|:)? ?(\d{1,3})\b", re.I
)
_EGFR = re.compile(r"\b(?:e?gfr)(?: is| of|:)? ?(\d{1,3})\b", re.I)
_PREGNANT = re.compile(r"\bpregnan", re.I)
_WEEKS_PREGNANT = re.compile(r"\b(\d{1,2}) ?(?:weeks?|wks?) pregnant\b", re.I)
_BREASTFEEDING = re.compile(r"\b(breast ?feed\w*|nursing|breast milk|pumping milk)\b", re.I)
_REGIMEN = re.compile(
    r"\b(\d+(?:\.\d+)?) ?(mg|mcg|ml)?\b[^.?!\d]{0,25}?\b(once a day|once daily|twice a day"
    r"|twice daily|(?:two|three|four|five|2|3|4|5|six|6) times a day"
    r"|(?:two|three|four|five|2|3|4|5) ?x (?:a|per) day"
    r"|tid|tds|qid|bid|bd|qds|daily|a day|per day|every \d+ hours?|q\d+h|at night|at bedtime)\b",
    re.I,
)
_TIMES_PREFIX = re.compile(r"\b(\d+) ?x ?(\d+(?:\.\d+)?) ?(mg)\b", re.I)
# Someone who has a symptom now: a time word, or a person then a verb of being or feeling.
_NOW = re.compile(
    r"\b(right now|now|tonight|today|this morning|since|after (?:her|his|my|the|taking|starting"
    r"|a|an|their)|keeps?|kept|been|for the past|started)\b"
    r"|\b(i|i'?m|im|he|she|hes|shes|they|we|my \w+|mom|mum|dad|husband|wife|son|daughter"
    r"|partner|grandpa|grandma|baby|toddler)\b[^.?!]{0,30}?\b(is|are|am|'s|has|have|seems?|keeps?"
    r"|feels?|feeling|getting|got|became|become|looks?|cant|can'?t|won'?t|wont|having)\b"
    r"|\b(i'?m|im|hes|he's|shes|she's|they'?re)\b",
    re.I,
)
# A general question about a symptom ("is confusion a side effect?") describes nobody.
_GENERAL = re.compile(
    r"^\s*(is|are|can|could|does|do|will|would|what|how|why|should|which)\b(?![^?]*\b(my|i|im"
    r"|i'?m|he|she|hes|shes|him|her)\b)",
    re.I,
)


_CLAUSE = re.compile(r"[,;.!?]+|\b(?:and|but|plus|then|now|also|since|after|y|pero)\b")


def symptom_clauses(catalog: Catalog, low: str) -> list[str]:
    """The question cut into clauses, with the filler words people add dropped ("breathing
    really slow" is read as "breathing slow"); at most eight, for the triage to read."""
    from medguide.knowledge.consumer_words import consumer_vocabulary

    fillers = consumer_vocabulary(catalog).fillers
    out: list[str] = []
    for clause in _CLAUSE.split(low):
        words = [w for w in clause.split() if w not in fillers]
        if words:
            out.append(" ".join(words)[:200])
    return out[:8]


def _num(word: str | None) -> float | None:
    if word is None:
        return None
    w = word.lower()
    if w in _NUM_WORDS:
        return float(_NUM_WORDS[w])
    try:
        return float(w)
    except ValueError:
        return None


# Facts about the person that the assessment checks a medicine against, even with no dose.
_PATIENT_FACTS = (
    "dialysis",
    "crcl_ml_min",
    "egfr",
    "conditions",
    "pregnant",
    "breastfeeding",
)


@dataclass
class Reading:
    """What the question says about a situation, in the assessment's terms."""

    request: dict[str, Any] = field(default_factory=dict)
    child: bool = False
    ingestion: bool = False
    self_harm: bool = False
    pump: bool = False
    stopped: bool = False
    symptoms: bool = False
    regimen: str | None = None
    # two liquids of different strength in one question (a switch): (old, new, ratio, sources)
    switch: tuple[str, str, float, tuple[str, ...]] | None = None

    @property
    def empty(self) -> bool:
        r = self.request
        return not (
            r.get("ingestion")
            or r.get("symptoms")
            or r.get("events")
            or any(m.get("text") for m in r.get("medications", ()))
            or self.self_harm
            or any(k in r.get("patient", {}) for k in _PATIENT_FACTS)
        )


_CONC_TEXT = re.compile(r"\b(\d+(?:\.\d+)?) ?(mg|mcg) ?/ ?(\d+(?:\.\d+)?)? ?ml\b", re.I)
_SWITCH = re.compile(
    r"\b(switch\w*|changed?|new (?:bottle|pharmacy|brand)|different (?:pharmacy|brand|bottle)"
    r"|old (?:bottle|one)|instead|same thing|same ml|like i did|used to)\b",
    re.I,
)


def _liquid_switch(
    catalog: Catalog, focus: str, low: str
) -> tuple[str, str, float, tuple[str, ...]] | None:
    """Two liquid strengths named in a question about a switch: the knowledge's products by
    name, or strengths written out ("5 mg/5 ml" and "5 mg/ml")."""
    from medguide.units import parse_concentration

    if not _SWITCH.search(low):
        return None
    found: list[tuple[int, str, float, tuple[str, ...]]] = []
    taken = low
    for prod in sorted(catalog.drugs[focus].products, key=lambda p: -len(p.id)):
        if prod.concentration is None:
            continue
        name = prod.id.replace("_", " ")
        m = re.search(rf"\b{re.escape(name)}\b", taken)
        if m:
            per_ml, _unit = parse_concentration(str(prod.concentration))
            found.append((m.start(), prod.name.split(" oral")[0], per_ml, tuple(prod.sources)))
            taken = taken[: m.start()] + " " * len(name) + taken[m.end() :]
    for m in _CONC_TEXT.finditer(low):
        per_ml = float(m.group(1)) / float(m.group(3) or 1)
        found.append((m.start(), m.group(0), per_ml, ()))
    if len(found) < 2:
        return None
    # the old one is named after "from", "old" or "used to"; otherwise the one named last
    old_at = re.search(r"\b(from|old|used to|like i did with|previous)\b", low)
    found.sort()
    if old_at and any(f[0] > old_at.start() for f in found):
        old = next(f for f in found if f[0] > old_at.start())
        new = next(f for f in found if f is not old)
    else:
        new, old = found[0], found[-1]
    if old[2] == new[2]:
        return None
    return old[1], new[1], new[2] / old[2], tuple(dict.fromkeys((*old[3], *new[3])))


def _age(text: str, child: bool) -> float | None:
    m = _MONTHS.search(text)
    if m:
        return round(int(m.group(1)) / 12, 2)
    for m in _AGE.finditer(text):
        v = float(m.group(1) or m.group(2))
        if 0 < v <= 110:
            return v
    return None


def read_situation(catalog: Catalog, text: str, ents: Entities, focus: str) -> Reading:
    """Turn what the question says into an assessment request (dict form)."""
    low = text.lower().replace("’", "'")
    out = Reading()
    child = bool(_CHILD.search(low))
    age = _age(low, child)
    if age is not None and age >= 18 and not _CHILD_WORD.search(low):
        child = False
    out.child = child
    patient: dict[str, Any] = {}
    if age is not None and (not child or age < 18):
        patient["age_years"] = age
    if _DIALYSIS.search(low):
        patient["dialysis"] = "hemodialysis"
    elif m := _CRCL.search(low):
        patient["crcl_ml_min"] = float(m.group(1))
    elif m := _EGFR.search(low):
        patient["egfr"] = float(m.group(1))
    if _KIDNEY_BAD.search(low) and "dialysis" not in patient:
        patient["conditions"] = ["kidney_disease"]
    planning = re.search(r"\b(trying|plan\w*|want) to (get|be)", low)
    a_man = re.search(r"\b(he|him|his|husband|dad|son)\b", low)
    if _PREGNANT.search(low) and not planning and not a_man:
        patient["pregnant"] = True
        if m := _WEEKS_PREGNANT.search(low):
            patient["gestational_age_weeks"] = float(m.group(1))
    if _BREASTFEEDING.search(low):
        patient["breastfeeding"] = True

    drug_name = next(
        (d.query for d in ents.drugs if d.drug_id == focus and d.query != d.drug_id), focus
    )
    out.pump = bool(PUMP.search(low)) or catalog.drugs[focus].id == "gablofen"
    route = "intrathecal" if out.pump else None
    medication: dict[str, Any] = {"drug": drug_name}
    if route:
        medication["route"] = route
    m = _REGIMEN.search(low)
    mt = _TIMES_PREFIX.search(low)
    ingest_verb = _INGEST_VERB.search(low)
    if m and not (ingest_verb and _COUNT.search(low)):
        reg = f"{drug_name} {m.group(0)}"
        if mt:  # "2 x 20 mg three times a day": two tablets a dose
            dose = float(mt.group(1)) * float(mt.group(2))
            reg = f"{drug_name} {dose:g} mg {m.group(3)}"
        medication = {"text": reg, **({"route": route} if route else {})}
        out.regimen = m.group(0)
    meds = [medication]
    meds += [{"drug": d} for d in ents.covered_drugs if d != focus]

    # An amount swallowed: only with a verb of taking and something that says more than the
    # usual dose (a count, an amount, a child, "again", "twice", "whole bottle").
    ingestion: dict[str, Any] | None = None
    if ingest_verb and not re.search(r"\b(can|could|should|may|do) i (take|have|give)\b", low):
        count: float | None = None
        unknown = _UNKNOWN_AMOUNT.search(low)
        if unknown and not re.search(r"\b\d+\b", low):
            pass  # "a bunch", "the whole bottle": the amount is not known, so it counts as large
        elif cm := _COUNT.search(low):
            count = max(v for v in (_num(cm.group(1)), _num(cm.group(2))) if v is not None)
        elif bm := _COUNT_BARE.search(low):
            count = max(v for v in (_num(bm.group(1)), _num(bm.group(2))) if v is not None)
        strength = None
        for sm in _STRENGTH.finditer(low):
            strength = float(sm.group(1) or sm.group(2))
            break
        ml = _ML.search(low)
        times = _TIMES.search(low)
        again = re.search(r"\b(again|twice|extra|double|by mistake|two doses)\b", low)
        intentional = bool(_INTENTIONAL.search(low))
        if count is not None or ml or again or unknown or child or intentional:
            ingestion = {"drug": drug_name}
            if ml and not count:
                amount = float(ml.group(1))
                if times:
                    amount *= (
                        2 if times.group(1).lower() in {"twice", "two times", "2 times"} else 3
                    )
                ingestion.update(amount=amount, unit="mL")
            elif count is not None and not (child and age is None):
                ingestion.update(amount=count, unit="tablet")
                if strength and strength <= 30:
                    ingestion["strength_mg"] = strength
            elif again and not unknown and not child:
                n_doses = 3 if re.search(r"\band (maybe )?again\b", low) else 2
                ingestion.update(amount=float(n_doses), unit="tablet")
                if strength and strength <= 30:
                    ingestion["strength_mg"] = strength
            if intentional:
                ingestion["intentional"] = True
            if hm := _HOURS_AGO.search(low):
                h = _num(hm.group(1)) or 1.0
                ingestion["hours_ago"] = h / 60 if hm.group(2).lower().startswith("min") else h
            if route:
                ingestion["route"] = route
            out.ingestion = True
    # Self-harm is read by the one symptom vocabulary (negation included: "not suicidal"),
    # through the entities' red flags, never by a second pattern here.
    out.self_harm = bool(set(ents.red_flags) & SELF_HARM_FLAGS)
    out.switch = _liquid_switch(catalog, focus, low)

    events: list[dict[str, Any]] = []
    days: float | None = None
    if dm := _DAYS_AGO.search(low):
        if dm.group(3):
            days = {"yesterday": 1.0, "last night": 0.5, "last week": 7.0}.get(
                dm.group(3).lower(), 0.0
            )
        else:
            n = _num(dm.group(1)) or 1.0
            days = n * (7.0 if dm.group(2).lower().startswith("week") else 1.0)
    wants = re.search(
        r"\b(can|could|should|may|want to|wanna|thinking (?:of|about)|planning to|how (?:do|can|"
        r"should) i|how to|is it ok to|ok to) (?:i )?(?:just )?(?:stop|quit|come off|get off)",
        low,
    )
    if wants and not ingestion:
        events.append({"kind": "wants_to_stop", "drug": focus})
    elif _STOPPED.search(low) and not ingestion:
        out.stopped = True
        many = _MISSED.search(low) and not re.search(r"\bran out|run out|stopped|quit\b", low)
        events.append(
            {"kind": "doses_missed" if many else "stopped", "drug": focus, "days_ago": days}
        )
    elif _MISSED.search(low) and days and days >= 1 and not ingestion:
        events.append({"kind": "doses_missed", "drug": focus, "days_ago": days})
    if _INCREASED.search(low):
        events.append({"kind": "dose_increased", "drug": focus, "days_ago": days})
    if _STARTED.search(low):
        medication["new"] = True
    if out.pump and _PUMP_ALARM.search(low):
        events.append({"kind": "pump_alarm", "drug": focus})
    if out.pump and _REFILL_MISSED.search(low):
        events.append({"kind": "pump_refill_missed", "drug": focus, "days_ago": days})
    if out.pump and re.search(r"\b(stopped working|broken|not working|failed)\b", low):
        events.append({"kind": "stopped", "drug": focus})

    # Symptoms: only when the question describes someone now (not "can it cause seizures?").
    # The clauses go to the clinical triage, which reads them with the shared vocabulary.
    symptoms: list[str] = []
    now = bool(_NOW.search(low)) and not _GENERAL.search(low)
    if now or events or ingestion is not None or ents.red_flags:
        symptoms = symptom_clauses(catalog, low)
    if ents.red_flags and symptoms:
        symptoms += [f for f in ents.red_flags if f not in SELF_HARM_FLAGS]
    out.symptoms = bool(symptoms)

    if patient:
        out.request["patient"] = patient
    out.request["medications"] = meds
    if ingestion:
        out.request["ingestion"] = ingestion
    if events:
        out.request["events"] = events
    if symptoms:
        out.request["symptoms"] = symptoms
    subs = [s for s in ents.substances if s in catalog.drugs]
    if subs:
        out.request["substances"] = subs
    return out


# --- the assessment and the opening sentence -----------------------------------------------


@dataclass(frozen=True)
class Outcome:
    level: str | None
    state: str | None
    findings: tuple[Any, ...]
    advice: tuple[str, ...]
    sources: tuple[str, ...]


def assess_situation(catalog: Catalog, reading: Reading) -> Outcome | None:
    # The same assessment as `medguide assess` (service.assess is this call, one to one;
    # answers sit below the service layer, so they call the clinical function directly).
    from medguide.clinical.assess import assess
    from medguide.clinical.request import AssessRequest

    try:
        result = assess(catalog, AssessRequest.model_validate(reading.request))
    except (ValueError, KeyError, NotImplementedError):
        return None
    tri = result.triage or {}
    level = str(tri.get("level")) if tri.get("level") else None
    # Unread words keep the triage from self-care; that alone is no reason to alarm anyone.
    recognised = bool(tri.get("symptoms"))
    reading.symptoms = recognised
    if not (recognised or reading.ingestion or reading.request.get("events")) and not any(
        f.code in SITUATION_FINDINGS for f in result.findings
    ):
        level = None
    findings = tuple(f for f in result.findings if f.code in SITUATION_FINDINGS)
    dose_high = any(
        f.code
        in {
            "max_daily_dose_exceeded",
            "max_single_dose_exceeded",
            "pediatric_max_exceeded",
            "concentration_confusion",
            "renal_avoid",
        }
        for f in findings
    )
    serious = any(f.severity in {"high", "critical"} for f in findings)
    if (dose_high or serious) and LEVELS.index(level or "self_care") < LEVELS.index("urgent"):
        # the assessment's own severity: a finding it rates high is for the prescriber today
        level = "urgent"
    advice = tuple(
        dict.fromkeys(
            [
                *(str(a) for a in tri.get("advice", ()) or ()),
                *(a for f in findings for a in f.advice),
                *(str(a) for a in result.advice),
            ]
        )
    )
    advice = tuple(a for a in advice if a not in NOT_FOR_PATIENTS and a != "reduce_dose")
    sources = tuple(dict.fromkeys(s for f in findings for s in f.sources))
    state = tri.get("suspected_state")
    return Outcome(level, str(state) if state else None, findings, advice, sources)


def _section_sources(catalog: Catalog, focus: str, section: str) -> tuple[str, ...]:
    guide = guide_index(catalog).guides.get(focus)
    sec = guide.section(section) if guide else None
    if sec is None:
        return ()
    return tuple(dict.fromkeys(s for it in sec.items[:2] for s in it.sources))


def _who(reading: Reading) -> str:
    return "the child" if reading.child else "the person"


def opener(
    catalog: Catalog, focus: str, reading: Reading, out: Outcome, red_flags: tuple[str, ...]
) -> AnswerPart | None:
    """The first sentence: the action and who to call, for urgent and emergency only."""
    name = catalog.drugs[focus].name
    level = out.level
    flags = set(red_flags)
    if reading.self_harm or flags & SELF_HARM_FLAGS:
        srcs = out.sources or _section_sources(catalog, focus, "overdose")
        return AnswerPart(
            "emergency",
            "If you or someone else may act on thoughts of suicide or self-harm, call emergency "
            f"services now ({EMERGENCY_NUMBER}) or a crisis line (988 in the US), and do not "
            "stay alone. Put the tablets out of reach, or give them to someone "
            "else, and if any were taken, say which and how many.",
            srcs,
            focus,
            "overdose",
            "Emergency",
            True,
            "call_emergency_services",
        )
    emergency_flag = bool(flags - SELF_HARM_FLAGS) and (reading.symptoms or reading.ingestion)
    if level == "emergency" or emergency_flag:
        if out.state == "overdose" or reading.ingestion:
            why = f"{_who(reading)} may have taken a dangerous amount of {name}"
            section = "overdose"
        elif (
            out.state == "suspected_withdrawal"
            or reading.stopped
            or (reading.pump and out.state != "suspected_toxicity")
        ):
            why = (
                f"these signs can be {name} withdrawal, which can become life-threatening; say "
                "when the last dose was or what the pump did"
            )
            section = "stopping"
        elif out.state == "suspected_toxicity":
            why = f"these signs can mean too much {name} is building up in the body"
            section = "overdose"
        else:
            why = "what you describe is a danger sign that needs help straight away"
            section = "side_effects"
        srcs = out.sources or _section_sources(catalog, focus, section)
        return AnswerPart(
            "emergency",
            f"Call emergency services now ({EMERGENCY_NUMBER}): {why}.",
            srcs,
            focus,
            section,
            "Emergency",
            False,
            "call_emergency_services",
        )
    if level == "urgent" and (out.state == "overdose" or reading.ingestion):
        srcs = out.sources or _section_sources(catalog, focus, "overdose")
        seems = "even if the child seems well" if reading.child else "even if there are no signs"
        return AnswerPart(
            "emergency",
            f"Call a poison centre now ({POISON_NUMBER}), {seems}: {_who(reading)} may have "
            f"taken more {name} than is safe. {DANGER_SIGNS}",
            srcs,
            focus,
            "overdose",
            "Call a poison centre",
            False,
            "call_poison_center",
        )
    if reading.switch is not None and LEVELS.index(level or "self_care") <= LEVELS.index("urgent"):
        old, new, ratio, srcs = reading.switch
        times = "twice as strong" if ratio == 2 else f"{ratio:g} times as strong"
        if ratio < 1:
            times = "half as strong" if ratio == 0.5 else f"{ratio:g} times as strong (weaker)"
        return AnswerPart(
            "emergency",
            f"Check with the pharmacist or prescriber today, before the next dose: {new} is "
            f"{times} per mL as {old}, so the same number of mL is not the same dose.",
            srcs or _section_sources(catalog, focus, "products"),
            focus,
            "products",
            "Get advice today",
            False,
            "contact_prescriber",
        )
    if level == "urgent":
        who = (
            "the pump clinic or the prescriber"
            if reading.pump
            else "the prescriber or a pharmacist"
        )
        codes = {f.code for f in out.findings}
        if codes & {
            "max_daily_dose_exceeded",
            "max_single_dose_exceeded",
            "pediatric_max_exceeded",
        }:
            why = "the dose you describe is above the labelled maximum"
        elif "concentration_confusion" in codes:
            why = "the strength of the liquid may not match the dose"
        elif codes & {"renal_avoid", "renal_dose_adjustment"}:
            why = f"with weak kidneys {name} builds up and needs a much lower dose or none"
        elif out.state == "suspected_toxicity":
            why = f"these signs can mean {name} is building up in the body"
        elif codes & {"geriatric_dose_caution", "titration_too_fast"}:
            why = "the dose you describe is high for this person or raised faster than usual"
        elif "withdrawal_risk" in codes or reading.stopped or reading.pump:
            why = f"going without {name} can bring on withdrawal within a day or two"
        elif "neonatal_withdrawal_risk" in codes:
            why = "the baby may need watching for withdrawal after birth"
        elif out.state == "expected_side_effect":
            why = f"this can be a side effect of {name}, and it needs checking the same day"
        else:
            why = "what you describe needs checking the same day"
        srcs = out.sources or _section_sources(catalog, focus, "side_effects")
        happening = reading.symptoms or reading.stopped or reading.pump or reading.ingestion
        return AnswerPart(
            "emergency",
            f"Contact {who} today: {why}." + (f" {DANGER_SIGNS}" if happening else ""),
            srcs,
            focus,
            "side_effects",
            "Get advice today",
            False,
            "contact_prescriber",
        )
    return None


def add_situation(
    catalog: Catalog, draft: Draft, ents: Entities, focus: str | None, text: str
) -> Reading | None:
    """Read the question for a situation, assess it, and open the answer with the action.
    Returns the reading (for the composition that follows) or None when there is none."""
    if focus is None or focus not in catalog.drugs:
        return None
    reading = read_situation(catalog, text, ents, focus)
    if reading.empty and reading.switch is None:
        return reading
    out = assess_situation(catalog, reading)
    if out is None:
        draft.not_checked.append("the situation could not be assessed: ask a pharmacist")
        return reading
    part = opener(catalog, focus, reading, out, ents.red_flags)
    level = out.level
    if part is not None and not part.sources:
        part = replace(part, judgment=True)  # general safety advice, the team's judgment
    if part is not None:
        draft.parts.insert(0, part)
        draft.add_advice((part.code or "call_emergency_services",))
        if part.code == "call_emergency_services":
            level = "emergency"
            if reading.ingestion:
                draft.add_advice(("call_poison_center",))
        elif part.code in {"call_poison_center", "contact_prescriber"} and LEVELS.index(
            level or "self_care"
        ) < LEVELS.index("urgent"):
            level = "urgent"  # the answer says "today": its level says so too
    draft.triage = level
    for f in out.findings:
        lead = FINDING_LEAD.get(f.code)
        message = f"{lead}: {f.message}" if lead else f.message
        draft.add(
            AnswerPart(
                "finding", message, tuple(f.sources), focus, None, "Assessment", False, f.code
            )
        )
    draft.add_advice(out.advice)
    if part is not None and part.code == "contact_prescriber":
        draft.add_advice(("contact_prescriber",))
    return reading


def add_emergency(
    catalog: Catalog,
    draft: Draft,
    ents: Entities,
    focus: str | None,
    text: str,
    *,
    ingested: bool = False,
) -> None:
    """A question about overdose or an emergency in general: open with what to do if it
    happens (the situation, if any, was assessed already)."""
    if any(p.kind == "emergency" for p in draft.parts):
        return
    srcs = _section_sources(catalog, focus, "overdose") if focus else ()
    draft.parts.insert(
        0,
        AnswerPart(
            "emergency",
            f"If someone may have taken too much, call a poison centre now ({POISON_NUMBER}); "
            f"call emergency services ({EMERGENCY_NUMBER}) if they are very hard to wake, "
            "breathing slowly or badly, or have a seizure.",
            srcs,
            focus,
            "overdose",
            "If it happens",
            not srcs,  # general safety advice; marked as the team's judgment when unsourced
            "call_poison_center",
        ),
    )
    draft.add_advice(EMERGENCY_ADVICE)


# The part of the guide that explains a finding of the assessment.
FINDING_INTENT = {
    "renal_avoid": "kidneys_liver",
    "renal_dose_adjustment": "kidneys_liver",
    "beers_kidney_avoid": "kidneys_liver",
    "geriatric_dose_caution": "older_adults",
    "neonatal_withdrawal_risk": "pregnancy",
    "max_daily_dose_exceeded": "dose",
    "concentration_confusion": "brand_names",
}
# A plain lead for a finding whose own words do not say what it is about.
FINDING_LEAD = {
    "renal_avoid": "Kidneys",
    "renal_dose_adjustment": "Kidneys",
    "beers_kidney_avoid": "Kidneys and age",
    "geriatric_dose_caution": "Older age",
    "titration_too_fast": "Starting dose",
    "neonatal_withdrawal_risk": "The baby",
    "max_daily_dose_exceeded": "Dose check",
    "max_single_dose_exceeded": "Dose check",
    "pediatric_max_exceeded": "Dose check for a child",
}


def implied_intent(reading: Reading | None, draft: Draft) -> str | None:
    """The part of the guide that goes with what the situation showed."""
    if reading is None:
        return None
    opened = any(p.kind == "emergency" for p in draft.parts)
    if reading.ingestion or reading.self_harm:
        return "overdose"
    if reading.switch is not None:
        return "brand_names"
    codes = {p.code for p in draft.parts if p.kind == "finding"}
    for code, intent in FINDING_INTENT.items():
        if code in codes:
            return intent
    if not opened and not any(p.kind == "finding" for p in draft.parts):
        return None
    if reading.pump:
        return "pump"
    if reading.stopped:
        return "stopping"
    return "side_effects" if reading.symptoms else None
