"""Alembic environment of the sync server (run programmatically by ``Database.migrate``)."""

from alembic import context
from sqlalchemy import create_engine

from accountdesk.server.tables import metadata

config = context.config
target_metadata = metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            context.configure(
                connection=conn, target_metadata=target_metadata, version_table="srv_alembic_version"
            )
            context.run_migrations()
        return
    context.configure(
        connection=connection, target_metadata=target_metadata, version_table="srv_alembic_version"
    )
    with context.begin_transaction():
        context.run_migrations()


run()
