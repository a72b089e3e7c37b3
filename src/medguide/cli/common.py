"""Helpers every command shares: one console, one way to fail with a clear line."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer

from medguide.cli import exitcodes


def fail(message: str, code: int = exitcodes.BAD_INPUT) -> NoReturn:
    """Print one clear line on stderr and exit non-zero. Never a traceback."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def catalog() -> Any:
    """The packaged catalog, or a clean exit naming the broken file."""
    from medguide.knowledge.catalog import KnowledgeError, load_catalog

    try:
        return load_catalog()
    except KnowledgeError as exc:
        fail(f"knowledge failed to load: {exc}", exitcodes.KNOWLEDGE_ERROR)
