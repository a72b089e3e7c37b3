"""Test-wide settings: the knowledge is always validated from its files, never from a cache."""

from __future__ import annotations

import os

os.environ["MEDGUIDE_NO_CACHE"] = "1"

from hypothesis import settings

# CI runs the same examples every time (no flaky red from a new random draw); locally each
# run explores new examples. `HYPOTHESIS_PROFILE=explore` runs many more.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", max_examples=2000)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "default")
)


import pytest  # noqa: E402

from medguide.knowledge.catalog import Catalog  # noqa: E402


@pytest.fixture(scope="session")
def real() -> Catalog:
    """The packaged catalog (loaded once per process)."""
    from medguide.knowledge.loader import load_catalog

    return load_catalog()
