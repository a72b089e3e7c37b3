"""Tab-separated knowledge tables (the pairwise interaction layers), read by the loader."""

from __future__ import annotations

from pathlib import Path


def read_table(path: Path) -> list[dict[str, str]]:
    """The rows of a tab-separated knowledge table (a header line; `#` lines are comments)."""
    rows: list[dict[str, str]] = []
    with path.open(encoding="utf-8") as fh:
        header: list[str] | None = None
        for line in fh:
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols, strict=True)))
    return rows
