"""The app factory: one catalog, one set of limits, the REST and CDS Hooks routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from medguide.api import problems
from medguide.api.auth import Verifier
from medguide.api.cds import FeedbackStore, IssuedCards, ShownCards
from medguide.api.limits import BodyLimit, TokenBucket
from medguide.api.settings import Settings
from medguide.knowledge.catalog import Catalog

API_VERSION = "1"


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    # The journal is opened on first use (medguide.api.journal); its connections close here.
    journal = getattr(app.state, "journal", None)
    if journal is not None:
        journal.close()
        app.state.journal = None


def create_app(catalog: Catalog | None = None, settings: Settings | None = None) -> FastAPI:
    """The HTTP API over `catalog` (the packaged one when None), configured by `settings`
    (from the environment when None)."""
    from medguide import __version__, web
    from medguide.api import cds, journal, rest

    if catalog is None:
        from medguide.knowledge.loader import load_catalog

        catalog = load_catalog()
    settings = settings or Settings.from_env()
    app = FastAPI(
        title="medguide",
        version=__version__,
        summary="Medication information and medication-safety checks, with sources.",
        description=(
            "REST under `/api/v1` and CDS Hooks 2.0 under `/cds-services`. Errors are RFC 9457 "
            "problem documents (`application/problem+json`) naming the field at fault. "
            "medguide gives information, not prescriptions."
        ),
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.catalog = catalog
    app.state.settings = settings
    app.state.bucket = TokenBucket(
        settings.rate_per_minute / 60.0, settings.rate_burst, settings.rate_clients
    )
    app.state.verifier = Verifier(settings.issuers, skew_s=settings.clock_skew_s)
    app.state.shown = ShownCards()
    app.state.issued = IssuedCards()
    app.state.feedback = FeedbackStore(settings.feedback_db)
    problems.install(app)
    app.include_router(rest.router)
    app.include_router(cds.router)
    app.include_router(journal.router, prefix="/api/v1/journal")
    app.include_router(web.router)  # pages for people (medguide.web)

    @app.get("/api/v1", tags=["meta"])
    def about() -> dict[str, Any]:
        """Versions: the API, medguide, and the knowledge the answers come from."""
        return {
            "api": API_VERSION,
            "medguide": __version__,
            "knowledge_version": catalog.version,
        }

    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app
