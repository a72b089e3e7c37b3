"""CSRF (signed double-submit) on a per-process secret, and the session cookie's name.

The secret is `MEDGUIDE_WEB_SECRET` when set (several processes behind one address), else
random per process (an open form then expires when the server restarts, which is safe). The
session cookie holds a journal token (`medguide.journal.access`), kept hashed in the journal,
so it survives a restart and is ended by revoking the token.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache

CSRF_COOKIE = "mg_csrf"
SESSION_COOKIE = "mg_session"


@lru_cache(maxsize=1)
def secret() -> bytes:
    env = os.environ.get("MEDGUIDE_WEB_SECRET")
    return env.encode() if env else secrets.token_bytes(32)


def _mac(purpose: str, value: str) -> str:
    return hmac.new(secret(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(cookie: str) -> str:
    """The form's hidden value: the cookie's value signed, so a forged pair fails."""
    return _mac("csrf", cookie)


def csrf_ok(cookie: str | None, form_value: str | None) -> bool:
    if not cookie or not form_value:
        return False
    return hmac.compare_digest(csrf_token(cookie), form_value)
