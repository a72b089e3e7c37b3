"""CDS Hooks 2.0 client authentication: a JWT in `Authorization: Bearer …`.

What is checked, in order, and refused with 401 otherwise:

1. the header names an asymmetric algorithm (RS*, PS*, ES*): never `none`, never HMAC (a
   token "signed" with the public key as an HMAC secret is refused before any key is used);
2. `iss` is on the allowlist, and the header's `jku` is one of that issuer's key-set URLs
   (without a `jku` the issuer's only configured URL is used);
3. the key set is fetched from that URL without following redirects and cached; a `kid`
   that is not in the set gets one refetch (at most every 30 s per URL), then refusal;
4. the signature, the exact `aud` (this service's endpoint URL), `exp` and `iat` with at
   most 60 s of clock skew, and a lifetime of at most five minutes;
5. the `jti` has not been seen from that issuer before (a replay cache kept until the token
   would have expired anyway, bounded in size).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

# jwt (with cryptography) and httpx are imported where they are used: a server that is never
# called by a CDS client does not pay for them at start.

ALLOWED_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"}
)
MAX_LIFETIME_S = 300  # CDS Hooks: exp no more than five minutes after iat
JWKS_TTL_S = 300.0
REFETCH_EVERY_S = 30.0
MAX_REPLAY_ENTRIES = 100_000


class AuthError(Exception):
    """A token that is refused; the message says why (safe to show: it names no secret)."""


class NeedsFetch(Exception):
    """The key set must be fetched first (raised only when fetching is not allowed)."""


@dataclass(frozen=True)
class Client:
    iss: str
    sub: str | None
    jti: str


class KeySets:
    """JWKS documents by URL, fetched without redirects and cached for JWKS_TTL_S."""

    def __init__(
        self,
        fetch: Callable[[str], Mapping[str, Any]] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch or _fetch_jwks
        self._clock = clock
        self._cache: dict[str, tuple[float, Mapping[str, Any]]] = {}
        self._last_fetch: dict[str, float] = {}
        self._lock = threading.Lock()

    def _get(self, url: str, force: bool = False, fetch: bool = True) -> Mapping[str, Any]:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(url)
            if cached and not force and now - cached[0] < JWKS_TTL_S:
                return cached[1]
            if cached and force and now - self._last_fetch.get(url, -1e9) < REFETCH_EVERY_S:
                return cached[1]
        if not fetch:
            raise NeedsFetch(url)
        doc = self._fetch(url)
        with self._lock:
            self._cache[url] = (now, doc)
            self._last_fetch[url] = now
        return doc

    def key(self, url: str, kid: str | None, alg: str, fetch: bool = True) -> Any:
        for force in (False, True):
            found = _find_key(self._get(url, force, fetch), kid, alg)
            if found is not None:
                return found
        raise AuthError(f"no key {kid!r} for {alg} in the issuer's key set")


def _fetch_jwks(url: str) -> Mapping[str, Any]:
    import httpx

    try:
        response = httpx.get(url, timeout=2.0, follow_redirects=False)
    except httpx.HTTPError as exc:
        raise AuthError(f"the key set could not be fetched ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise AuthError(f"the key set answered HTTP {response.status_code} (no redirects)")
    try:
        doc = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise AuthError("the key set is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("keys"), list):
        raise AuthError("the key set has no keys")
    return doc


def _find_key(doc: Mapping[str, Any], kid: str | None, alg: str) -> Any:
    import jwt
    from jwt import PyJWK

    keys = [k for k in doc.get("keys") or () if isinstance(k, dict)]
    if kid is not None:
        keys = [k for k in keys if k.get("kid") == kid]
    elif len(keys) != 1:
        return None  # without a kid only a set of one key is unambiguous
    for k in keys:
        if k.get("kty") == "oct":
            continue  # a symmetric key is never accepted
        if k.get("alg") not in (None, alg):
            continue
        try:
            return PyJWK.from_dict(k, algorithm=alg).key
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue
    return None


class ReplayCache:
    """(iss, jti) pairs seen, each kept until its expiry; oldest dropped past the bound."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._clock = clock
        self._lock = threading.Lock()

    def check_and_add(self, iss: str, jti: str, until: float) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                _, expiry = next(iter(self._seen.items()))
                if expiry > now and len(self._seen) < MAX_REPLAY_ENTRIES:
                    break
                self._seen.popitem(last=False)
            if (iss, jti) in self._seen:
                return False
            self._seen[(iss, jti)] = until
            return True


class Verifier:
    """Checks CDS Hooks client tokens against an allowlist of issuers and their JWKS URLs."""

    def __init__(
        self,
        issuers: Mapping[str, frozenset[str]],
        *,
        skew_s: int = 60,
        keys: KeySets | None = None,
        replay: ReplayCache | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.issuers = issuers
        self.skew_s = min(skew_s, 60)
        self.keys = keys or KeySets()
        self.replay = replay or ReplayCache(clock)
        self.clock = clock

    def verify(self, authorization: str | None, audience: str, *, fetch: bool = True) -> Client:
        """The client a token stands for, or AuthError. With `fetch` False, NeedsFetch is
        raised (before anything is recorded) when a key set must be fetched first."""
        import jwt

        if not authorization or not authorization.startswith("Bearer "):
            raise AuthError("a Bearer token is required")
        token = authorization[len("Bearer ") :].strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise AuthError("the token is not a well-formed JWT") from None
        alg = header.get("alg")
        if alg not in ALLOWED_ALGORITHMS:
            raise AuthError(f"algorithm {alg!r} is not accepted (asymmetric signatures only)")
        iss = unverified.get("iss")
        if not isinstance(iss, str) or iss not in self.issuers:
            raise AuthError("the issuer is not on the allowlist")
        allowed = self.issuers[iss]
        jku = header.get("jku")
        if jku is None:
            if len(allowed) != 1:
                raise AuthError("the token names no jku and the issuer has several key sets")
            jku = next(iter(allowed))
        if not isinstance(jku, str) or jku not in allowed:
            raise AuthError("the jku is not on the allowlist for this issuer")
        kid = header.get("kid")
        key = self.keys.key(jku, kid if isinstance(kid, str) else None, alg, fetch)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=audience,
                issuer=iss,
                leeway=self.skew_s,
                options={"require": ["iss", "aud", "exp", "iat", "jti"], "strict_aud": True},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token has expired") from None
        except jwt.ImmatureSignatureError:
            raise AuthError("the token is not valid yet") from None
        except jwt.InvalidAudienceError:
            raise AuthError("the token is for another audience") from None
        except jwt.PyJWTError as exc:
            raise AuthError(f"the token is refused: {type(exc).__name__}") from None
        now = self.clock()
        iat, exp = float(claims["iat"]), float(claims["exp"])
        if iat > now + self.skew_s:
            raise AuthError("the token is not valid yet")
        if exp - iat > MAX_LIFETIME_S:
            raise AuthError("the token lives longer than five minutes")
        jti = claims["jti"]
        if not isinstance(jti, str) or not jti:
            raise AuthError("the token has no jti")
        if not self.replay.check_and_add(iss, jti, exp + self.skew_s):
            raise AuthError("the token was used before (replayed jti)")
        sub = claims.get("sub")
        return Client(iss=iss, sub=sub if isinstance(sub, str) else None, jti=jti)
