"""The environment, read in one place: where medguide keeps its files, and what is turned off.

| variable | meaning | default |
|---|---|---|
| `MEDGUIDE_HOME` | medguide's data folder (the dose journal) | the user's data folder |
| `MEDGUIDE_CACHE_DIR` | where the validated catalog is kept | `~/.cache/medguide` |
| `MEDGUIDE_NO_CACHE` | `1`: validate the knowledge on every run (the tests do) | unset |
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path | None:
    """Where validated catalogs are kept between runs; None when caching is off."""
    if os.environ.get("MEDGUIDE_NO_CACHE"):
        return None
    if os.environ.get("MEDGUIDE_CACHE_DIR"):
        return Path(os.environ["MEDGUIDE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medguide"
