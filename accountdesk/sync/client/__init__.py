"""The device's sync engine: push the outbox, then pull the server's changes (docs/architecture.md, "Sync").

A Qt-free library call the desktop app runs off the GUI thread::

    report = SyncEngine(ctx, "https://sync.example.com", credentials).sync(progress=cb, cancel=event)

- every step is resumable: a batch keeps its id in the outbox until its result is stored (a
  retried batch is answered from the server's record and applied once), the pull cursor is
  stored with each applied page, and the list of clients still waiting for a snapshot is kept;
- a rejected item stays in the outbox with its reason and never blocks the others;
- pulled values never overwrite a field that still has a pending local edit;
- a client that leaves the scope is removed after its pending edits are pushed; those edits
  are sent with the cursor the device had when it made them, so the server accepts them;
- a device whose cursor is older than the server's tombstone retention pushes its outbox, then
  replaces its rows with a fresh snapshot of its scope (rows with local changes are kept);
  until that is done, it keeps the old cursor and resumes the snapshot at the next sync;
- a revoked device wipes the company's data and says so;
- a server that is down (or whose database is) is "unavailable" (exit 3), never a refusal; a
  sign-in the server ended asks for the password again (exit 4); a server whose database was
  re-initialised is explained, and ``rejoin=True`` joins it again (:meth:`SyncEngine._rejoin`);
- plain http:// to another computer is refused unless the person allowed it (``allow_insecure``,
  remembered for that address).

``ctx`` is the profile's ``AppContext`` (duck-typed: ``store``, ``clock``, ``device_id``,
``set_actor``), so this module stays below the services layer.

The package by job: ``transport`` (requests and signing in), ``push`` (the outbox), ``pull`` and
``pages`` (pages, scope changes, snapshots), ``rows`` (applying rows), ``membership`` (joining,
handing a local user's work over, wiping), ``base`` (constants, errors, the report) and
``engine`` (:class:`SyncEngine`, assembled from their mixins). Only the command line and the UI
import it.
"""

from __future__ import annotations

from ...gcpause import gc_paused as _gc_paused  # noqa: F401 - as before the split
from .base import *  # noqa: F403 - constants and errors, as before the split
from .base import __all__ as _base_all
from .engine import SyncEngine

# module-private names the tests reach for, re-exported as they were before the split
from .membership import _drop_demo_data as _drop_demo_data
from .membership import _drop_local_users as _drop_local_users
from .membership import _hand_local_work_over as _hand_local_work_over
from .pages import _Page as _Page
from .pages import _page as _page
from .pages import _PageStream as _PageStream
from .pages import _snapshot_page as _snapshot_page
from .push import _Batch as _Batch
from .rows import _blank as _blank
from .rows import _insert_params as _insert_params
from .rows import _insert_plan as _insert_plan
from .rows import _insert_sql as _insert_sql
from .rows import _row_builder as _row_builder
from .rows import _wire_date as _wire_date
from .rows import _wire_datetime as _wire_datetime

__all__ = [*_base_all, "SyncEngine"]
