"""Test-wide settings: the knowledge is always validated from its files, never from a cache."""

from __future__ import annotations

import os

os.environ["MEDGUIDE_NO_CACHE"] = "1"
