"""`medguide serve`: the HTTP API and the CDS Hooks services on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from medguide.cli.common import fail


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = 8000,
    cds_issuer: Annotated[
        list[str] | None,
        typer.Option(
            "--cds-issuer",
            help="A CDS client allowed in, as ISS=JKU (its JWKS URL); repeatable. "
            "Adds to MEDGUIDE_CDS_ISSUERS.",
        ),
    ] = None,
    cds_audience: Annotated[
        str | None,
        typer.Option(
            help="This service's public base URL; a CDS token's aud must be "
            "BASE/cds-services/SERVICE-ID. Default: the URL the request came to.",
        ),
    ] = None,
    cds_open: Annotated[
        bool,
        typer.Option(
            "--cds-open", help="Accept CDS Hooks calls without a token (local trials only)."
        ),
    ] = False,
    feedback_db: Annotated[
        str | None, typer.Option(help="SQLite file for CDS card feedback (default: in memory).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the HTTP API (/api/v1, /docs) and the CDS Hooks services (/cds-services)."""
    import gc
    from dataclasses import replace

    import uvicorn

    from medguide.api import Settings, create_app
    from medguide.api.settings import parse_issuers
    from medguide.cli.common import catalog

    try:
        settings = Settings.from_env()
        extra = parse_issuers(",".join(cds_issuer or ()))
    except ValueError as exc:
        fail(str(exc))
    issuers = dict(settings.issuers)
    for iss, jkus in extra.items():
        issuers[iss] = issuers.get(iss, frozenset()) | jkus
    settings = replace(
        settings,
        issuers=issuers,
        audience=cds_audience or settings.audience,
        cds_open=cds_open or settings.cds_open,
        feedback_db=feedback_db or settings.feedback_db,
    )
    if not settings.issuers and not settings.cds_open:
        typer.echo(
            "note: no CDS Hooks issuer is allowed (--cds-issuer ISS=JKU), so CDS calls get 401",
            err=True,
        )
    app = create_app(catalog(), settings)
    # The catalog and the app live as long as the process: move them out of the collector's
    # way, so a full collection does not walk every knowledge object in the middle of a
    # request (it showed as the p99 tail under load).
    gc.collect()
    gc.freeze()
    uvicorn.run(app, host=host, port=port, log_level=log_level, proxy_headers=False)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
