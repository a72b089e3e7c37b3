"""Reading what a person says about symptoms: one phrase → the vocabulary's symptoms.

Measured values first ("breathing 6 a minute", "temp 40"), then words, left to right, the
longest known phrase at each point, with negation scoped to its clause and misspellings
read as the one known word they are close to. The vocabulary (words, normal phrases, small
words) is `knowledge/data/symptoms.yaml`; no symptom is named in code. Triage, the
assessment and question answering all read symptoms here.

>>> from medguide.knowledge.loader import load_catalog
>>> r = read_symptom(load_catalog().symptoms, "no fever but can't wake him")
>>> r.symptoms, r.absent
(('unrousable',), ('fever',))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from medguide.knowledge.models.symptoms import SymptomFile, normalize_words

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
    (
        "tablets_taken",
        re.compile(
            rf"\b(?:took|taken|swallowed|ate|had)\s+(?:about\s+|around\s+|over\s+)?{_NUM}\s*"
            r"(?:of\s+(?:his|her|my|their|the)\s+)?(?:[a-z]+\s+)?(?:tablets?|pills?|tabs?|capsules?)\b"
        ),
    ),
    ("avpu", re.compile(r"\bavpu\s*(?:is|of|:|=)?\s*([avpu])\b")),
)
_PLAUSIBLE: Mapping[str, tuple[float, float]] = {
    "respiratory_rate": (0, 80),
    "temperature_c": (25, 45),
    "heart_rate": (0, 300),
    "systolic_bp": (30, 300),
    "gcs": (3, 15),
    "tablets_taken": (0, 999),
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
    phrases: tuple[str, ...] = ()  # the vocabulary phrases read as present, in order


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


# Negation scoping. A negation cue ("no", "not", "denies", "never had", "free of") negates
# the next symptom phrase in its own clause, across a few small words ("denies any chest
# pain"), and the phrases joined to it by "or"/"nor" ("denies chest pain or shortness of
# breath"). It stops at a clause break (a comma, "but", "however"...), at "and" or "with",
# and at any word that is not a small word: "no fever but can't wake him" keeps the
# emergency. Phrases that carry their own negation ("not breathing", "can't wake", "won't
# respond") are read whole first: "not breathing" is the worst breathing problem, never its
# absence. A cue before a longer phrase than the self-negated one it starts ("no breathing
# problems" against "no breathing") negates the longer phrase.
_NEGATORS = frozenset(
    {
        "no",
        "not",
        "without",
        "never",
        "denies",
        "denied",
        "deny",
        "nor",
        "isnt",
        "wasnt",
        "arent",
        "hasnt",
        "havent",
        "hadnt",
        "doesnt",
        "didnt",
        "dont",
        "free",
        "nothing",
        "none",
    }
)
_NEG_CHAIN = frozenset({"or", "nor"})  # "no X or Y": Y is negated too
# "no X and Y": Y is not negated; nor after "he's" ("no he's fitting": a new statement)
_NEG_STOP = frozenset({"and", "with", "but", "then", "hes", "shes", "theyre", "im", "hed", "shed"})
# "never felt so dizzy", "never been this sleepy": a comparison, not a negation
_NEG_STOP |= {"so", "as", "this", "such"}
_NEG_REACH = 3  # small words allowed between a cue and its phrase
# "never had chest pain like this", "no pain this bad": the symptom is there, worse than ever
_COMPARED = frozenset(
    {
        ("like", "this"),
        ("like", "that"),
        ("this", "bad"),
        ("so", "bad"),
        ("as", "bad"),
        ("this", "severe"),
        ("so", "severe"),
    }
)
_CLAUSE_BREAK = re.compile(r"[,.;:!?()]|\b(?:but|however|although|though|yet|except)\b")


def _tokens(text: str) -> list[tuple[str, bool, int]]:
    """(word, is filler, clause number) for each word, folded as `normalize_words` does."""
    out: list[tuple[str, bool, int]] = []
    for clause, part in enumerate(_CLAUSE_BREAK.split(text.lower())):
        for w in normalize_words_keep(part):
            out.append((w, normalize_words(w) == "", clause))
    return out


def normalize_words_keep(text: str) -> list[str]:
    """`normalize_words` without dropping pronouns and fillers."""
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


def _guess(word: str, known: Mapping[str, frozenset[str]], glue: frozenset[str]) -> str | None:
    """A known symptom word that `word` is a likely misspelling of, or None.

    Only words of 6 letters or more, read as known words of 5 or more with the same first
    letter, one edit away (two from 9 letters), and only when one known word fits or all
    that fit belong to one symptom ("cheast" → "chest").
    """
    if len(word) < 6 or word in known or word in glue or word in _NEGATORS:
        return None
    limit = 2 if len(word) >= 9 else 1
    hits = sorted(k for k in known if len(k) >= 5 and k[0] == word[0] and _close(word, k, limit))
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
    index, longest_n, known, glue = _phrases(vocab)
    raw = _tokens(rest)
    # the words that take part in matching, with their place in `raw`
    content = [(w, k) for k, (w, filler, _) in enumerate(raw) if not filler]
    guessed: list[tuple[str, str]] = []
    words: list[str] = []
    for w, _ in content:
        g = None if w in known else _guess(w, known, glue)
        words.append(g or w)
    absent: list[str] = []
    left: list[str] = []
    phrases: list[str] = []

    def longest(at: int) -> tuple[str, int, bool] | None:
        """The longest known phrase starting at `at`, in the clause of `at`: (id, words, is
        a phrase saying the symptom is not there)."""
        clause = raw[content[at][1]][2]
        for n in range(min(longest_n, len(words) - at), 0, -1):
            if raw[content[at + n - 1][1]][2] != clause:
                continue
            hit = index.get(" ".join(words[at : at + n]))
            if hit is not None:
                return hit[0], n, hit[1]
        return None

    scope: int | None = None  # the clause a negation cue is open in
    reach = 0  # small words since the cue
    cue = ""
    i = 0
    while i < len(words):
        k = content[i][1]
        clause = raw[k][2]
        if scope is not None and clause != scope:
            if cue:
                left.append(cue)
            scope, cue = None, ""
        if scope is not None and any(raw[j][1] for j in range(content[i - 1][1] + 1, k)):
            # "no he is fitting": a pronoun or "is" after the cue starts a new statement
            if cue:
                left.append(cue)
            scope, cue = None, ""
        w = content[i][0]
        hit = longest(i)
        if words[i] in _NEGATORS:
            tail = longest(i + 1) if i + 1 < len(words) else None
            if tail is not None and tail[2]:
                tail = None  # "not breathing normally" is not "not" + "breathing normally"
            if hit is None or (tail is not None and 1 + tail[1] > hit[1]):
                if cue:
                    left.append(cue)
                scope, reach, cue = clause, 0, w
                i += 1
                continue
        if hit is not None:
            sid, n, normal = hit
            guessed.extend(
                (content[j][0], words[j]) for j in range(i, i + n) if content[j][0] != words[j]
            )
            compared = tuple(words[i + n : i + n + 2]) in _COMPARED
            if scope is not None and compared:
                scope, cue = None, ""  # "never had chest pain like this": present
            if (scope is not None) != normal:  # "no fever", "breathing fine"; not "not ok"
                absent.append(sid)
                cue = ""  # used; the scope stays open only for "or"/"nor"
                reach = _NEG_REACH if scope is not None else 0
            else:
                phrases.append(" ".join(words[i : i + n]))
                if sid not in ids:
                    ids.append(sid)
            i += n
            continue
        if scope is not None:
            if w in _NEG_CHAIN:
                reach = 0
            elif w in glue and w not in _NEG_STOP and reach < _NEG_REACH:
                reach += 1
            else:
                if cue:
                    left.append(cue)
                scope, cue = None, ""
        if w not in glue:
            left.append(w)
        i += 1
    if cue:
        left.append(cue)
    absent = [a for a in dict.fromkeys(absent) if a not in ids]
    return Reading(
        text,
        tuple(ids),
        tuple(found),
        " ".join(left),
        problem,
        tuple(absent),
        tuple(dict.fromkeys(guessed)),
        tuple(dict.fromkeys(phrases)),
    )


# phrase → (symptom id, the phrase says the symptom is not there)
_Index = tuple[dict[str, tuple[str, bool]], int, dict[str, frozenset[str]], frozenset[str]]
_PHRASE_CACHE: dict[int, tuple[SymptomFile, _Index]] = {}


def _phrases(vocab: SymptomFile) -> _Index:
    """Phrase → symptom id, the longest phrase in words, every word of every phrase, and the
    small words that carry no symptom.

    Memoized by the vocabulary's identity (checked, so a different vocabulary never gets a
    stale index); it changes speed only, never results.
    """
    hit = _PHRASE_CACHE.get(id(vocab))
    if hit is not None and hit[0] is vocab:
        return hit[1]
    index = {w: (s.id, False) for s in vocab.symptoms for w in s.words}
    index.update({w: (s.id, True) for s in vocab.symptoms for w in s.normal_words})
    owners: dict[str, set[str]] = {}
    for w, (sid, _) in index.items():
        for t in w.split():
            owners.setdefault(t, set()).add(sid)
    known = {t: frozenset(ids) for t, ids in owners.items()}
    glue = frozenset(vocab.small_words)
    built = (index, max((len(w.split()) for w in index), default=1), known, glue)
    if len(_PHRASE_CACHE) > 8:
        _PHRASE_CACHE.clear()
    _PHRASE_CACHE[id(vocab)] = (vocab, built)
    return built
