"""Alembic migrations of the journal, shipped inside the package (see `journal.db.migrate`)."""
