"""Helpers every command shares: one console, one way to fail with a clear line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

import typer

from medguide.cli import exitcodes

_PROBLEM_KIND = {
    exitcodes.BAD_INPUT: "bad-input",
    exitcodes.NOT_FOUND: "not-found",
    exitcodes.KNOWLEDGE_ERROR: "knowledge-error",
}


def wants_json() -> bool:
    """Whether the running command was given --json (every command names it `as_json`)."""
    import importlib

    # typer 0.2x carries its own click; older releases use the click package.
    for name in ("typer._click.globals", "click.globals"):
        try:
            current = importlib.import_module(name).get_current_context
            break
        except ImportError:
            continue
    else:  # pragma: no cover - every supported typer has one of the two
        return False
    ctx = current(silent=True)
    return bool(ctx is not None and ctx.params.get("as_json"))


def fail(message: str, code: int = exitcodes.BAD_INPUT, *, field: str | None = None) -> NoReturn:
    """Print one clear line on stderr and exit non-zero. Never a traceback.

    Under --json the same error is also a problem document (RFC 9457 members) on stdout, so a
    program reading stdout gets JSON whatever happened.
    """
    if wants_json():
        kind = _PROBLEM_KIND.get(code, "error")
        print_json(
            {
                "type": f"https://medguide.invalid/problems/{kind}",
                "title": kind.replace("-", " "),
                "status": code,
                "detail": message,
                "field": field,
                "code": kind.replace("-", "_"),
            }
        )
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def fail_service(exc: Any) -> NoReturn:
    """A `ServiceError` as a clean exit: not found → 3, anything else → 2."""
    code = exitcodes.NOT_FOUND if exc.kind == "not_found" else exitcodes.BAD_INPUT
    fail(exc.message, code, field=exc.field)


def validated(model: Any, data: dict[str, Any]) -> Any:
    """`model` validated from `data`, or a clean exit naming the first bad field."""
    from pydantic import ValidationError

    try:
        return model.model_validate(data)
    except ValidationError as exc:
        loc = ".".join(str(p) for p in exc.errors()[0]["loc"]) or None
        fail(describe_validation_error(exc), field=loc)


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


def catalog() -> Any:
    """The packaged catalog, or a clean exit naming the broken file."""
    from medguide.knowledge.catalog import KnowledgeError
    from medguide.knowledge.loader import load_catalog

    try:
        return load_catalog()
    except KnowledgeError as exc:
        fail(f"knowledge failed to load: {exc}", exitcodes.KNOWLEDGE_ERROR)


def describe_validation_error(exc: Any) -> str:
    """One line naming the first bad field of a pydantic ValidationError."""
    first = exc.errors()[0]
    loc = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = str(first["msg"]).removeprefix("Value error, ")
    ctx = first.get("ctx") or {}
    if first["type"] == "extra_forbidden":
        msg = "unknown field"
    elif first["type"] == "too_short":
        msg = f"needs at least {ctx.get('min_length')} item(s)"
    elif first["type"] == "too_long":
        msg = f"at most {ctx.get('max_length')} items are accepted, got {ctx.get('actual_length')}"
    more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
    return f"{loc}: {msg}{more}"


def read_document(path: str) -> Any:
    """Read JSON or YAML from a file or '-' (stdin); fail with one clear line."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}", exitcodes.NOT_FOUND)
    except UnicodeDecodeError:
        fail(f"{path} is not a UTF-8 text file")
    if not text.strip():
        fail(f"{path} is empty")
    if text.lstrip().startswith(("{", "[")):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            fail(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    import yaml  # only for YAML requests: JSON ones start faster without it

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        fail(f"{path} is not valid YAML{where}")
