"""The consumer vocabulary (data/vocabulary/consumer_words.yaml): everyday words mapped to the
words the knowledge is written in, filler words, and a Spanish glossary. Loaded once per
process, validated strictly; used by question answering to find things, never to decide."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

PATH: Final = Path(__file__).parent / "data" / "vocabulary" / "consumer_words.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Synonym(_Strict):
    words: tuple[str, ...] = Field(min_length=1)
    adds: str = Field(min_length=1)
    intent: str | None = None
    note: str | None = None


class ConsumerWordsFile(_Strict):
    fillers: tuple[str, ...] = ()
    synonyms: tuple[Synonym, ...] = ()
    spanish: dict[str, str] = Field(default_factory=dict)


def fold(text: str) -> str:
    """Lowercase without accents ("mañana" and "manana" are one word)."""
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


@dataclass(frozen=True)
class ConsumerWords:
    fillers: frozenset[str]
    synonyms: tuple[tuple[re.Pattern[str], str], ...]
    intents: tuple[tuple[re.Pattern[str], str], ...]
    spanish: tuple[tuple[str, str], ...]  # (folded phrase, English), longest phrase first

    def expand(self, text: str) -> str:
        """The words of the knowledge that the everyday words of `text` stand for."""
        low = text.lower()
        return " ".join(dict.fromkeys(adds for rx, adds in self.synonyms if rx.search(low)))

    def intents_of(self, text: str) -> tuple[str, ...]:
        """The kinds of question the everyday words of `text` ask, in the file's order."""
        low = text.lower()
        return tuple(dict.fromkeys(i for rx, i in self.intents if rx.search(low)))

    def from_spanish(self, text: str) -> str:
        """A word-for-word English reading of a Spanish question (unknown words kept)."""
        glossary = dict(self.spanish)
        rx = _spanish_rx(self.spanish)
        out = rx.sub(lambda m: f" {glossary[m.group(0)]} ", fold(text))
        return re.sub(r"\s+", " ", out).strip()


@cache
def _spanish_rx(spanish: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    """One pattern for the whole glossary, longest phrase first; compiled on first use."""
    return re.compile(r"(?<![\w'])(?:" + "|".join(re.escape(k) for k, _ in spanish) + r")(?![\w'])")


def _word_rx(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])")


@cache
def consumer_vocabulary() -> ConsumerWords:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    raw = yaml.load(PATH.read_text(encoding="utf-8"), Loader=loader)
    data = ConsumerWordsFile.model_validate(raw)
    spanish = sorted(((fold(k), v) for k, v in data.spanish.items()), key=lambda kv: -len(kv[0]))
    return ConsumerWords(
        fillers=frozenset(w.lower() for w in data.fillers),
        synonyms=tuple(
            (re.compile("|".join(_word_rx(w.lower()).pattern for w in s.words)), s.adds)
            for s in data.synonyms
        ),
        intents=tuple(
            (re.compile("|".join(_word_rx(w.lower()).pattern for w in s.words)), s.intent)
            for s in data.synonyms
            if s.intent
        ),
        spanish=tuple(dict(spanish).items()),
    )
