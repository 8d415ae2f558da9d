"""Give the memory that bulk work freed back to the operating system.

Reading thousands of rows (the whole client list, their health) leaves the C heap with many
megabytes that Python freed but glibc's allocator keeps for later; ``malloc_trim`` returns them, so
the resident size is what the app still holds. Elsewhere (Windows, macOS, musl) it does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys
from collections.abc import Callable
from functools import lru_cache

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim = libc.malloc_trim
    except (OSError, AttributeError):  # not glibc
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim


def release_free_memory() -> bool:
    """Return the heap's free pages to the system; True when there was a way to."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
