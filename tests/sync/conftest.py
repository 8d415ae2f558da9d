"""Fixtures of the sync tests live in sync_env (a uniquely named module, so test modules can
import its helpers without clashing with tests/conftest.py)."""

from sync_env import _server_process, backend, database_url, make_device, own_server, server  # noqa: F401
