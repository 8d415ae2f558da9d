"""The local store: engine with SQLite pragmas, unit of work, migrations, search index, backups."""

from .engine import create_sqlite_engine
from .profile import Store

__all__ = ["Store", "create_sqlite_engine"]
