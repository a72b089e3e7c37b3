"""Schema of the condition vocabulary (`knowledge/data/conditions.yaml`).

Owned by the dosing work; this first version holds what the catalog needs to load.
"""

from __future__ import annotations

from pydantic import Field

from medguide.knowledge.models.base import Model


class ConditionFile(Model):
    conditions: tuple[dict[str, object], ...] = Field(default=())
