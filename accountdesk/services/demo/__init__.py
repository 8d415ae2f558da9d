"""Realistic, deterministic demo data for a profile (``accountdesk demo``).

:func:`generate_demo` fills an **empty** profile with staff (a supervisor — who becomes the
profile's current user, so every screen is visible — account managers, field engineers, an
administrator and a former manager whose clients need a new owner), the global service catalogue
and, per client, a Chinese company with contacts and their org chart, visit plans and a year of
visits with written reports, SLA commitments, services with deliveries, feedback in every kind
and state, surveys with a trend, risk flags, equipment with due dates, improvement plans,
interactions, opportunities and the ownership history.

Deterministic: the same ``seed``, ``clients`` and ``reference`` date give the same rows, ids
included; only the hybrid-logical-clock values differ between devices, as they carry the device
id (and the wall time of the device clock). Each client draws from its own random stream seeded
from the seed and its position. Times of day are China Standard Time, whatever the zone of the
computer, so the data does not depend on where it is generated.

Fast: rows go to SQLite with Core ``insert()`` executemany in one write transaction, each with
its outbox entry (op ``create``) in the same transaction, so a demo profile can seed a sync
server. A profile that already holds data is refused (:class:`DemoProfileNotEmpty`); there is no
"force": demo data mixed into real data could not be told apart, and would sync.
"""

from __future__ import annotations

# The generator by job: common (constants, helpers, codes), generator (staff, catalogue, the
# client loop), client and records (one client's company and its year of records), service
# (generate_demo); data and text hold the names and phrases it draws from.
from ...domain.dates import add_months  # noqa: F401 - callers used to find it here
from .common import (  # noqa: F401
    MAX_CLIENTS,
    DemoCancelled,
    DemoProfileNotEmpty,
    DemoSummary,
    credit_code,
    organisation_code,
    weekday,
    weekday_after,
)
from .service import generate_demo  # noqa: F401

__all__ = ["MAX_CLIENTS", "DemoCancelled", "DemoProfileNotEmpty", "DemoSummary", "generate_demo"]
