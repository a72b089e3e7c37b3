"""Settings of the HTTP API, from the environment (or the `medguide serve` options).

| variable | default | meaning |
|---|---|---|
| `MEDGUIDE_MAX_BODY_BYTES` | 1048576 | larger request bodies get 413 before they are read |
| `MEDGUIDE_RATE_PER_MINUTE` | 600 | requests a minute per client address on the expensive routes |
| `MEDGUIDE_RATE_BURST` | 60 | how many of them may come at once |
| `MEDGUIDE_CDS_ISSUERS` | (none) | CDS clients allowed in: `ISS=JKU` pairs, comma-separated |
| `MEDGUIDE_CDS_AUDIENCE` | (request URL) | public base URL; `aud` must be BASE/cds-services/ID |
| `MEDGUIDE_CDS_OPEN` | 0 | 1 turns CDS Hooks authentication off (local trials only) |
| `MEDGUIDE_CDS_FEEDBACK_DB` | (memory) | a SQLite file for card feedback; in memory when unset |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field


def parse_issuers(text: str) -> dict[str, frozenset[str]]:
    """`iss=jku,iss2=jku2` → {iss: {jku, ...}}; an issuer may be given more than once."""
    out: dict[str, set[str]] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        iss, sep, jku = part.partition("=")
        if not sep or not iss.strip() or not jku.strip():
            raise ValueError(f"an issuer is given as ISS=JKU, got {part!r}")
        out.setdefault(iss.strip(), set()).add(jku.strip())
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True)
class Settings:
    max_body_bytes: int = 1024 * 1024
    rate_per_minute: float = 600.0
    rate_burst: float = 60.0
    rate_clients: int = 10_000  # most client addresses the rate limiter remembers
    issuers: Mapping[str, frozenset[str]] = field(default_factory=dict)
    audience: str | None = None
    cds_open: bool = False
    feedback_db: str | None = None
    fhir_timeout_s: float = 0.3
    clock_skew_s: int = 60

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        return cls(
            max_body_bytes=int(e.get("MEDGUIDE_MAX_BODY_BYTES", 1024 * 1024)),
            rate_per_minute=float(e.get("MEDGUIDE_RATE_PER_MINUTE", 600)),
            rate_burst=float(e.get("MEDGUIDE_RATE_BURST", 60)),
            issuers=parse_issuers(e.get("MEDGUIDE_CDS_ISSUERS", "")),
            audience=e.get("MEDGUIDE_CDS_AUDIENCE") or None,
            cds_open=e.get("MEDGUIDE_CDS_OPEN", "0") == "1",
            feedback_db=e.get("MEDGUIDE_CDS_FEEDBACK_DB") or None,
        )
