"""The demo generator's constants, errors, summary and small helpers (random draws, working days,
China Standard Time, organisation and credit codes)."""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ...domain.validation import USCC_CHARSET, uscc_check_char
from ...errors import AccountDeskError, ConflictError
from . import data as D

Progress = Callable[[float, str], None]

MAX_CLIENTS = 100_000
#: Clients generated between two writes to the database (bounds memory; one transaction).
CHUNK = 500

MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)
FEEDBACK_KINDS = ("complaint", "appeal", "praise", "suggestion", "inquiry")
FEEDBACK_STATUSES = ("received", "investigating", "resolved", "answered", "closed")


class DemoProfileNotEmpty(ConflictError):
    """Demo data only goes into an empty profile (exit code 2 on the command line)."""


class DemoCancelled(AccountDeskError):
    """The demo was cancelled; nothing was written."""


@dataclass(frozen=True)
class DemoSummary:
    clients: int
    rows: int
    outbox_entries: int
    counts: dict[str, int]
    seed: int
    reference_date: dt.date
    seconds: float
    current_user_id: str
    current_user: str
    current_user_name: str
    users: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "rows": self.rows,
            "outbox_entries": self.outbox_entries,
            "counts": dict(sorted(self.counts.items())),
            "seed": self.seed,
            "reference_date": self.reference_date.isoformat(),
            "seconds": round(self.seconds, 3),
            "rows_per_second": round(self.rows / self.seconds) if self.seconds > 0 else None,
            "current_user": {
                "id": self.current_user_id,
                "username": self.current_user,
                "display_name": self.current_user_name,
            },
        }


# -- small helpers ------------------------------------------------------------------------------
def weekday(day: dt.date) -> dt.date:
    """The working day on or before ``day`` (a weekend moves back to Friday): past events stay past."""
    wd = day.weekday()
    return day - dt.timedelta(days=wd - 4) if wd >= 5 else day


def weekday_after(day: dt.date) -> dt.date:
    """The working day on or after ``day`` (a weekend moves on to Monday): planned events stay ahead."""
    wd = day.weekday()
    return day + dt.timedelta(days=7 - wd) if wd >= 5 else day


_UTC = dt.UTC
_CST_OFFSET = dt.timedelta(hours=8)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` China time on ``day``, as an aware UTC datetime."""
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=_UTC) - _CST_OFFSET


# Faster draws than random.Random's own choice/randint (which go through randrange); a seeded
# stream gives the same values on every platform.
def ch(rng: random.Random, seq: Sequence[Any]) -> Any:
    return seq[int(rng.random() * len(seq))]


def ri(rng: random.Random, a: int, b: int) -> int:
    return a + int(rng.random() * (b - a + 1))


def rr(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def pick(rng: random.Random, seq: Sequence[Any], k: int) -> list[Any]:
    """``k`` different items of ``seq`` (as ``rng.sample``; faster for the usual one or two)."""
    n = len(seq)
    if k == 1 and n:
        return [seq[int(rng.random() * n)]]
    if k == 2 and n > 2:
        i = int(rng.random() * n)
        j = int(rng.random() * (n - 1))
        return [seq[i], seq[j + 1 if j >= i else j]]
    return rng.sample(seq, k)


_CUMULATIVE: dict[tuple[float, ...], list[float]] = {}


def wc(rng: random.Random, items: Sequence[Any], weights: tuple[float, ...]) -> Any:
    """One of ``items`` drawn with ``weights`` (as ``rng.choices(items, weights)[0]``, faster)."""
    cum = _CUMULATIVE.get(weights)
    if cum is None:
        cum = _CUMULATIVE[weights] = list(itertools.accumulate(weights))
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


_FIELDS_CACHE: dict[str, tuple[str, ...]] = {}


def _fields_of(text: str) -> tuple[str, ...]:
    found = _FIELDS_CACHE.get(text)
    if found is None:
        found = _FIELDS_CACHE[text] = tuple(
            dict.fromkeys(f for _l, f, _s, _c in string.Formatter().parse(text) if f)
        )
    return found


def _weighted(items: Sequence[Any], weights: Sequence[float]) -> Callable[[random.Random], Any]:
    cum = list(itertools.accumulate(weights))
    total = cum[-1]

    def pick(rng: random.Random) -> Any:
        return items[bisect.bisect_right(cum, rng.random() * total)]

    return pick


_pick_city = _weighted(D.CITIES, [c.weight for c in D.CITIES])
_pick_industry = _weighted(D.INDUSTRIES, [i.weight for i in D.INDUSTRIES])
_pick_surname = _weighted(D.SURNAMES, [s[2] for s in D.SURNAMES])
_OFFERINGS_BY_CODE = {o.code: o for o in D.OFFERINGS}
_ORG_CHARS = USCC_CHARSET  # characters of an organisation code (no I, O, S, V, Z)
_GB11714_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(body8: str) -> str:
    """An organisation code (GB 11714): eight characters and their check character."""
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body8, _GB11714_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    return body8 + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, prefix: str, division: str) -> str:
    """A unified social credit code (GB 32100-2015) with a valid check character."""
    if prefix == "91" and rng.random() < 0.6:  # codes issued since 2015 start with MA
        body = "MA" + "".join(ch(rng, _ORG_CHARS[:10] + "ABCDEFGHJKLMNPQRTUWXY") for _ in range(6))
    else:
        body = "".join(ch(rng, "0123456789") for _ in range(8))
    first17 = prefix + division + organisation_code(body)
    return first17 + uscc_check_char(first17)


@dataclass
class _Staff:
    id: str
    username: str
    name: str
    role: str
    active: bool = True


@dataclass
class _Person:
    """A contact while its client is generated."""

    id: str
    name: str
    title: str
    level: int
    left_on: dt.date | None
