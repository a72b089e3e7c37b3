"""What an answer is made of: parts, each with its sources, and the answer itself."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from medguide.answers.decline import (
    Decline,
)
from medguide.answers.intents import (
    CONFIDENT,
)

PartKind = Literal["emergency", "finding", "guide", "advice"]


@dataclass(frozen=True)
class AnswerPart:
    kind: PartKind
    text: str
    sources: tuple[str, ...]
    drug: str | None = None
    section: str | None = None
    title: str | None = None
    judgment: bool = False
    code: str | None = None  # the finding or advice code it comes from

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "text": self.text,
            "sources": list(self.sources),
            "drug": self.drug,
            "section": self.section,
            "title": self.title,
            "judgment": self.judgment,
            "code": self.code,
        }


@dataclass(frozen=True)
class Answer:
    question: str
    status: Literal["answered", "declined"]
    intents: tuple[str, ...]
    confidence: float
    drug: str | None
    parts: tuple[AnswerPart, ...] = ()
    advice: tuple[str, ...] = ()
    triage: str | None = None
    decline: Decline | None = None
    not_checked: tuple[str, ...] = ()
    method: str = "intent"  # intent | retrieval | semantic | decline
    knowledge_version: str = ""
    entities: dict[str, Any] = field(default_factory=dict)
    language: str = "en"  # the language of the safety parts ("es": see answers/spanish.py)

    @property
    def emergency(self) -> bool:
        return any(p.kind == "emergency" for p in self.parts)

    @property
    def confident(self) -> bool:
        return self.status == "answered" and self.confidence >= CONFIDENT

    @property
    def sources(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(s for p in self.parts for s in p.sources))

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(
            dict.fromkeys(f"{p.drug}:{p.section}" for p in self.parts if p.section and p.drug)
        )

    @property
    def text(self) -> str:
        """The whole answer as plain text, emergency advice first."""
        lines: list[str] = []
        for p in self.parts:
            src = f" [{', '.join(p.sources)}]" if p.sources else ""
            lines.append(f"{p.text}{src}")
        if self.decline is not None:
            lines.append(self.decline.message)
            if self.decline.refer_to:
                lines.append(f"Who to ask: {self.decline.refer_to}.")
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "question": self.question,
            "status": self.status,
            "intents": list(self.intents),
            "confidence": self.confidence,
            "confident": self.confident,
            "drug": self.drug,
            "emergency": self.emergency,
            "triage": self.triage,
            "answer": self.text,
            "parts": [p.as_dict() for p in self.parts],
            "sources": list(self.sources),
            "sections": list(self.sections),
            "advice": list(self.advice),
            "decline": self.decline.as_dict() if self.decline else None,
            "not_checked": list(self.not_checked),
            "method": self.method,
            "entities": self.entities,
            "knowledge_version": self.knowledge_version,
            "language": self.language,
        }


@dataclass
class Draft:
    parts: list[AnswerPart] = field(default_factory=list)
    advice: list[str] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)
    triage: str | None = None

    def add_advice(self, codes: Iterable[str]) -> None:
        for c in codes:
            if c not in self.advice:
                self.advice.append(c)

    def add(self, part: AnswerPart) -> None:
        if all(p.text != part.text for p in self.parts):
            self.parts.append(part)
