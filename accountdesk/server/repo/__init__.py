"""Repositories: every SQL statement of the server lives here (routers → logic → repositories).

One module per job; callers use ``from accountdesk.server import repo`` and ``repo.<name>``:

- :mod:`.base` — the clock, ``column IN ids`` with one parameter, bulk inserts (COPY);
- :mod:`.sequence` — the sequence counter and the collisions after which a push starts again;
- :mod:`.records` — reading and writing the synced records;
- :mod:`.pulls` — what a pull reads (changes in a window, page marks, snapshots);
- :mod:`.retention` — tombstone purges;
- :mod:`.scope` — which users see which clients, and the marks of a lost client;
- :mod:`.history` — answered push batches, field history, audit log;
- :mod:`.people` — users, devices, tokens.
"""

from __future__ import annotations

from .base import (
    COPY_FROM,
    JSON_COLUMNS,
    among,
    bulk_insert,
    utcnow,
)
from .history import (
    add_history,
    audit,
    audit_log,
    audits,
    history_of,
    store_batch,
    stored_batch,
)
from .people import (
    device,
    device_first_seq,
    insert_user,
    list_devices,
    list_users,
    revoke_devices,
    set_user_active,
    token_holder,
    upsert_device,
    user_by_id,
    user_by_name,
)
from .pulls import (
    WIRE_COLUMNS,
    changes,
    changes_joined,
    has_changes,
    page_marks,
    scope_snapshot,
    snapshot,
)
from .records import (
    LIGHT_FIELDS,
    client_rows,
    conflicts_of,
    find_clients,
    get_light_records,
    get_record,
    get_records,
    insert_records,
    live_clients,
    live_offering_codes,
    put_record,
    team_rows,
    update_records,
)
from .retention import (
    add_purge,
    delete_records,
    last_purge_at,
    purge_batch_answers,
    purge_horizon,
    tombstones,
)
from .scope import (
    apply_scopes,
    former_marks,
    formerly_in_scope_until,
    in_scope,
    losses_seen,
    record_losses_served,
    replace_scope,
    scope_entries_of,
    scope_of,
    scope_users,
    scoped_clients,
)
from .sequence import (
    COLLISIONS,
    current_seq,
    is_collision,
    lock_counter,
    seq_and_horizon,
    store_counter,
    take_numbers,
)

__all__ = [
    "COLLISIONS",
    "COPY_FROM",
    "JSON_COLUMNS",
    "LIGHT_FIELDS",
    "WIRE_COLUMNS",
    "add_history",
    "add_purge",
    "among",
    "apply_scopes",
    "audit",
    "audit_log",
    "audits",
    "bulk_insert",
    "changes",
    "changes_joined",
    "client_rows",
    "conflicts_of",
    "current_seq",
    "delete_records",
    "device",
    "device_first_seq",
    "find_clients",
    "former_marks",
    "formerly_in_scope_until",
    "get_light_records",
    "get_record",
    "get_records",
    "has_changes",
    "history_of",
    "in_scope",
    "insert_records",
    "insert_user",
    "is_collision",
    "last_purge_at",
    "list_devices",
    "list_users",
    "live_clients",
    "live_offering_codes",
    "lock_counter",
    "losses_seen",
    "page_marks",
    "purge_batch_answers",
    "purge_horizon",
    "put_record",
    "record_losses_served",
    "replace_scope",
    "revoke_devices",
    "scope_entries_of",
    "scope_of",
    "scope_snapshot",
    "scope_users",
    "scoped_clients",
    "seq_and_horizon",
    "set_user_active",
    "snapshot",
    "store_batch",
    "store_counter",
    "stored_batch",
    "take_numbers",
    "team_rows",
    "token_holder",
    "tombstones",
    "update_records",
    "upsert_device",
    "user_by_id",
    "user_by_name",
    "utcnow",
]
