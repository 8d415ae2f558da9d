"""The server's own schema: a generic record store plus users, devices, tokens, batches,
field history, audit log and the sequence counter.

Rows of every syncable entity live in ``srv_records`` as JSON with per-field clocks; the server
never needs an entity's columns except to merge fields, strip confidential ones and keep scope.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)

Json = JSON().with_variant(JSONB(), "postgresql")
TS = DateTime(timezone=True)

#: One row: the last sequence number handed out. Locked and updated at the end of every push
#: transaction that changes records, just before its commit: numbers commit in order, so a pull
#: can never skip a commit that was still in flight.
counter = Table(
    "srv_counter",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("seq", BigInteger, nullable=False),
)

records = Table(
    "srv_records",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("entity", String(32), nullable=False),
    Column("client_id", String(36)),
    Column("seq", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("data", Json, nullable=False),
    #: field -> [hlc, seq, device] of the value now stored
    Column("clocks", Json, nullable=False),
    #: fields stripped for users who may not see confidential data
    Column("hidden", Json, nullable=False),
    #: the device whose push made this version exactly as that device holds it (its pulls skip
    #: it: no echo); null when the server changed anything the device does not have
    Column("writer", String(64)),
    Index("ix_srv_records_seq", "seq"),
    Index("ix_srv_records_client_seq", "client_id", "seq"),
)

#: Who sees which client (owner, backup, team member), maintained with the data it derives from.
scope = Table(
    "srv_scope",
    metadata,
    Column("client_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("kind", String(16), nullable=False),
    PrimaryKeyConstraint("client_id", "user_id", "kind"),
    Index("ix_srv_scope_user", "user_id"),
)

#: A user who lost a client keeps the right to push the edits they made before that moment.
former_scope = Table(
    "srv_former_scope",
    metadata,
    Column("client_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("until_ms", BigInteger, nullable=False),
    #: the sequence of the change that took the client away: a device whose pull cursor is below
    #: it could not have known (null for marks made before this column existed)
    Column("until_seq", BigInteger),
    PrimaryKeyConstraint("client_id", "user_id"),
)

#: The first time the server served a pull to a device after its user lost a client (its
#: ``srv_former_scope`` mark): from then on that device knows, and its later edits of the client
#: are refused (after a short grace for edits made while that very pull was on its way).
loss_seen = Table(
    "srv_loss_seen",
    metadata,
    Column("client_id", String(36), nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("at", TS, nullable=False),
    PrimaryKeyConstraint("client_id", "user_id", "device_id"),
)

users = Table(
    "srv_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(100), nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("password_hash", String(200), nullable=False),
    Column("created_at", TS, nullable=False),
)

devices = Table(
    "srv_devices",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", TS, nullable=False),
    Column("last_seen", TS),
    Column("revoked_at", TS),
    #: the server sequence when the device registered: it cannot hold edits of a client its
    #: user had lost before (null for devices registered before this column existed)
    Column("first_seq", BigInteger),
    #: SHA-256 of the secret the device made at its first login (it keeps it in its keyring):
    #: proves a login comes from the user's own laptop, which may pass a lockout
    Column("key_hash", String(64)),
    #: when a revoked device ended its farewell (issue 13: it sent what it had not pushed, then
    #: wiped itself); from then on it is granted nothing
    Column("farewell_at", TS),
    Index("ix_srv_devices_user", "user_id"),
)

tokens = Table(
    "srv_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(8), nullable=False),  # access | refresh | farewell
    Column("user_id", String(36), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked_at", TS),
    #: the sign-in this token descends from (:data:`token_families`)
    Column("family_id", String(36), nullable=False),
    Index("ix_srv_tokens_user", "user_id"),
    Index("ix_srv_tokens_family", "family_id"),
)

#: One sign-in of a device: the tokens issued at a login and every refresh since. A refresh token
#: presented twice ends the whole family; a family ends ``session_days`` after its login whatever
#: happens (the device signs in again).
token_families = Table(
    "srv_token_families",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("user_id", String(36), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("created_at", TS, nullable=False),
    Column("expires_at", TS, nullable=False),
    Column("revoked_at", TS),
    Column("revoked_reason", String(32)),
)

#: Login lockouts: ``key`` is ``account:NAME``, ``address:ADDR`` or ``device:ID``; a login is
#: refused until ``until``. A row stays a day after it ends so that the next lockout of the same
#: key lasts longer (``strikes``).
login_locks = Table(
    "srv_login_locks",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("kind", String(8), nullable=False),
    Column("since", TS, nullable=False),
    Column("until", TS, nullable=False),
    Column("strikes", Integer, nullable=False),
)

login_failures = Table(
    "srv_login_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False),
    Column("at", TS, nullable=False),
    Index("ix_srv_login_failures_key", "key", "at"),
    Index("ix_srv_login_failures_at", "at"),
)

batches = Table(
    "srv_batches",
    metadata,
    Column("device_id", String(64), nullable=False),
    Column("batch_id", String(64), nullable=False),
    Column("result", Json, nullable=False),
    Column("created_at", TS, nullable=False),
    PrimaryKeyConstraint("device_id", "batch_id"),
)

history = Table(
    "srv_history",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("seq", BigInteger, nullable=False),
    Column("entity", String(32), nullable=False),
    Column("row_id", String(36), nullable=False),
    Column("client_id", String(36)),
    Column("field", String(64), nullable=False),
    Column("old", Json),
    Column("new", Json),
    Column("user_id", String(36)),
    Column("device_id", String(64)),
    Column("at", TS, nullable=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Index("ix_srv_history_client", "client_id", "id"),
)

audit = Table(
    "srv_audit",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("user_id", String(36)),
    Column("action", String(32), nullable=False),
    Column("detail", Json, nullable=False),
    Column("address", String(64)),
    Index("ix_srv_audit_at", "at"),
    Index("ix_srv_audit_action", "action", "id"),
)

#: One row per tombstone purge (admin command or the daily run of ``serve``). ``horizon`` is the
#: highest sequence purged so far: a pull cursor below it may have missed a delete, so that
#: device must take a fresh snapshot of its scope.
purges = Table(
    "srv_purges",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", TS, nullable=False),
    Column("older_than_s", BigInteger, nullable=False),
    Column("purged", Integer, nullable=False),
    Column("horizon", BigInteger, nullable=False),
)

# -- notifications (issue 19): channels, routing rules, the message outbox, calendar feeds -----

#: Where messages go: one SMTP server and any number of group robots (WeCom, DingTalk, Feishu).
#: ``settings`` holds what may be shown (host, port, security, sender); ``secret`` the encrypted
#: JSON of what may not (SMTP password, webhook URL with its key, signing secret).
notify_channels = Table(
    "srv_notify_channels",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(64), nullable=False, unique=True),
    Column("settings", Json, nullable=False),
    Column("secret", Text, nullable=False),
    #: language of the messages a group receives (people get theirs)
    Column("language", String(8)),
    Column("created_at", TS, nullable=False),
)

#: Who receives which event: ``event`` (escalation, escalation:1..3, digest), ``recipient``
#: (handler, owner, backup, team-supervisor, supervisors, admins, managers, user:NAME,
#: group:CHANNEL) and optional filters by client tier and complaint severity.
notify_rules = Table(
    "srv_notify_rules",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event", String(32), nullable=False),
    Column("recipient", String(120), nullable=False),
    Column("tier", String(16)),
    Column("severity", String(16)),
    Column("created_at", TS, nullable=False),
)

#: A user's preferences for what the server sends them (the e-mail address and team are on the
#: synced user record).
user_prefs = Table(
    "srv_user_prefs",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("language", String(8)),
    Column("time_zone", String(64)),
    Column("digest", Boolean, nullable=False, default=True),
)

#: Every message to send, one row per recipient and event (``key`` makes it unique, so several
#: server processes record it once). Pending rows are retried with back-off; after the last
#: attempt a row is ``dead`` (the dead-letter list) until an administrator resends it.
notify_outbox = Table(
    "srv_notify_outbox",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("key", String(200), nullable=False, unique=True),
    Column("event", String(32), nullable=False),
    Column("channel_id", String(36)),
    #: user:<id> or group:<channel name>
    Column("recipient", String(120), nullable=False),
    Column("address", String(254)),
    Column("language", String(8), nullable=False),
    #: the rendered message: {"title", "lines": [...], "severity"} (never a confidential value)
    Column("message", Json, nullable=False),
    Column("status", String(12), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_at", TS, nullable=False),
    Column("claimed_until", TS),
    Column("last_error", String(300)),
    Column("created_at", TS, nullable=False),
    Column("sent_at", TS),
    Index("ix_srv_notify_outbox_due", "status", "next_at"),
)

#: The highest escalation level of a feedback that has been announced (levels only go up).
notify_escalations = Table(
    "srv_notify_escalations",
    metadata,
    Column("feedback_id", String(36), primary_key=True),
    Column("level", Integer, nullable=False),
    Column("at", TS, nullable=False),
)

#: One row per scheduled job; a run locks its row, so one server process runs it at a time.
notify_jobs = Table(
    "srv_notify_jobs",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("last_run", TS),
)

#: A user's calendar subscription: only the SHA-256 of the secret in its URL is stored.
calendar_feeds = Table(
    "srv_calendar_feeds",
    metadata,
    Column("user_id", String(36), primary_key=True),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", TS, nullable=False),
)

#: Attachment files stored on the server's disk (issue 18, server/files.py): who uploaded each
#: first (the per-user quota counts those) and when.
blobs = Table(
    "srv_blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("uploaded_by", String(36), nullable=False),
    Column("created_at", TS, nullable=False),
    Index("ix_srv_blobs_uploaded_by", "uploaded_by"),
)

#: Free text columns are Text on both back ends.
__all__ = [
    "metadata",
    "counter",
    "records",
    "scope",
    "former_scope",
    "users",
    "devices",
    "tokens",
    "loss_seen",
    "login_failures",
    "login_locks",
    "token_families",
    "batches",
    "history",
    "audit",
    "purges",
    "notify_channels",
    "notify_rules",
    "user_prefs",
    "notify_outbox",
    "notify_escalations",
    "notify_jobs",
    "calendar_feeds",
    "blobs",
    "Text",
]
