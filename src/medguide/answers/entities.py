"""What a question names: medicines, substances, symptoms and amounts.

Medicine names go through the catalog's resolver (brands, synonyms, misspellings), so
"lioresal" and "baclofen" are the same thing. Everyday words for substances ("a beer", "weed")
map to the catalog's substance files when they exist. Symptoms that should never wait (cannot
be woken, breathing slowly, a seizure) are flagged so the answer opens with emergency advice.

Everything here is pure: a catalog and a text in, an `Entities` value out. The per-catalog
lexicon is built once and memoised by the catalog version.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from medguide.clinical.model import Resolved
from medguide.knowledge.catalog import Catalog
from medguide.units import normalize_unit

WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")

# Everyday words for substances ("beer", "weed", "a glass of wine") are the substances' own
# synonyms in their knowledge files (knowledge/data/drugs/alcohol.yaml, cannabis.yaml...), read
# through the catalog like any medicine name, so `ask`, triage's `substances` and the
# assessment all resolve them the same way. Foods and drinks with no knowledge file are kept
# here by their plain name, so an answer can say they are not covered (not a medicine).
FOOD_WORDS: Mapping[str, str] = {
    "grapefruit": "grapefruit",
    "chamomile": "chamomile",
    "caffeine": "caffeine",
    "coffee": "caffeine",
}
# "drink" alone is ambiguous ("drink water"); it counts as alcohol only with no other liquid.
AMBIGUOUS_DRINK = frozenset({"drink", "drinks", "drinking"})
NON_ALCOHOL_DRINKS = frozenset({"water", "milk", "juice", "tea", "coffee", "soda", "smoothie"})

# A red-flag word in a general question ("can it cause seizures?", "I have a seizure
# disorder") is not an event happening now; it opens no emergency unless something says it is.
_GENERAL = re.compile(
    r"\b(cause[sd]?|causing|risk|risks|history of|prone|threshold|disorder|epilep\w*|lower\w*"
    r"|side effects?|what if|what happens if|possible|chance)\b"
)
_HAPPENING = re.compile(
    r"\b(right now|just now|is having|keeps having|started having|had a|won'?t|can'?t|cannot"
    r"|isn'?t|not breathing|unconscious|unresponsive|collapsed|passed out|took|swallowed)\b"
)

_QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?)\s*(mg|milligrams?|mcg|micrograms?|µg|ug|g|grams?|ml|mls|milliliters?"
    r"|millilitres?|tablets?|tabs?|pills?|packets?|capsules?)\b",
    re.IGNORECASE,
)

# Words that are never medicine names, so the resolver's fuzzy matching is not asked about them.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "done",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "just",
        "me",
        "might",
        "more",
        "most",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "im",
        "ive",
        "id",
        "dont",
        "cant",
        "wont",
        "isnt",
        "whats",
        "hows",
        "okay",
        "ok",
        "safe",
        "take",
        "taking",
        "took",
        "taken",
        "use",
        "used",
        "using",
        "get",
        "got",
        "much",
        "many",
        "long",
        "take",
        "day",
        "days",
        "daily",
        "week",
        "weeks",
        "month",
        "hour",
        "hours",
        "time",
        "times",
        "morning",
        "night",
        "bed",
        "mean",
        "means",
        "tell",
        "know",
        "need",
        "want",
        "like",
        "feel",
        "feeling",
        "go",
        "going",
        "still",
        "something",
        "anything",
        "thing",
        "things",
        "ever",
        "never",
        "really",
        "pill",
        "pills",
        "tablet",
        "tablets",
        "dose",
        "doses",
        "dosage",
        "med",
        "meds",
        "medicine",
        "medication",
        "medications",
        "drug",
        "drugs",
        "doctor",
        "pharmacist",
        "nurse",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "dear",
        "yes",
        "okay",
        "maybe",
        "help",
        "stop",
        "start",
    ]
)

# Suffixes of international non-proprietary names: a word with one of these that the resolver
# does not know is very likely a medicine the catalog does not cover.
DRUG_SUFFIXES = (
    "pril",
    "sartan",
    "olol",
    "dipine",
    "statin",
    "azepam",
    "azolam",
    "oxetine",
    "aline",
    "triptan",
    "profen",
    "coxib",
    "mycin",
    "cillin",
    "floxacin",
    "cycline",
    "prazole",
    "tidine",
    "gliptin",
    "gliflozin",
    "formin",
    "afil",
    "mab",
    "vir",
    "azole",
    "semide",
    "thiazide",
    "barbital",
    "codone",
    "morphone",
    "pam",
    "lam",
    "setron",
    "tadine",
    "ipramine",
    "triptyline",
    "pine",
    "done",
    "zepam",
    "lukast",
    "parin",
    "xaban",
    "gatran",
)


@dataclass(frozen=True)
class Amount:
    value: float
    unit: str
    text: str


@dataclass(frozen=True)
class Entities:
    """What one question names."""

    drugs: tuple[Resolved, ...] = ()  # covered or known medicines, in order of mention
    unknown_drugs: tuple[str, ...] = ()  # words that look like medicine names but did not resolve
    substances: tuple[str, ...] = ()  # catalog ids (alcohol, cannabis) or plain names
    symptoms: tuple[str, ...] = ()
    symptom_phrases: tuple[str, ...] = ()  # the words as said, for the triage request
    red_flags: tuple[str, ...] = ()
    amounts: tuple[Amount, ...] = ()
    words: tuple[str, ...] = field(default=(), repr=False)

    @property
    def covered_drugs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.drug_id for d in self.drugs if d.drug_id))

    @property
    def uncovered_drugs(self) -> tuple[str, ...]:
        """Medicines the name lists know but the catalog has no monograph for."""
        names = [d.ingredient or d.query for d in self.drugs if d.drug_id is None]
        return tuple(dict.fromkeys([*names, *self.unknown_drugs]))


@dataclass
class _Lexicon:
    """Names the catalog knows, for exact lookups, and a memo of resolver answers."""

    exact: dict[str, str]  # lowercased name/synonym/brand → drug id
    max_words: int
    symptom_tokens: frozenset[str]  # every word of the symptom vocabulary (not medicine names)
    memo: dict[str, Resolved]
    lock: threading.Lock


_LEXICONS: dict[str, _Lexicon] = {}
_LEX_LOCK = threading.Lock()


def _lexicon(catalog: Catalog) -> _Lexicon:
    key = f"{catalog.version}:{id(catalog)}"
    lex = _LEXICONS.get(key)
    if lex is not None:
        return lex
    exact: dict[str, str] = {}
    for drug in catalog.drugs.values():
        names = [
            drug.id.replace("_", " "),
            drug.name,
            *drug.synonyms,
            *drug.salts,
            *(b.name for b in drug.brands),
        ]
        for name in names:
            exact.setdefault(name.lower().strip(), drug.id)
    max_words = max((len(n.split()) for n in exact), default=1)
    symptom_tokens = frozenset(
        t for sym in catalog.symptoms.symptoms for phrase in sym.words for t in phrase.split()
    )
    lex = _Lexicon(exact, min(max_words, 4), symptom_tokens, {}, threading.Lock())
    with _LEX_LOCK:
        _LEXICONS[key] = lex
    return lex


def _resolve(catalog: Catalog, lex: _Lexicon, text: str) -> Resolved:
    from medguide.knowledge.names import resolve_name

    hit = lex.memo.get(text)
    if hit is None:
        try:
            hit = resolve_name(catalog, text)
        except (ValueError, KeyError):
            hit = Resolved(text, None, None, None, None, "none", 0.0)
        with lex.lock:
            if len(lex.memo) > 50_000:
                lex.memo.clear()
            lex.memo[text] = hit
    return hit


def tokens(text: str) -> list[str]:
    return WORD.findall(text.lower().replace("’", "'"))


# The public name lists hold foods and everyday things too ("milk" is a DrugBank entry);
# a name from those lists counts as a medicine only where the words around it say so.
_DRUG_CONTEXT_BEFORE = frozenset(
    [
        "take",
        "taking",
        "took",
        "with",
        "and",
        "on",
        "mix",
        "mixing",
        "combine",
        "of",
        "about",
        "prescribed",
        "using",
        "use",
        "plus",
        "or",
        "is",
        "are",
    ]
)
_DRUG_CONTEXT_AFTER = frozenset(
    ["with", "and", "together", "dose", "doses", "tablets", "pills", "mg", "or"]
)
COMMON_NOT_DRUGS = frozenset(
    [
        "milk",
        "water",
        "food",
        "juice",
        "tea",
        "sugar",
        "salt",
        "honey",
        "bread",
        "meal",
        "meals",
        "breakfast",
        "dinner",
        "lunch",
        "fruit",
        "oil",
        "butter",
        "cheese",
        "eggs",
        "egg",
        "rice",
        "fish",
        "meat",
        "chocolate",
    ]
)


def _drug_context(words: list[str], idx: int) -> bool:
    if words[idx] in COMMON_NOT_DRUGS:
        return False
    before = words[idx - 1] if idx > 0 else ""
    after = words[idx + 1] if idx + 1 < len(words) else ""
    return before in _DRUG_CONTEXT_BEFORE or after in _DRUG_CONTEXT_AFTER or idx == 0


def _looks_like_drug(word: str) -> bool:
    return len(word) >= 6 and word.isalpha() and word.endswith(DRUG_SUFFIXES)


def extract_entities(catalog: Catalog, text: str, plain: frozenset[str] = frozenset()) -> Entities:
    """Find medicines, substances, symptoms, red flags and amounts in a question. Words in
    `plain` (the words the knowledge itself is written in) are looked up in the public name
    lists only when they look like a medicine's name, which spares a process that is asked
    an everyday question the cost of loading those lists."""
    lex = _lexicon(catalog)
    low = text.lower().replace("’", "'")
    words = tokens(low)

    drugs: list[Resolved] = []
    unknown: list[str] = []
    substances: list[str] = []
    seen_ids: set[str] = set()
    used: set[int] = set()

    def add_drug(r: Resolved) -> None:
        key = r.drug_id or r.ingredient or r.query
        if key not in seen_ids:
            seen_ids.add(key)
            drugs.append(r)

    def add_substance(sid: str) -> None:
        if sid not in substances:
            substances.append(sid)

    # Longest names first (e.g. "ozobax ds" before "ozobax"); exact catalog names, then the
    # resolver for single words that are not ordinary English.
    i = 0
    while i < len(words):
        matched = False
        for n in range(min(lex.max_words, len(words) - i), 0, -1):
            gram = " ".join(words[i : i + n])
            did = lex.exact.get(gram)
            if gram in AMBIGUOUS_DRINK and set(words[i + 1 : i + 4]) & NON_ALCOHOL_DRINKS:
                did = None  # "drink water" is not alcohol
            if did is not None:
                drug = catalog.drugs[did]
                if drug.kind == "drug":
                    add_drug(Resolved(gram, did, did, None, gram, "exact", 1.0))
                else:
                    add_substance(did)
                used.update(range(i, i + n))
                i += n
                matched = True
                break
        if not matched:
            i += 1

    for idx, w in enumerate(words):
        if idx in used:
            continue
        if w in FOOD_WORDS:
            add_substance(FOOD_WORDS[w])
            continue
        if w in AMBIGUOUS_DRINK and set(words[idx + 1 : idx + 4]) & NON_ALCOHOL_DRINKS:
            continue  # "drink water" is not alcohol
        if w in STOPWORDS or len(w) < 4 or not w.isalpha() or w in lex.symptom_tokens:
            continue
        if w in plain and w not in lex.exact and not _looks_like_drug(w):
            continue
        r = _resolve(catalog, lex, w)
        if r.drug_id is not None and r.score >= 0.85:
            if r.method == "fuzzy" and catalog.drugs[r.drug_id].kind != "drug":
                continue  # "brand" is not a misspelt "brandy"
            if catalog.drugs[r.drug_id].kind == "drug":
                add_drug(r)
            else:
                add_substance(r.drug_id)
        elif r.ingredient is not None and r.score >= 0.9 and _drug_context(words, idx):
            add_drug(r)
        elif _looks_like_drug(w):
            unknown.append(w)

    # One symptom vocabulary and one triage for every door: the question is read as triage
    # reads a symptom (knowledge/data/symptoms.yaml, with negation scoping), and its red
    # flags are the ones triage raises with nothing known of the situation. Red flags that
    # need the situation (after stopping, with a pump) are left to triage, which knows it.
    from medguide.clinical.triage import Situation, check_triage, read_symptom

    reading = read_symptom(catalog.symptoms, text)
    symptoms = list(reading.symptoms)
    phrases = list(reading.phrases)
    red = list(check_triage(catalog.symptoms, [text], Situation()).red_flags)
    if red and _GENERAL.search(low) and not _HAPPENING.search(low):
        red = []
    amounts = tuple(
        Amount(float(m.group(1)), normalize_unit(m.group(2)), m.group(0))
        for m in _QUANTITY.finditer(text)
    )
    return Entities(
        drugs=tuple(drugs),
        unknown_drugs=tuple(dict.fromkeys(unknown)),
        substances=tuple(substances),
        symptoms=tuple(symptoms),
        symptom_phrases=tuple(phrases),
        red_flags=tuple(dict.fromkeys(red)),
        amounts=amounts,
        words=tuple(words),
    )
