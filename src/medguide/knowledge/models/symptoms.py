"""Schema of the symptom vocabulary (`knowledge/data/symptoms.yaml`).

A symptom is what a person or a carer reports ("can't wake him", "burning up") or what
someone measured (breathing rate, temperature, pulse, blood pressure, level of consciousness).
Each symptom says which states of which drug it points to (an expected side effect, withdrawal
by route, toxicity, overdose) and what level of care it needs in each. Triage reads these
rules; no symptom or drug is special-cased in code.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator

from medguide.knowledge.models.base import Code, Model, Route, SourceId

TriageLevel = Literal["self_care", "routine", "urgent", "emergency"]
LEVEL_RANK: dict[str, int] = {"self_care": 0, "routine": 1, "urgent": 2, "emergency": 3}

# What a symptom can point to for a drug the person takes or took.
State = Literal["expected_side_effect", "toxicity", "overdose", "withdrawal"]

# Contexts in which a conditional red flag becomes an emergency:
#   after_stopping  doses stopped or missed, a pump alarm or a missed refill (withdrawal)
#   intrathecal     the person has an intrathecal pump
#   with_confusion  another reported symptom is a change in mental state
#   with_symptom    another reported symptom is one of `red_flag_with` (fever with a stiff neck)
RedFlagWhen = Literal["after_stopping", "intrathecal", "with_confusion", "with_symptom"]

# tablets_taken: a count of tablets or pills the person says were swallowed at once.
Measure = Literal[
    "respiratory_rate", "temperature_c", "heart_rate", "systolic_bp", "gcs", "avpu", "tablets_taken"
]
Avpu = Literal["A", "V", "P", "U"]

# A sign of a drug building up in the nervous system, for drugs the kidneys clear (S26, S33):
#   mental_state   confusion, somnolence, encephalopathy, hallucinations
#   consciousness  a fall in consciousness (cannot be woken, floppy)
#   breathing      slowed or failing breathing
ToxicitySign = Literal["mental_state", "consciousness", "breathing"]

_FILLER = frozenset(
    [
        "i",
        "me",
        "my",
        "he",
        "him",
        "his",
        "she",
        "her",
        "they",
        "them",
        "their",
        "we",
        "our",
        "you",
        "your",
        "it",
        "its",
        "is",
        "am",
        "are",
        "was",
        "were",
        "keeps",
        "keep",
        "kept",
    ]
)


@lru_cache(maxsize=4096)
def normalize_words(text: str) -> str:
    """Fold a phrase to the form symptom words are stored in.

    Lower case, accents and apostrophes dropped ("can't" → "cant"), punctuation to spaces,
    pronouns and fillers removed ("can't wake him up" → "cant wake up"), spaces collapsed.
    """
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    folded = re.sub(r"['`]", "", folded)
    folded = re.sub(r"[^a-z0-9]+", " ", folded)
    return " ".join(w for w in folded.split() if w not in _FILLER)


class MeasuredSign(Model):
    """A measured value that counts as this symptom (a bound is exclusive below, inclusive
    at or above; `avpu` lists the AVPU letters that count)."""

    measure: Measure
    below: float | None = None
    at_or_above: float | None = None
    avpu: tuple[Avpu, ...] = ()

    @model_validator(mode="after")
    def _one_bound(self) -> MeasuredSign:
        if self.measure == "avpu":
            if not self.avpu or self.below is not None or self.at_or_above is not None:
                raise ValueError("an avpu sign lists letters and no numeric bound")
        elif self.avpu or (self.below is None and self.at_or_above is None):
            raise ValueError(f"a {self.measure} sign needs 'below' or 'at_or_above'")
        return self

    def matches(self, measure: str, value: float | str) -> bool:
        if measure != self.measure:
            return False
        if isinstance(value, str):
            return value in self.avpu
        if self.below is not None and not value < self.below:
            return False
        return self.at_or_above is None or value >= self.at_or_above


class SymptomLink(Model):
    """One state of one drug that the symptom points to, and the level of care it needs."""

    drug: Code
    state: State
    route: Route = "any"
    level: TriageLevel
    advice: tuple[Code, ...] = ()
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None


class Symptom(Model):
    id: Code
    name: str = Field(min_length=1)
    words: tuple[str, ...] = Field(min_length=1, description="normalised everyday phrases")
    normal_words: tuple[str, ...] = Field(
        default=(), description="phrases saying the symptom is not there ('breathing normally')"
    )
    measured: tuple[MeasuredSign, ...] = ()
    level: TriageLevel = Field(description="level when no link explains it")
    red_flag: bool = False
    red_flag_when: tuple[RedFlagWhen, ...] = Field(
        default=(), description="empty: always a red flag; else only in these contexts"
    )
    red_flag_with: tuple[Code, ...] = Field(
        default=(), description="with_symptom: the symptoms that make this one a red flag"
    )
    mental_status: bool = Field(default=False, description="a change in mental state")
    toxicity_sign: ToxicitySign | None = Field(
        default=None, description="a sign of drug build-up in the nervous system"
    )
    links: tuple[SymptomLink, ...] = ()
    text: str = Field(min_length=1, description="what it is, in plain words")
    sources: tuple[SourceId, ...] = Field(min_length=1)
    judgment: bool = False
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Symptom:
        for w in (*self.words, *self.normal_words):
            if normalize_words(w) != w:
                raise ValueError(f"word {w!r} is not in normal form; write {normalize_words(w)!r}")
        if self.red_flag_when and not self.red_flag:
            raise ValueError("red_flag_when is set but red_flag is false")
        if bool(self.red_flag_with) != ("with_symptom" in self.red_flag_when):
            raise ValueError("red_flag_with and red_flag_when: with_symptom go together")
        if self.red_flag and not self.red_flag_when and self.level != "emergency":
            raise ValueError("an unconditional red flag has level emergency")
        if self.judgment and not self.note:
            raise ValueError("a judgment call needs a note saying why")
        return self


class CheckItem(Model):
    """A red flag to look for when a description could not be read, in plain words."""

    id: Code
    text: str = Field(min_length=1)
    symptoms: tuple[Code, ...] = Field(min_length=1, description="the symptoms it stands for")
    sources: tuple[SourceId, ...] = Field(min_length=1)


class SymptomFile(Model):
    symptoms: tuple[Symptom, ...] = Field(default=())
    # The standard red-flag list, class by class: what a person is asked to check for when
    # their words could not be read.
    red_flag_checklist: tuple[CheckItem, ...] = Field(default=())
    # Small words, time words, units and medicine words that carry no symptom of their own: left
    # over after matching they do not make a phrase uncertain. Any other word left over does.
    small_words: tuple[str, ...] = Field(default=())

    @model_validator(mode="after")
    def _unique(self) -> SymptomFile:
        ids = [s.id for s in self.symptoms]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate symptom id(s): {dup}")
        owner: dict[str, str] = {}
        for s in self.symptoms:
            for w in (*s.words, *s.normal_words):
                if w in owner and owner[w] != s.id:
                    raise ValueError(f"phrase {w!r} is listed under {owner[w]} and {s.id}")
                owner[w] = s.id
        known = set(ids)
        for s in self.symptoms:
            missing = sorted(set(s.red_flag_with) - known)
            if missing:
                raise ValueError(f"{s.id}: red_flag_with names unknown symptom(s) {missing}")
        for item in self.red_flag_checklist:
            missing = sorted(set(item.symptoms) - known)
            if missing:
                raise ValueError(f"checklist {item.id}: unknown symptom(s) {missing}")
        return self

    def get(self, symptom_id: str) -> Symptom | None:
        return next((s for s in self.symptoms if s.id == symptom_id), None)
