"""Who may open a journal from outside the machine, and the record of who did.

- **Tokens.** `medguide journal token issue` gives a person a bearer token for the HTTP API
  (the pages issue one too, when a journal is started in the browser). A token is
  `mgj_<id>_<secret>`: the id is public (lists, revoking, the audit log); the secret is 256
  random bits, shown once and stored only as its SHA-256, so a copy of the database does not
  open anyone's journal. Every token expires; a revoked or expired token is refused.
- **Access.** A token opens its own person's journal, and the journal of a patient whose
  linked caregiver the person is (the same rule as recording for someone, `store.Journal`).
  Nothing else: there is no administrator token.
- **Audit.** Every read and write through a door is recorded, refused attempts too: when,
  who (the token's person and token id), whose journal, what, the outcome and the client
  address. Never the content of what was read or written.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select

from medguide.journal import schema as t
from medguide.journal.db import JournalError
from medguide.journal.store import Journal, Person

PREFIX = "mgj"
MAX_DAYS = 3650
_TOKEN = re.compile(rf"^{PREFIX}_([0-9a-f]{{12}})_([A-Za-z0-9_-]{{43}})$")
Action = Literal["read", "write"]
Outcome = Literal["ok", "refused", "denied"]


@dataclass(frozen=True)
class Issued:
    """A token just issued: `token` is shown this once and never stored."""

    id: str
    token: str
    person_id: str
    label: str
    expires_at: datetime


@dataclass(frozen=True)
class Holder:
    """Whoever showed a valid token."""

    token_id: str
    person: Person
    label: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue(journal: Journal, person_id: str, *, label: str, days: int, now: datetime) -> Issued:
    """A new token for `person_id`, valid for `days` days."""
    if not 1 <= days <= MAX_DAYS:
        raise JournalError(f"a token is valid for 1 to {MAX_DAYS} days")
    label = label.strip()[:100] or "token"
    token_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    expires = now + timedelta(days=days)
    journal.person(person_id)  # refuses an unknown person with the usual message
    with journal.writing() as conn:
        conn.execute(
            t.access_tokens.insert().values(
                id=token_id,
                person_id=person_id,
                secret_sha256=_digest(secret),
                label=label,
                created_at=now,
                expires_at=expires,
            )
        )
    return Issued(token_id, f"{PREFIX}_{token_id}_{secret}", person_id, label, expires)


def authenticate(journal: Journal, token: str, now: datetime) -> Holder | None:
    """The holder of `token`, or None when it is malformed, unknown, revoked or expired.

    The secret is compared in constant time; which of the reasons applied is not told."""
    m = _TOKEN.match(token.strip())
    if m is None:
        return None
    token_id, secret = m.groups()
    with journal.reading() as conn:
        row = (
            conn.execute(select(t.access_tokens).where(t.access_tokens.c.id == token_id))
            .mappings()
            .first()
        )
    if row is None or not hmac.compare_digest(row["secret_sha256"], _digest(secret)):
        return None
    if row["revoked_at"] is not None or row["expires_at"] <= now:
        return None
    try:
        return Holder(token_id, journal.person(row["person_id"]), row["label"])
    except JournalError:
        return None


def revoke(journal: Journal, token_id: str, *, now: datetime) -> bool:
    """Revoke a token by its id; False when it was already revoked. Unknown ids are refused."""
    with journal.writing() as conn:
        row = conn.execute(
            select(t.access_tokens.c.revoked_at).where(t.access_tokens.c.id == token_id)
        ).first()
        if row is None:
            raise JournalError(f"no token {token_id!r} (see `medguide journal token list`)")
        if row[0] is not None:
            return False
        conn.execute(
            t.access_tokens.update().where(t.access_tokens.c.id == token_id).values(revoked_at=now)
        )
    return True


def tokens(journal: Journal, person_id: str | None = None) -> list[dict[str, Any]]:
    """Every token (never a secret), newest first; one person's when `person_id` is given."""
    q = select(
        t.access_tokens.c.id,
        t.access_tokens.c.person_id,
        t.access_tokens.c.label,
        t.access_tokens.c.created_at,
        t.access_tokens.c.expires_at,
        t.access_tokens.c.revoked_at,
    ).order_by(t.access_tokens.c.created_at.desc(), t.access_tokens.c.id)
    if person_id is not None:
        q = q.where(t.access_tokens.c.person_id == person_id)
    with journal.reading() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]


def can_open(journal: Journal, actor: str, subject: str) -> bool:
    """Whether `actor` may read and write `subject`'s journal: the store's own rule for who
    may record for whom (their own, or a patient they are the linked caregiver of)."""
    return journal.may_act_for(actor, subject)


def journals_of(journal: Journal, actor: str) -> list[Person]:
    """The journals `actor` may open: their own first, then their patients'."""
    with journal.reading() as conn:
        patients = [
            r[0]
            for r in conn.execute(
                select(t.caregiver_links.c.patient_id)
                .where(t.caregiver_links.c.caregiver_id == actor)
                .order_by(t.caregiver_links.c.patient_id)
            )
        ]
    return [journal.person(actor), *(journal.person(p) for p in patients)]


def record(
    journal: Journal,
    *,
    at: datetime,
    holder: Holder | None,
    subject: str,
    action: Action,
    what: str,
    outcome: Outcome,
    door: Literal["api", "web"],
    client: str | None,
) -> None:
    """One line of the audit log, in its own transaction."""
    with journal.writing() as conn:
        conn.execute(
            t.audit_log.insert().values(
                at=at,
                actor=holder.person.id if holder else None,
                token_id=holder.token_id if holder else None,
                subject=subject[:64],
                action=action,
                what=what[:40],
                outcome=outcome,
                door=door,
                client=(client or "")[:64] or None,
            )
        )


def audit_trail(
    journal: Journal, subject: str | None = None, *, limit: int = 100
) -> list[dict[str, Any]]:
    """The newest `limit` lines of the audit log (one journal's when `subject` is given)."""
    q = select(t.audit_log).order_by(t.audit_log.c.id.desc()).limit(limit)
    if subject is not None:
        q = q.where(t.audit_log.c.subject == subject)
    with journal.reading() as conn:
        return [dict(r) for r in conn.execute(q).mappings()]
