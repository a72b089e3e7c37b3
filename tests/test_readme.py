"""The README's commands work: every `medguide …` line in its bash blocks runs and exits as
documented (0, or 1 for `--fail-on`). Docs tested against the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medguide.cli import app

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```bash\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
HEREDOCS = dict(
    re.findall(r"cat > ([\w.-]+\.json) <<'JSON'\n(.*?)\nJSON\n", "\n".join(BLOCKS), re.S)
)
HEREDOC = re.search(r"cat > case.json <<'JSON'\n(.*?)\nJSON\n", "\n".join(BLOCKS), re.S)
# rewrites packaged files (covered by test_catalog); runs until stopped (covered by test_serve)
SKIP = {"knowledge schema --write", "medguide serve"}


JOURNAL = ("medguide journal ", "medguide remind")  # one session, run in order


def all_commands() -> list[str]:
    out = []
    for block in BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("medguide ") and not any(s in line for s in SKIP):
                out.append(line)
    return out


def commands() -> list[str]:
    return [c for c in all_commands() if not c.startswith(JOURNAL)]


def journal_commands() -> list[str]:
    return [c for c in all_commands() if c.startswith(JOURNAL)]


def test_readme_has_commands() -> None:
    assert len(commands()) >= 25
    assert HEREDOC is not None


@pytest.mark.parametrize("line", commands())
def test_readme_command_runs(line: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert HEREDOC is not None
    monkeypatch.chdir(tmp_path)
    for name, body in HEREDOCS.items():  # every file the README writes, as a reader would
        (tmp_path / name).write_text(body, encoding="utf-8")
    args = shlex.split(line, comments=True)[1:]
    result = CliRunner().invoke(app, args)
    expected = 1 if "--fail-on" in args else 0
    assert result.exit_code == expected, (line, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr


def test_readme_journal_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The journal lines build on each other: they run in order against one fresh journal."""
    lines = journal_commands()
    assert len(lines) >= 10
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MEDGUIDE_HOME", str(tmp_path / "home"))
    outputs = {}
    for line in lines:
        result = CliRunner().invoke(app, shlex.split(line, comments=True)[1:])
        assert result.exit_code == 0, (line, result.stdout, result.stderr)
        assert "Traceback" not in result.stdout + result.stderr
        outputs[line] = result.stdout
    status = next(out for line, out in outputs.items() if "status --now 2026-11-24T09:30" in line)
    assert "withdrawal_risk" in status
    assert (tmp_path / "baclofen.ics").read_bytes().count(b"BEGIN:VALARM") > 10
