"""Where the journal lives and how it is opened: SQLite by default, PostgreSQL when shared.

- SQLite: `journal.sqlite3` in the user's data directory (`MEDGUIDE_HOME` overrides it), in
  WAL mode with `synchronous=FULL` (a committed dose survives a power cut), foreign keys on,
  and a busy timeout so concurrent writers wait rather than fail. Writes take the write lock
  at BEGIN (`BEGIN IMMEDIATE`), so two writers never deadlock upgrading a read lock.
- PostgreSQL: `MEDGUIDE_DATABASE_URL=postgresql+psycopg://user@host/db` (psycopg 3).

A file that is not a medguide journal (not SQLite at all, damaged, or another program's
database) is refused with a clear message before anything is written to it. Migrations
(Alembic, shipped in the package) bring an older journal up to date on open.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

HEAD = "0003"  # the newest migration (tests check it matches the scripts)
KNOWN_REVISIONS = ("0001", "0002", "0003")
APPLICATION_ID = 0x4D474A4C  # "MGJL" in the SQLite header: this file is a medguide journal
SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 30_000


class JournalError(Exception):
    """The journal cannot be opened or a write was refused; the message says why."""


def data_dir() -> Path:
    home = os.environ.get("MEDGUIDE_HOME")
    if home:
        return Path(home).expanduser()
    from platformdirs import user_data_path

    return user_data_path("medguide", appauthor=False)


def database_url() -> str:
    """`MEDGUIDE_DATABASE_URL`, else the SQLite file in the data directory."""
    url = os.environ.get("MEDGUIDE_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_dir() / 'journal.sqlite3'}"


def first_line(exc: BaseException) -> str:
    """The driver's own message, first line only (parameters are never shown)."""
    orig = getattr(exc, "orig", None) or exc
    return (str(orig).strip().splitlines() or [type(orig).__name__])[0]


def describe(url: str) -> str:
    """The database for messages: a file path, or host/database without any password."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return str(u.database)
    return f"postgresql://{u.host or 'localhost'}/{u.database}"


@dataclass(frozen=True)
class FileState:
    new: bool
    revision: str | None


def check_sqlite_file(path: Path) -> FileState:
    """Whether `path` is absent/empty (new) or a medguide journal, read without writing.

    Raises JournalError for anything else; the file is left exactly as it was.
    """
    if not path.exists() or path.stat().st_size == 0:
        return FileState(new=True, revision=None)
    if path.is_dir():
        raise JournalError(f"{path} is a directory, not a journal file")
    with path.open("rb") as fh:
        header = fh.read(len(SQLITE_HEADER))
    if header != SQLITE_HEADER:
        raise JournalError(
            f"{path} is not a medguide journal (not an SQLite database); it was left untouched. "
            "Move it away or set MEDGUIDE_HOME to another directory."
        )
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        app_id = con.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        check = con.execute("PRAGMA quick_check").fetchone()[0]
        revision = None
        if "alembic_version" in tables:
            row = con.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
    except sqlite3.DatabaseError as exc:
        raise JournalError(
            f"{path} is damaged or not a journal ({exc}); it was left untouched"
        ) from None
    finally:
        con.close()
    if check != "ok":
        raise JournalError(f"{path} failed its integrity check ({check}); it was left untouched")
    if app_id != APPLICATION_ID:
        if not tables:
            return FileState(new=True, revision=None)
        raise JournalError(
            f"{path} is another program's SQLite database, not a medguide journal; "
            "it was left untouched"
        )
    if revision is not None and revision not in KNOWN_REVISIONS:
        raise JournalError(
            f"{path} was written by a newer medguide (schema {revision}); upgrade medguide"
        )
    return FileState(new=False, revision=revision)


def _sqlite_engine(url: str) -> Engine:
    u = make_url(url)
    path = Path(str(u.database)).expanduser()
    if str(u.database) in ("", ":memory:"):
        raise JournalError("the journal needs a file, not an in-memory database")
    check_sqlite_file(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        # Created private to the user before SQLite opens it: health data.
        fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
        os.close(fd)
    # hide_parameters: no value anyone recorded ever reaches a log line or an error message.
    engine = create_engine(
        u.set(database=str(path)), connect_args={"timeout": 30}, hide_parameters=True
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off; BEGIN is emitted below.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.execute("PRAGMA foreign_keys = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("journal_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine


def create_journal_engine(url: str | None = None) -> Engine:
    """An engine for the journal at `url` (default: `database_url()`), not yet migrated."""
    url = url or database_url()
    try:
        u = make_url(url)
    except ArgumentError:
        raise JournalError("MEDGUIDE_DATABASE_URL is not a database URL") from None
    backend, driver = u.get_backend_name(), u.get_driver_name()
    if backend == "sqlite":
        return _sqlite_engine(url)
    if backend == "postgresql":
        if driver != "psycopg":
            raise JournalError(
                "for PostgreSQL use a postgresql+psycopg://… URL (psycopg 3 is the driver)"
            )
        return create_engine(u, pool_pre_ping=True, hide_parameters=True)
    raise JournalError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")


def current_revision(engine: Engine) -> str | None:
    from sqlalchemy import inspect

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            tables = inspect(conn).get_table_names()
            if tables:
                raise JournalError(
                    f"{describe(str(engine.url))} holds other tables and is not a medguide "
                    "journal; it was left untouched"
                )
            return None
        row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
        return str(row[0]) if row else None


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction (Alembic, batch mode on SQLite).

    Two processes opening a new journal at once do not both migrate: SQLite takes the write
    lock at BEGIN, PostgreSQL an advisory lock, and the second then finds the work done.
    """
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", "medguide.journal:migrations")
    with engine.execution_options(journal_write=True).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(4242014)"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def open_engine(url: str | None = None) -> Engine:
    """The journal's engine, checked and migrated to the newest schema."""
    from sqlalchemy.exc import DBAPIError

    engine = create_journal_engine(url)
    try:
        try:
            rev = current_revision(engine)
        except DBAPIError as exc:
            raise JournalError(
                f"cannot open the journal at {describe(str(engine.url))}: {first_line(exc)}"
            ) from None
        if rev is not None and rev not in KNOWN_REVISIONS:
            raise JournalError(
                f"{describe(str(engine.url))} was written by a newer medguide (schema {rev}); "
                "upgrade medguide"
            )
        if rev != HEAD:
            migrate(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine
