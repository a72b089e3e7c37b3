"""The HTTP API (FastAPI): versioned REST under /api/v1, CDS Hooks 2.0 under /cds-services.

`create_app(catalog=None, settings=None)` builds the app; the catalog is loaded once and
shared by every request (it is immutable). Routes only parse, call `medguide.service` and
render; they make no clinical decision of their own.
"""

from __future__ import annotations

from medguide.api.app import create_app
from medguide.api.settings import Settings

__all__ = ["Settings", "create_app"]
