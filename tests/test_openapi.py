"""The OpenAPI document: the committed copy is current, and schemathesis finds no server
error and no response that breaks the document anywhere in it (bounded examples)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings as hsettings
from schemathesis.checks import positive_data_acceptance

from medguide.api import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import export_openapi  # noqa: E402


def test_committed_openapi_is_current() -> None:
    committed = (ROOT / "docs" / "openapi.json").read_text(encoding="utf-8")
    assert json.loads(committed) == json.loads(export_openapi.render()), (
        "docs/openapi.json is stale: run .venv/bin/python scripts/export_openapi.py"
    )


APP = create_app(settings=Settings(cds_open=True, rate_per_minute=1e9, rate_burst=1e9))
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


def _journal_token() -> str:
    """A journal of its own for the run (person "me" on baclofen), so the journal routes are
    exercised past their token check as well as refused without one."""
    import atexit
    import shutil
    import tempfile
    from datetime import UTC, datetime

    from medguide.journal import access
    from medguide.journal.store import Journal

    folder = tempfile.mkdtemp(prefix="medguide-openapi-")
    journal = Journal.open(f"sqlite:///{folder}/journal.sqlite3")
    atexit.register(shutil.rmtree, folder, True)
    atexit.register(journal.close)
    now = datetime.now(UTC)
    journal.add_person("me", "me", "UTC", now=now)
    journal.add_medication("me", text="baclofen 10 mg tid", start=now, now=now)
    APP.state.journal = journal
    return access.issue(journal, "me", label="schemathesis", days=1, now=now).token


TOKEN = _journal_token()


@schema.parametrize()
@hsettings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_against_its_schema(case: schemathesis.Case) -> None:
    # Every check but "a schema-valid request is accepted": some rules are not expressible in
    # JSON Schema (at least one of medications, ingestion, symptoms… ; one amount only), and
    # refusing those with a problem document is right.
    if case.path.startswith("/api/v1/journal") and case.headers and "Authorization" in case.headers:
        # A case that sends a token sends a valid one, for the journal that exists; a case
        # that leaves the token out (negative data) is left as it is and must get 401.
        case.headers["Authorization"] = f"Bearer {TOKEN}"
        if case.path_parameters and "person" in case.path_parameters:
            case.path_parameters["person"] = "me"
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


@pytest.mark.parametrize("path", ["/openapi.json", "/docs"])
def test_documents_are_served(path: str) -> None:
    from fastapi.testclient import TestClient

    with TestClient(APP) as c:
        assert c.get(path).status_code == 200
