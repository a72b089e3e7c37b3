"""The `medguide` command line.

Each group of commands lives in its own module with a `register(app)` function. Heavy
imports (pydantic models, pint, numpy) happen inside the commands, so `--help` and simple
commands start fast.
"""

from __future__ import annotations

import typer

from medguide.cli import assess_cmd, guide_cmd, knowledge_cmd

app = typer.Typer(
    name="medguide",
    help="Medication information and medication-safety checks, with sources.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        from medguide import __version__

        typer.echo(f"medguide {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Medication information and medication-safety checks, with sources."""


for module in (guide_cmd, assess_cmd, knowledge_cmd):
    module.register(app)


def _register_optional() -> None:
    # Command groups added by later issues; each module registers its own commands.
    import importlib

    for name in (
        "plan_cmd",
        "interactions_cmd",
        "now_cmd",
        "ask_cmd",
        "pk_cmd",
        "journal_cmd",
        "serve_cmd",
        "screen_cmd",
    ):
        try:
            module = importlib.import_module(f"medguide.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"medguide.cli.{name}":
                raise
            continue
        module.register(app)


_register_optional()


def main() -> None:
    app()
