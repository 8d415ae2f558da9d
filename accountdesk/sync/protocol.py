"""The wire protocol between a device and the sync server (docs/architecture.md, "Sync"), as pydantic models.

Every request carries the protocol version and the device's schema version in the headers
``X-AccountDesk-Protocol`` and ``X-AccountDesk-Schema``; the server accepts a range and answers
anything else with HTTP 426 and an :class:`ErrorBody` whose ``code`` is ``update_required``.
Bodies may be gzip-compressed both ways (``Content-Encoding: gzip``).

Error answers always have the shape of :class:`ErrorBody`: a stable ``code`` the device maps
to a message in its own language, and an English ``message`` for logs.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

#: What no request string may hold: NUL and other C0 controls but tab and line breaks, unpaired
#: surrogates (not encodable in UTF-8; PostgreSQL refuses NUL in text).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _storable(value: str) -> str:
    if _UNSTORABLE.search(value):
        raise ValueError(
            "contains a character that cannot be stored (NUL, a control character or an unpaired surrogate)"
        )
    return value


#: A request string the server can store and compare (ids, names, tokens).
SafeStr = Annotated[str, AfterValidator(_storable)]

HEADER_PROTOCOL = "X-AccountDesk-Protocol"
HEADER_SCHEMA = "X-AccountDesk-Schema"
#: Optional features a device understands, comma-separated (older devices send none; older
#: servers ignore the header).
HEADER_FEATURES = "X-AccountDesk-Features"
#: The offline lease, in days, on the answers to a sign-in (login and refresh): a company profile
#: that has not reached its server for this long locks its data until its user signs in again.
#: (A header, not a field: devices that do not know it ignore it.)
HEADER_OFFLINE_DAYS = "X-AccountDesk-Offline-Days"
#: The device records the server sequence of what it pushed from the push's answer (an item
#: result's ``current``), so its pulls skip its own unchanged writes instead of echoing them.
FEATURE_NO_ECHO = "no-echo"

#: Protocol versions this code speaks / the server accepts.
MIN_PROTOCOL = 1
MAX_PROTOCOL = 1
#: Device schema versions the server accepts.
MIN_SCHEMA = 1
MAX_SCHEMA = 1

#: Caps enforced by the server (a device keeps below them).
MAX_ITEMS_PER_BATCH = 1000
MAX_BODY_BYTES = 16 * 1024 * 1024  # decompressed
MAX_PAGE = 2000
#: Largest sequence number / integer value (signed 64 bit, as both databases store it).
MAX_INT = 2**63 - 1
DEFAULT_PAGE = 500

# Error codes (``ErrorBody.code``).
E_UPDATE_REQUIRED = "update_required"
E_BAD_CREDENTIALS = "bad_credentials"
E_RATE_LIMITED = "rate_limited"
E_USER_DEACTIVATED = "user_deactivated"
E_DEVICE_REVOKED = "device_revoked"
E_TOKEN_INVALID = "token_invalid"
E_TOKEN_EXPIRED = "token_expired"
E_FORBIDDEN = "forbidden"
E_NOT_FOUND = "not_found"
E_TOO_LARGE = "too_large"
E_BAD_REQUEST = "bad_request"
E_RESNAPSHOT = "resnapshot_required"  # the pull cursor is older than the tombstone retention
E_METHOD_NOT_ALLOWED = "method_not_allowed"
E_UNAVAILABLE = "unavailable"  # 503: the database is down, or too many logins are waiting; try later
E_INTERNAL = "internal"  # 500: a bug on the server (its log says where, never with field values)

# Item rejection codes (``ItemResult.code``).
R_NOT_ALLOWED = "not_allowed"  # role may not write this
R_OUT_OF_SCOPE = "out_of_scope"  # not one of the user's clients
R_UNKNOWN_ENTITY = "unknown_entity"
R_UNKNOWN_ROW = "unknown_row"
R_INVALID = "invalid"  # bad field name or value
R_CONFIDENTIAL = "confidential"  # may not write a field it may not see
R_SERVER_OWNED = "server_owned"  # users are managed on the server


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Model):
    code: str
    message: str
    min_protocol: int | None = None
    max_protocol: int | None = None
    min_schema: int | None = None
    max_schema: int | None = None
    horizon: int | None = None  # resnapshot_required: the highest sequence purged


# -- authentication ----------------------------------------------------------------------------
class LoginRequest(_Model):
    username: SafeStr = Field(min_length=1, max_length=64)
    password: SafeStr = Field(min_length=1, max_length=1024)
    device_id: SafeStr = Field(min_length=1, max_length=64)
    device_name: SafeStr = Field(default="", max_length=200)
    #: a secret the device made at its first login and keeps in its keyring: a correct password
    #: from the user's own device passes a lockout that others' failed attempts caused
    device_key: SafeStr | None = Field(default=None, min_length=16, max_length=128)


class RefreshRequest(_Model):
    refresh_token: SafeStr = Field(min_length=1, max_length=200)
    device_id: SafeStr = Field(min_length=1, max_length=64)


class UserInfo(_Model):
    id: str
    username: str
    display_name: str
    role: str


class TokenPair(_Model):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserInfo


# -- push --------------------------------------------------------------------------------------
class PushItem(_Model):
    """One outbox entry. ``fields`` are wire values (see :mod:`accountdesk.sync.codec`)."""

    # An item's contents are checked one item at a time by the server (server/validate.py), so
    # that a bad value refuses its item and never the whole batch.
    entity: str = Field(min_length=1, max_length=32)
    row_id: str = Field(min_length=1, max_length=36)
    client_id: str | None = Field(default=None, max_length=36)
    op: Literal["create", "update", "delete"]
    fields: dict[str, Any] = Field(default_factory=dict)
    hlc: str = Field(min_length=1, max_length=64)
    base_seq: int | None = Field(default=None, ge=0, le=MAX_INT)
    schema_version: int = Field(default=1, ge=1, le=1_000_000)


class PushRequest(_Model):
    batch_id: SafeStr = Field(min_length=1, max_length=64)
    #: the device's pull cursor when these edits were made. Informational only: whether a device
    #: could have known that a client had left its scope is decided by the server from what it
    #: served that device, never from what the device says.
    cursor: int | None = Field(default=None, ge=0, le=MAX_INT)
    items: list[PushItem] = Field(max_length=MAX_ITEMS_PER_BATCH)


ItemStatus = Literal["applied", "conflict", "rejected"]


class ItemResult(_Model):
    row_id: str
    status: ItemStatus
    seq: int | None = None
    code: str | None = None  # rejection code
    reason: str | None = None  # English explanation (the device shows its own text by code)
    conflicts: int = 0
    #: with the ``no-echo`` feature: the device now holds the record exactly as it stands at
    #: ``seq`` (its pulls will not send it back); absent for devices without the feature
    current: bool | None = None


class PushResult(_Model):
    batch_id: str
    replayed: bool = False  # the stored result of a batch already applied
    results: list[ItemResult]


# -- farewell of a revoked device (issue 13) ---------------------------------------------------
#: A revoked device (its user deactivated, or the device itself revoked) may send what it had
#: not pushed, once, before it wipes itself: the ``device_revoked`` refusal of its next sign-in
#: (refresh or login) carries a :class:`FarewellGrant` (member ``farewell``) while the server
#: permits it. The device pushes its outbox to :data:`PATH_FAREWELL_PUSH` (a
#: :class:`PushRequest`, answered by a :class:`PushResult`) with the grant's token as its bearer,
#: then ends the farewell at :data:`PATH_FAREWELL_END`; from then on it gets nothing. Nothing is
#: pulled with a grant. What the server keeps of such a push: docs/security.md, "Farewell".
PATH_FAREWELL_PUSH = "/v1/sync/farewell"
PATH_FAREWELL_END = "/v1/sync/farewell/end"


class FarewellGrant(_Model):
    token: str
    #: the moment of the revocation: only what was written before it is kept
    before: str
    expires_in: int  # seconds


# -- pull --------------------------------------------------------------------------------------
class ChangeItem(_Model):
    entity: str
    id: str
    client_id: str | None
    seq: int
    deleted: bool = False
    data: dict[str, Any]  # wire values of every column (confidential ones stripped to null)
    hidden: list[str] = Field(default_factory=list)  # fields stripped for this user


class PullPage(_Model):
    cursor: int  # the cursor after this page
    target: int  # the server sequence this pull is heading for
    has_more: bool
    items: list[ChangeItem]
    scope_all: bool  # the user sees every client
    scope: list[str] = Field(default_factory=list)  # client ids in scope (empty when scope_all)
    #: asked for with ``marks=true``: the targets of the pages still to come, each page's cursor
    #: being the previous mark (this page's cursor for the first): pages fetched side by side
    marks: list[int] | None = None


class SnapshotRequest(_Model):
    """The current state of clients that entered the device's scope, up to ``upto`` (the
    device's cursor: what came later arrives by the ordinary pull)."""

    clients: list[SafeStr] = Field(max_length=5000)
    upto: int = Field(ge=0, le=MAX_INT)
    after: SafeStr | None = Field(default=None, max_length=80)  # page token
    limit: int = Field(default=DEFAULT_PAGE, ge=1, le=MAX_PAGE)
    #: the whole scope of the user plus the global rows instead of ``clients`` (a device whose
    #: cursor is older than the purge horizon replaces its rows with this)
    scope: bool = False


class SnapshotPage(_Model):
    items: list[ChangeItem]
    after: str | None  # token of the next page, None at the end


# -- history -----------------------------------------------------------------------------------
class HistoryEntry(_Model):
    id: int
    seq: int
    entity: str
    row_id: str
    client_id: str | None
    field: str
    old: Any = None
    new: Any = None
    user_id: str | None
    username: str | None = None
    at: str
    hidden: bool = False


class HistoryPage(_Model):
    entries: list[HistoryEntry]


class Health(_Model):
    status: str
    protocol: list[int]
    schema_versions: list[int]


class Ready(_Model):
    """``GET /v1/ready``: the server's database answers (503 with an :class:`ErrorBody` when not)."""

    status: Literal["ready"]
