"""Schema of the symptom vocabulary (`knowledge/data/symptoms.yaml`).

Owned by the triage work; this first version holds what the catalog needs to load.
"""

from __future__ import annotations

from pydantic import Field

from medguide.knowledge.models.base import Model


class SymptomFile(Model):
    symptoms: tuple[dict[str, object], ...] = Field(default=())
