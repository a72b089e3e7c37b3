"""Alembic environment: always run from `journal.db.migrate` with an open connection.

Batch mode is on so that SQLite, which cannot alter most of a table in place, gets a copy
and rename inside the same transaction. No logging configuration: nothing about the people
in the journal is ever written to a log.
"""

from __future__ import annotations

from alembic import context

from medguide.journal.schema import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    transaction_per_migration=False,
)
with context.begin_transaction():
    context.run_migrations()
