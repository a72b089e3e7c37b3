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
    spanish: tuple[tuple[re.Pattern[str], str], ...]  # longest phrase first

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
        out = fold(text)
        for rx, en in self.spanish:
            out = rx.sub(f" {en} ", out)
        return re.sub(r"\s+", " ", out).strip()


def _word_rx(phrase: str) -> re.Pattern[str]:
    return re.compile(rf"(?<![\w']){re.escape(phrase)}(?![\w'])")


@cache
def consumer_vocabulary() -> ConsumerWords:
    import yaml

    data = ConsumerWordsFile.model_validate(yaml.safe_load(PATH.read_text(encoding="utf-8")))
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
        spanish=tuple((_word_rx(k), v) for k, v in dict(spanish).items()),
    )
