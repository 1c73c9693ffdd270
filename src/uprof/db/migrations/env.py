"""Alembic environment: always run online, on the connection uprof hands over (see db/migrate.py)."""

from alembic import context

from uprof.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
