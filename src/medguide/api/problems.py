"""RFC 9457 problem documents for every error the API returns.

Each names the field at fault where there is one (`field`, a dotted path into the body or
the query), carries a stable `code`, and never a stack trace.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from medguide.service.errors import ServiceError

PROBLEM = "application/problem+json"
BASE = "https://medguide.invalid/problems/"
log = logging.getLogger("medguide.api")


_TITLES = {
    400: "bad request",
    401: "unauthorized",
    404: "not found",
    405: "method not allowed",
    413: "content too large",
    415: "unsupported media type",
    422: "bad input",
    429: "too many requests",
    500: "internal error",
    503: "service unavailable",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries: each status answers with a problem document."""
    from medguide.api.schemas import Problem

    return {
        status: {
            "model": Problem,
            "content": {PROBLEM: {}},
            "description": _TITLES.get(status, "error"),
        }
        for status in statuses
    }


PROBLEM_RESPONSES = problem_responses(400, 404, 413, 422, 429)


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    title = _TITLES.get(status, "error")
    code = code or title.replace(" ", "_")
    body: dict[str, Any] = {
        "type": BASE + code.replace("_", "-"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "field": field,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _loc(loc: Any) -> str | None:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or None


def _message(err: dict[str, Any]) -> str:
    msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
    if err.get("type") == "extra_forbidden":
        return "unknown field"
    if err.get("type") == "json_invalid":
        return "the body is not valid JSON"
    return msg


def service_problem(exc: ServiceError) -> JSONResponse:
    status = 404 if exc.kind == "not_found" else 422
    body = exc.as_problem()
    return problem(status, exc.message, code=exc.kind, field=body.get("field"))


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        first = errors[0] if errors else {"msg": "invalid request", "loc": ()}
        field = None if first.get("type") == "json_invalid" else _loc(first.get("loc", ()))
        detail = f"{field}: {_message(first)}" if field else _message(first)
        listed = [{"field": _loc(e.get("loc", ())), "message": _message(e)} for e in errors[:20]]
        return problem(422, detail, code="bad_input", field=field, errors=listed)

    @app.exception_handler(ServiceError)
    async def _service(request: Request, exc: ServiceError) -> JSONResponse:
        return service_problem(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        headers = dict(exc.headers) if exc.headers else None
        return problem(exc.status_code, detail, headers=headers)

    @app.exception_handler(Exception)
    async def _anything(request: Request, exc: Exception) -> JSONResponse:
        # A bug must still answer with a problem document and never show its stack.
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(500, "the server could not handle this request", code="internal_error")
