"""Passwords (Argon2id) checked a bounded number at a time, and opaque tokens stored hashed."""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import threading
from collections.abc import Iterator

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


#: A hash that never matches, verified when the user does not exist (same cost either way).
DUMMY_HASH = hash_password(secrets.token_hex(16))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Busy(Exception):
    """Too many password checks are running or waiting already."""


class HashGate:
    """Password checks cost 64 MiB and a core each (Argon2id): at most ``workers`` run at once
    and at most ``queue`` more wait, each for ``wait_s`` at the most; any other is refused at
    once (:class:`Busy`). A flood of logins thus queues in a bounded number of threads instead
    of taking the server's memory and every core."""

    def __init__(self, workers: int, queue: int, wait_s: float):
        self._slots = threading.BoundedSemaphore(max(1, workers))
        self._lock = threading.Lock()
        self._inside = 0
        self.limit = max(1, workers) + max(0, queue)
        self.wait_s = wait_s

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._lock:
            if self._inside >= self.limit:
                raise Busy
            self._inside += 1
        try:
            if not self._slots.acquire(timeout=self.wait_s):
                raise Busy
            try:
                yield
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._inside -= 1
