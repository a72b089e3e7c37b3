"""Schema of interaction rules (`knowledge/data/interactions.yaml`).

Owned by the interactions work; this first version holds what the catalog needs to load.
"""

from __future__ import annotations

from pydantic import Field

from medguide.knowledge.models.base import Model


class InteractionFile(Model):
    """The interactions file: a list of rules (fleshed out by the interactions issue)."""

    rules: tuple[dict[str, object], ...] = Field(default=())
