"""What the sync layer uses of the objects above it, as protocols (nothing here imports them).

- :class:`SyncContext`: the profile's ``AppContext`` (``services/context.py``, a layer above);
- :class:`SignedIn`: a signed-in ``SyncEngine`` (``sync/client``, which only the command line and
  the UI import), as the file transfers (:mod:`.files`) and the notification calls
  (:mod:`.notify_api`) use it: its HTTP client, token, sign-in and error mapping.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from ..store.profile import Store
    from .clock import HybridClock
    from .credentials import Credentials


class Acting(Protocol):
    """The user acting on the profile (``services.context.Actor``)."""

    @property
    def id(self) -> str: ...


class SyncContext(Protocol):
    """The profile a sync works on (``services.context.AppContext``)."""

    @property
    def store(self) -> Store: ...

    @property
    def device_id(self) -> str: ...

    @property
    def clock(self) -> HybridClock: ...

    @property
    def actor(self) -> Acting: ...

    def now(self) -> dt.datetime: ...

    def set_actor(self, user_id: str) -> object: ...


class SignedIn(Protocol):
    """A sync engine that can sign in and send requests (``sync.client.SyncEngine``)."""

    #: the access token; None: sign in (again) before the next request
    _access: str | None

    @property
    def ctx(self) -> SyncContext: ...

    @property
    def store(self) -> Store: ...

    @property
    def server_url(self) -> str: ...

    @property
    def credentials(self) -> Credentials: ...

    @property
    def _auth_lock(self) -> threading.RLock: ...

    @property
    def _http(self) -> httpx.Client: ...

    def _authenticate(self) -> None: ...

    def _answer(self, resp: httpx.Response, parse: bool = True) -> Any: ...

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
