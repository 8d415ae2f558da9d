"""The facade every front end holds: one open profile, its clock and the acting user."""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import AccountDeskError
from ..i18n import _
from ..models import User, utcnow
from ..models.enums import Role
from ..store import Store
from ..sync.changes import ChangeWriter, ensure_device_id, get_meta, load_clock, set_meta
from ..sync.clock import HybridClock

META_CURRENT_USER = "current_user_id"


@dataclass(frozen=True)
class Actor:
    """The user acting on this profile."""

    id: str
    username: str
    display_name: str
    role: str

    @property
    def sees_all_clients(self) -> bool:
        return self.role in (Role.ADMIN, Role.SUPERVISOR)

    @property
    def sees_confidential(self) -> bool:
        return self.role != Role.FIELD


class AppContext:
    """One open profile. Pass it to the service functions: ``clients.create_client(ctx, ...)``.

    ``now`` and ``wall_ms`` are injectable so that tests never patch the system clock.
    """

    def __init__(
        self,
        store: Store,
        *,
        now: Callable[[], dt.datetime] = utcnow,
        wall_ms: Callable[[], int] | None = None,
    ):
        self.store = store
        self.now = now
        with store.write() as session:
            self.device_id = ensure_device_id(session)
            self.clock: HybridClock = load_clock(session, self.device_id, wall_ms)
        self._actor: Actor | None = None

    # -- time -------------------------------------------------------------------------------
    def today(self) -> dt.date:
        """Today in the local time zone of this computer."""
        return self.now().astimezone().date()

    # -- the acting user --------------------------------------------------------------------
    @property
    def actor(self) -> Actor:
        if self._actor is None:
            self._actor = self._load_actor()
        return self._actor

    def _load_actor(self) -> Actor:
        with self.store.read() as session:
            user_id = get_meta(session, META_CURRENT_USER)
            user = session.get(User, user_id) if user_id else None
            if user is not None:  # read the row before the session ends (it expires it)
                return Actor(user.id, user.username, user.display_name, user.role)
        user = self._ensure_local_user()
        return Actor(user.id, user.username, user.display_name, user.role)

    def _ensure_local_user(self) -> User:
        """A profile used without a server belongs to the person at the keyboard (as supervisor,
        since nobody else can assign their clients)."""
        name = _safe_login()
        with self.store.write() as session:
            user = session.scalar(select(User).where(User.username == name))
            if user is None:
                user = self.writer(session).create(
                    User,
                    {"username": name, "display_name": name, "role": Role.SUPERVISOR.value, "active": True},
                )
            set_meta(session, META_CURRENT_USER, user.id)
            return user

    def set_actor(self, user_id: str) -> Actor:
        with self.store.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise AccountDeskError(_("No such user."))
            set_meta(session, META_CURRENT_USER, user.id)
        self._actor = Actor(user.id, user.username, user.display_name, user.role)
        return self._actor

    # -- units of work ----------------------------------------------------------------------
    def writer(self, session: Session) -> ChangeWriter:
        user_id = self._actor.id if self._actor else None
        return ChangeWriter(session, self.clock, user_id, now=self.now)

    @contextlib.contextmanager
    def write(self) -> Iterator[tuple[Session, ChangeWriter]]:
        """A unit of work with a change writer; commits at the end, rolls back on error."""
        actor = self.actor  # resolve before the transaction opens
        with self.store.write() as session:
            yield session, ChangeWriter(session, self.clock, actor.id, now=self.now)

    def read(self) -> contextlib.AbstractContextManager[Session]:
        return self.store.read()

    def close(self) -> None:
        self.store.close()


def _safe_login() -> str:
    try:
        return getpass.getuser() or "me"
    except Exception:  # noqa: BLE001 - no login name on this platform
        return "me"


def open_profile(
    data_dir: Path | str, *, progress: Callable[[int, int, str], None] | None = None, **kwargs: Any
) -> AppContext:
    """Open (creating and migrating as needed) the profile in ``data_dir``. ``progress(done, total,
    message)`` hears how far the one-time encryption of a plaintext profile has got, when this
    opening does it (store/crypto.py: Progress)."""
    return AppContext(Store(data_dir, progress=progress), **kwargs)
