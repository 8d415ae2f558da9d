"""Passwords (Argon2id) checked a bounded number at a time, and opaque tokens stored hashed."""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

if os.environ.get("ACCOUNTDESK_ARGON2_TEST") == "1":  # test suites only: cheap parameters, same algorithm
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
else:
    _hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


T = TypeVar("T")

#: A hash that never matches, verified when the user does not exist (same cost either way).
DUMMY_HASH = hash_password(secrets.token_hex(16))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Busy(Exception):
    """Too many password checks are running or waiting already."""


def _lower_priority() -> None:
    """Run this thread (and the threads Argon2 starts from it) at the lowest CPU priority."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not on this system: the bound on their number still holds
        pass


class HashGate:
    """Password checks cost 64 MiB and a core each (Argon2id): they run on ``workers`` threads of
    their own, at the lowest CPU priority (a flood of logins cannot slow down the syncs of
    signed-in devices), with at most ``queue`` more waiting, each for ``wait_s`` at the most; any
    other is refused at once (:class:`Busy`). A flood of logins thus waits in a bounded queue
    instead of taking the server's memory and every core."""

    def __init__(self, workers: int, queue: int, wait_s: float):
        self._pool = ThreadPoolExecutor(
            max(1, workers), thread_name_prefix="accountdesk-password", initializer=_lower_priority
        )
        self._lock = threading.Lock()
        self._inside = 0
        self.limit = max(1, workers) + max(0, queue)
        self.wait_s = wait_s

    def _release(self, _future: Future[Any]) -> None:
        with self._lock:
            self._inside -= 1

    def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` on a password thread; :class:`Busy` when the queue is full or the wait too long."""
        with self._lock:
            if self._inside >= self.limit:
                raise Busy
            self._inside += 1
        future = self._pool.submit(fn, *args)
        future.add_done_callback(self._release)  # a check that started counts until it ends
        try:
            return future.result(timeout=self.wait_s)
        except FutureTimeout:
            future.cancel()
            raise Busy from None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
