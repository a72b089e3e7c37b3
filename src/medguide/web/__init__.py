"""Pages for people: server-rendered HTML over the same service jobs as the REST routes.

`router` is included by `medguide.api.create_app`. No clinical rule lives here: every page
parses its form, calls one `medguide.service` job (or the journal) and renders the result.
"""

from __future__ import annotations

from medguide.web.pages import router

__all__ = ["router"]
