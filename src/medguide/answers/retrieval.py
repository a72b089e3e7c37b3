"""Full-text retrieval over every guide section of every drug: SQLite FTS5, ranked by BM25.

The index is built in memory once per process and catalog version, from `build_guide`, so
it always says what the guide says. User words are quoted before they reach FTS5: "NOT",
"OR" and "NEAR" typed by a person are words to look for, never query operators.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medguide.answers.entities import STOPWORDS, tokens
from medguide.answers.guide import Guide, build_guide
from medguide.knowledge.catalog import Catalog

# Words that carry no topic in a medicine question; removed before searching.
QUERY_STOPWORDS = STOPWORDS | frozenset(
    {"ok", "alright", "fine", "would", "happen", "happens", "okay"}
)


@dataclass(frozen=True)
class Hit:
    drug_id: str
    section: str
    title: str
    index: int  # position of the item in its section
    text: str
    sources: tuple[str, ...]
    judgment: bool
    score: float  # BM25 negated: higher is better, 0 means no match


class GuideIndex:
    """An in-memory FTS5 index of guide items; thread-safe for reads."""

    def __init__(self, guides: Iterable[Guide]) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.execute(
            "CREATE VIRTUAL TABLE items USING fts5("
            "text, drug UNINDEXED, section UNINDEXED, title UNINDEXED, idx UNINDEXED, "
            "sources UNINDEXED, judgment UNINDEXED, tokenize='porter unicode61')"
        )
        self.guides: dict[str, Guide] = {}
        rows = []
        for g in guides:
            self.guides[g.drug_id] = g
            for s in g.sections:
                for i, item in enumerate(s.items):
                    rows.append(
                        (
                            f"{s.title}. {item.text}",
                            g.drug_id,
                            s.id,
                            s.title,
                            i,
                            "\x1f".join(item.sources),
                            int(item.judgment),
                        )
                    )
        self._db.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        self.size = len(rows)
        # every word the knowledge uses: a word in here is not an unknown medicine's name
        self.words: frozenset[str] = frozenset(w for r in rows for w in tokens(str(r[0]).lower()))

    def search(
        self,
        text: str,
        *,
        drug: str | None = None,
        sections: Sequence[str] | None = None,
        limit: int = 5,
    ) -> list[Hit]:
        """Items that best match the words of `text`, best first."""
        match = build_match(text)
        if match is None:
            return []
        sql = (
            "SELECT drug, section, title, idx, text, sources, judgment, bm25(items) AS rank "
            "FROM items WHERE items MATCH ?"
        )
        args: list[object] = [match]
        if drug is not None:
            sql += " AND drug = ?"
            args.append(drug)
        if sections:
            sql += f" AND section IN ({', '.join('?' for _ in sections)})"
            args.extend(sections)
        sql += " ORDER BY rank LIMIT ?"
        args.append(limit)
        with self._lock:
            rows = self._db.execute(sql, args).fetchall()
        hits = []
        for d, sec, title, idx, body, srcs, judg, rank in rows:
            # Strip the "Title. " prefix we indexed for context.
            body = body[len(title) + 2 :] if body.startswith(f"{title}. ") else body
            hits.append(
                Hit(
                    d,
                    sec,
                    title,
                    int(idx),
                    body,
                    tuple(filter(None, srcs.split("\x1f"))),
                    bool(judg),
                    -float(rank),
                )
            )
        return hits


def content_words(text: str) -> list[str]:
    words = [w.strip("'-") for w in tokens(text)]
    return [w for w in words if w and w not in QUERY_STOPWORDS and len(w) > 1]


def coverage(query: str, text: str) -> float:
    """Share of the query's content words found in `text` (compared on a 5-letter stem)."""
    words = content_words(query)
    if not words:
        return 0.0
    body = text.lower()
    return sum(1 for w in words if w[:5] in body) / len(words)


def build_match(text: str) -> str | None:
    """An FTS5 MATCH expression: every content word quoted, joined with OR."""
    words = content_words(text)
    if not words:
        return None
    quoted = dict.fromkeys('"' + re.sub(r'"', '""', w) + '"' for w in words)
    return " OR ".join(quoted)


_INDEXES: dict[str, GuideIndex] = {}
_INDEX_LOCK = threading.Lock()


def guide_index(catalog: Catalog) -> GuideIndex:
    """The index for this catalog, built on first use and kept for the process."""
    key = f"{catalog.version}:{id(catalog)}"
    idx = _INDEXES.get(key)
    if idx is None:
        with _INDEX_LOCK:
            idx = _INDEXES.get(key)
            if idx is None:
                idx = GuideIndex(build_guide(catalog, d) for d in sorted(catalog.drugs))
                _INDEXES[key] = idx
    return idx
