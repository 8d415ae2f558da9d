"""The device's sync engine, assembled from its jobs."""

from __future__ import annotations

import threading

import httpx

from ... import PROTOCOL_VERSION, SCHEMA_VERSION
from .. import protocol as p
from ..address import check_server_url, is_insecure
from ..context import SyncContext
from ..credentials import Credentials
from .base import DeviceRevoked, Progress, SyncReport, UserDeactivated, _Cancelled
from .membership import MembershipMixin
from .pull import PullMixin
from .push import PushMixin
from .rows import RowsMixin
from .transport import TransportMixin


class SyncEngine(TransportMixin, PushMixin, PullMixin, RowsMixin, MembershipMixin):
    """One profile's sync with one server: :meth:`sync` pushes the outbox, pulls, and pushes what was
    written meanwhile. Its jobs live in the mixins of this package's modules."""

    def __init__(
        self,
        ctx: SyncContext,
        server_url: str,
        credentials: Credentials,
        *,
        page_size: int = p.DEFAULT_PAGE,
        batch_size: int = p.MAX_ITEMS_PER_BATCH,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        bulk_rows: int = 5000,
        start_clean: bool = False,
        include_demo_data: bool = False,
        allow_insecure: bool = False,
        rejoin: bool = False,
    ) -> None:
        """``start_clean``: a profile with demo data that joins a server drops it first;
        ``include_demo_data``: it pushes the demo data instead (a test server only);
        ``allow_insecure``: the person allowed plain http:// to another computer;
        ``rejoin``: join again a server whose database was re-initialised (:meth:`_rejoin`)."""
        self.ctx = ctx
        self.start_clean = start_clean
        self.include_demo_data = include_demo_data
        self.store = ctx.store
        self.server_url = check_server_url(server_url, allow_insecure=True)
        self.allow_insecure = allow_insecure or not is_insecure(
            self.server_url
        )  # else: what the profile says
        self.rejoin = rejoin
        self.credentials = credentials
        self.page_size = page_size
        self.batch_size = min(batch_size, p.MAX_ITEMS_PER_BATCH)
        self.bulk_rows = bulk_rows
        self._access = None
        self.user = None
        self._auth_headers = None
        self._unlock_password = None
        self._http = httpx.Client(
            base_url=self.server_url,
            timeout=timeout,
            transport=transport,
            headers={
                p.HEADER_PROTOCOL: str(PROTOCOL_VERSION),
                p.HEADER_SCHEMA: str(SCHEMA_VERSION),
                p.HEADER_FEATURES: p.FEATURE_NO_ECHO,
                "User-Agent": "AccountDesk-sync",
            },
        )
        self._lock = threading.Lock()
        self._auth_lock = threading.RLock()

    def close(self) -> None:
        self._http.close()

    # -- HTTP ----------------------------------------------------------------------------------

    def sync(self, progress: Progress | None = None, cancel: threading.Event | None = None) -> SyncReport:
        report = SyncReport()
        notify = progress or (lambda *_a: None)

        def check() -> None:
            if cancel is not None and cancel.is_set():
                raise _Cancelled

        with self._lock:
            # A profile joining a company server is encrypted before anything is pulled into it
            # (a no-op once it is; PassphraseRequired where no keyring and no passphrase). Its progress
            # is the stage "encrypt" (without a ``progress`` here: the process's listener, if any).
            self.store.ensure_encrypted(
                progress=(lambda done, total, _message: notify("encrypt", done, total)) if progress else None
            )
            try:
                if self._access is None:
                    self._authenticate()
                self._push(report, notify, check)
                self._pull(report, notify, check)
                self._push(report, notify, check)  # edits made while pulling, and removals held back
                self._note_contact()
            except _Cancelled:
                report.cancelled = True
            except (DeviceRevoked, UserDeactivated) as exc:  # send what is unsent, then wipe
                raise self._leave(exc) from None
        return report

    # -- push ----------------------------------------------------------------------------------
