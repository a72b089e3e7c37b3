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
SKIP = {"knowledge schema --write"}  # rewrites packaged files; covered by test_catalog


def commands() -> list[str]:
    out = []
    for block in BLOCKS:
        for line in block.replace("\\\n", " ").splitlines():
            line = line.strip()
            if line.startswith("medguide ") and not any(s in line for s in SKIP):
                out.append(line)
    return out


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
