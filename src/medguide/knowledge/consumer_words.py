"""The consumer vocabulary (data/vocabulary/consumer_words.yaml): everyday words mapped to the
words the knowledge is written in, the kind of question they ask, filler words, and a Spanish
glossary. Read by the catalog loader, validated strictly, built once per catalog on first use;
used by question answering to find things, never to decide anything clinical."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from medguide.knowledge.catalog import Catalog, read_consumer_words


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Synonym(_Strict):
    words: tuple[str, ...] = Field(min_length=1)
    adds: str = Field(min_length=1)
    intent: str | None = None
    note: str | None = None


class ConsumerWordsFile(_Strict):
    fillers: tuple[str, ...] = ()
    not_medicines: tuple[str, ...] = ()
    spellings: dict[str, str] = Field(default_factory=dict)
    synonyms: tuple[Synonym, ...] = ()
    spanish: dict[str, str] = Field(default_factory=dict)


def fold(text: str) -> str:
    """Lowercase without accents ("mañana" and "manana" are one word)."""
    norm = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


_TOKEN = re.compile(r"[a-z0-9][a-z0-9']*")


def _padded(text: str) -> tuple[str, frozenset[str]]:
    words = _TOKEN.findall(text.lower().replace("’", "'"))
    return f" {' '.join(words)} ", frozenset(words)


def _said(padded: str, words: frozenset[str], entry: tuple[str, ...]) -> bool:
    """A word as a whole word, a phrase as a whole phrase (no regular expressions, so the
    vocabulary costs nothing to build)."""
    return any((f" {w} " in padded) if " " in w else (w in words) for w in entry)


@dataclass(frozen=True)
class ConsumerWords:
    fillers: frozenset[str]
    not_medicines: frozenset[str]
    spellings: tuple[tuple[str, str], ...]
    synonyms: tuple[tuple[tuple[str, ...], str], ...]  # (everyday words, knowledge words)
    intents: tuple[tuple[tuple[str, ...], str], ...]  # (everyday words, intent)
    spanish: tuple[tuple[str, str], ...]  # (folded phrase, English), longest phrase first

    def expand(self, text: str) -> str:
        """The words of the knowledge that the everyday words of `text` stand for."""
        padded, words = _padded(text)
        return " ".join(
            dict.fromkeys(adds for ws, adds in self.synonyms if _said(padded, words, ws))
        )

    def intents_of(self, text: str) -> tuple[str, ...]:
        """The kinds of question the everyday words of `text` ask, in the file's order."""
        padded, words = _padded(text)
        return tuple(dict.fromkeys(i for ws, i in self.intents if _said(padded, words, ws)))

    def respell(self, text: str) -> str:
        """Text-speak written out, word by word; everything else kept as typed."""
        table = dict(self.spellings)
        return re.sub(
            r"(?<![\w/])[a-z0-9/]+(?![\w/])",
            lambda m: table.get(m.group(0).lower(), m.group(0)),
            text,
            flags=re.I,
        )

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


def build_consumer_words(raw: Any) -> ConsumerWords:
    """The validated vocabulary from the parsed file."""
    data = ConsumerWordsFile.model_validate(raw)
    spanish = sorted(((fold(k), v) for k, v in data.spanish.items()), key=lambda kv: -len(kv[0]))

    def norm(words: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(" ".join(_TOKEN.findall(w.lower())) for w in words)

    return ConsumerWords(
        fillers=frozenset(w.lower() for w in data.fillers),
        not_medicines=frozenset(w.lower() for w in data.not_medicines),
        spellings=tuple((k.lower(), v) for k, v in data.spellings.items()),
        synonyms=tuple((norm(s.words), s.adds) for s in data.synonyms),
        intents=tuple((norm(s.words), s.intent) for s in data.synonyms if s.intent),
        spanish=tuple(dict(spanish).items()),
    )


def consumer_vocabulary(catalog: Catalog) -> ConsumerWords:
    """The catalog's consumer vocabulary, built on first use."""
    return catalog.derived(
        "consumer_words", lambda: build_consumer_words(read_consumer_words(catalog.data_dir))
    )
