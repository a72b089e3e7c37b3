"""What routes share: the catalog loaded at start, and the per-client rate limit."""

from __future__ import annotations

import math
from typing import Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from medguide.knowledge.catalog import Catalog


async def catalog_of(request: Request) -> Catalog:
    cat: Catalog = request.app.state.catalog
    return cat


def client_key(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def rate_limited(request: Request) -> None:
    """429 with Retry-After once a client has used its tokens on the expensive routes."""
    wait = request.app.state.bucket.take(client_key(request))
    if wait > 0:
        seconds = max(1, math.ceil(wait)) if math.isfinite(wait) else 3600
        raise HTTPException(
            status_code=429,
            detail=f"too many requests from this client; try again in {seconds} s",
            headers={"Retry-After": str(seconds)},
        )


MAX_LIST_ITEMS = 500  # any list in a body; the models have tighter limits of their own
MAX_DEPTH = 32


def _too_long(body: bytes) -> tuple[str | int, ...] | None:
    """The path of the first list longer than MAX_LIST_ITEMS, or of nesting past MAX_DEPTH."""
    import json

    try:
        doc = json.loads(body or b"null")
    except (ValueError, RecursionError):
        return None  # the model's own parse names the problem
    # A quick walk first (most bodies pass); the path is looked for only when one fails.
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, list):
            if len(value) > MAX_LIST_ITEMS or depth >= MAX_DEPTH:
                return _path_of_long(doc, ())
            stack.extend((v, depth + 1) for v in value if isinstance(v, list | dict))
        elif isinstance(value, dict):
            if depth >= MAX_DEPTH:
                return _path_of_long(doc, ())
            stack.extend((v, depth + 1) for v in value.values() if isinstance(v, list | dict))
    return None


def _path_of_long(value: Any, path: tuple[str | int, ...]) -> tuple[str | int, ...] | None:
    if len(path) >= MAX_DEPTH and isinstance(value, list | dict):
        return path
    if isinstance(value, list):
        if len(value) > MAX_LIST_ITEMS:
            return path
        items: Any = enumerate(value)
    elif isinstance(value, dict):
        items = value.items()
    else:
        return None
    for key, item in items:
        found = _path_of_long(item, (*path, key))
        if found is not None:
            return found
    return None


def strict_body(model: type[BaseModel] | None) -> Any:
    """A dependency that validates the JSON body again in pydantic's strict mode.

    FastAPI validates bodies in lax mode, where `false` passes for a number and "5" for an
    integer. The models are strict at the boundary, so the raw body is checked strictly too
    (JSON mode: dates and times as ISO strings, arrays for tuples) and refused with the
    field at fault. Any body (`model` None: a FHIR document) has its lists bounded first.
    """

    async def check(request: Request) -> None:
        body = await request.body()
        too_long = _too_long(body)
        if too_long is not None:
            raise RequestValidationError(
                [
                    {
                        "type": "too_long",
                        "loc": ("body", *too_long),
                        "msg": f"at most {MAX_LIST_ITEMS} items in a list and "
                        f"{MAX_DEPTH} levels of nesting are accepted",
                        "input": None,
                    }
                ]
            )
        if model is None:
            return
        try:
            model.model_validate_json(body or b"null", strict=True)
        except ValidationError as exc:
            errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]
            raise RequestValidationError(errors) from None

    return Depends(check)
