"""The local store: engine with SQLite pragmas, unit of work, migrations, search index, backups."""

from .engine import Store, create_sqlite_engine

__all__ = ["Store", "create_sqlite_engine"]
