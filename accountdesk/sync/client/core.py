"""What every job of the engine shares: its state (set by :class:`SyncEngine.__init__`) and, for
the type checker, the methods one job calls of another (each defined by one job's mixin)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx
    from sqlalchemy.orm import Session

    from ...store.profile import Store
    from .. import protocol as p
    from ..context import SyncContext
    from ..credentials import Credentials
    from .base import DeviceRevoked, Progress, SyncError, SyncReport, UserDeactivated
    from .push import _Batch


class EngineCore:
    """The base of each job's mixin of :class:`~.engine.SyncEngine`."""

    ctx: SyncContext
    store: Store
    server_url: str
    #: plain http:// to another computer is allowed (the person said so, or it is this one)
    allow_insecure: bool
    rejoin: bool
    start_clean: bool
    include_demo_data: bool
    credentials: Credentials
    page_size: int
    batch_size: int
    bulk_rows: int
    #: the signed-in user, once signed in
    user: p.UserInfo | None
    #: the access token; None: sign in (again) before the next request
    _access: str | None
    _http: httpx.Client
    #: held by a sync (a revoked device's farewell is made under it)
    _lock: threading.Lock
    #: held while signing in (pages fetched side by side refresh the token once)
    _auth_lock: threading.RLock
    #: the headers of the last sign-in's answer (the offline lease comes with them)
    _auth_headers: httpx.Headers | None
    #: the password of a sign-in, until its hash is kept for the app lock
    _unlock_password: str | None

    if TYPE_CHECKING:
        # transport
        def _request(
            self,
            method: str,
            path: str,
            *,
            body: Any = None,
            params: dict[str, Any] | None = None,
            auth: bool = True,
            parse: bool = True,
            encoded: bytes | None = None,
        ) -> Any: ...

        def _leave(self, error: DeviceRevoked | UserDeactivated) -> SyncError: ...

        # push
        def _push(self, report: SyncReport, notify: Progress, check: Callable[[], None]) -> None: ...

        def _claim_batch(self, exclude: str | None = None) -> tuple[str, int | None, int] | None: ...

        def _batch_body(self, batch_id: str, first: int | None, last: int) -> _Batch: ...

        def _store_push_result(self, batch: _Batch, answer: Any, report: SyncReport) -> None: ...

        # rows
        def _apply(self, session: Session, items: list[dict[str, Any]]) -> int: ...

        # membership
        def _wipe(self) -> None: ...
