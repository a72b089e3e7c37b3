"""The words reach the level through the command line (`medguide triage "words"`).

The levels come from `check_triage`/`check_now` (tests/test_red_flag_table.py holds the
table); these runs make sure the words the CLI is given arrive there and the level printed
is the level computed.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medguide.cli import app

runner = CliRunner()


def triage(*args: str) -> dict[str, object]:
    result = runner.invoke(app, ["triage", *args, "--json"])
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.stdout)
    return data


@pytest.mark.parametrize(
    ("words", "drug", "level"),
    [
        (["wants to kill himself"], None, "emergency"),
        (["took the whole bottle"], "baclofen", "emergency"),
        (["chest pain"], "baclofen", "emergency"),
        (["slurred speech"], None, "emergency"),
        (["she's gone floppy"], "baclofen", "emergency"),
        (["hard to rouse"], None, "emergency"),
        (["shaking and drooling, eyes rolled back"], None, "emergency"),
        (["no fever but can't wake him"], "baclofen", "emergency"),
        (["not breathing"], None, "emergency"),
        (["racing heart"], None, "urgent"),
        (["he's gone all strange"], None, "urgent"),
        (["no breathing problems"], "baclofen", "self_care"),
        (["denies chest pain"], None, "self_care"),
        (["a bit sleepy"], "baclofen", "self_care"),
    ],
)
def test_words_reach_the_level(words: list[str], drug: str | None, level: str) -> None:
    extra = ["--drug", drug] if drug else []
    data = triage(*words, *extra)
    assert data["triage"]["level"] == level, data["triage"]  # type: ignore[index]
    if level == "emergency":
        assert data["advice"][0] == "call_emergency_services"  # type: ignore[index]


def test_unread_words_are_said_first_with_the_red_flags() -> None:
    result = runner.invoke(app, ["triage", "he's gone all strange"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Not understood: he's gone all strange")
    assert any("chest pain" in line for line in lines[1:10])
    assert any(line.startswith("URGENT") for line in lines)
    assert "Not urgent" not in result.stdout


def test_kidney_failure_confusion_through_the_cli() -> None:
    data = triage("confused", "--drug", "baclofen", "--dialysis")
    assert data["triage"]["level"] == "emergency"  # type: ignore[index]
    assert "consider_hemodialysis" in data["advice"]  # type: ignore[operator]
    codes = {f["code"]: f for f in data["findings"]}  # type: ignore[attr-defined]
    assert codes["suspected_toxicity"]["severity"] in ("high", "critical")


def test_an_emergency_is_printed_once_and_first() -> None:
    result = runner.invoke(app, ["triage", "xyzzy", "can't wake him", "--drug", "baclofen"])
    lines = result.stdout.splitlines()
    assert lines[0].startswith("EMERGENCY")
    assert sum(line.startswith("EMERGENCY") for line in lines) == 1
    assert "Not urgent" not in result.stdout
