"""Python's cyclic garbage collector paused around bulk work (a pull on the laptop, a push on
the server): one implementation, nesting across threads and callers."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while bulk work runs (a pull, a push). A page's
    thousands of parsed dicts hold no cycles, yet every few hundred of them set a collection off,
    and now and then a full one that walks every object of the process: a sixth of an initial sync here, more in
    the desktop app's larger heap. Reference counting still frees each page once written; the
    cycles a pull leaves, if any, are collected afterwards. Pauses nest (syncs of two profiles);
    the collector is left as the first found it."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()
