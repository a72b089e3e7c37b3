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


import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

PG_URL = os.environ.get("MEDGUIDE_TEST_POSTGRES_URL")


@pytest.fixture(autouse=True)
def _journal_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own journal directory; the user's own journal is never touched."""
    monkeypatch.setenv("MEDGUIDE_HOME", str(tmp_path / "medguide-home"))
    monkeypatch.delenv("MEDGUIDE_DATABASE_URL", raising=False)


def postgres_schema_url(base: str, schema: str) -> str:
    from sqlalchemy.engine import make_url

    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same tests on both databases: SQLite always; PostgreSQL when
    MEDGUIDE_TEST_POSTGRES_URL is set (in CI it must be: a missing server fails the run).
    Each PostgreSQL test gets a schema of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'journal.sqlite3'}"
        return
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("CI must set MEDGUIDE_TEST_POSTGRES_URL (scripts/test.sh does)")
        pytest.skip("PostgreSQL not configured: set MEDGUIDE_TEST_POSTGRES_URL")
    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:16]
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        yield postgres_schema_url(PG_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


from medguide.knowledge.catalog import Catalog  # noqa: E402


@pytest.fixture(scope="session")
def real() -> Catalog:
    """The packaged catalog (loaded once per process)."""
    from medguide.knowledge.loader import load_catalog

    return load_catalog()
