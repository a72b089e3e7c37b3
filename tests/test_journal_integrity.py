"""Integrity: concurrent writers lose nothing; a writer killed at random moments (SIGKILL)
never loses an acknowledged dose and leaves a journal that opens cleanly. On both databases.
`MEDGUIDE_KILL_TRIALS` sets the number of kills (100 by default, as CI runs it)."""

from __future__ import annotations

import os

import journal_torture as torture

KILL_TRIALS = int(os.environ.get("MEDGUIDE_KILL_TRIALS", "100"))


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(journal_url: str) -> None:
    result = torture.concurrent(journal_url, 4, per_writer=40)
    assert result["acknowledged"] == 160
    assert result["stored"] == 160  # each write was sent twice; one event each


def test_sigkill_at_random_moments_loses_no_acknowledged_dose(journal_url: str) -> None:
    result = torture.kill_trials(journal_url, KILL_TRIALS)
    assert result["trials"] >= 100 or KILL_TRIALS < 100
    assert result["lost"] == 0
    assert result["acknowledged"] > 0
