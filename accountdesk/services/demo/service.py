"""``generate_demo``: fill an empty profile with demo data in one write transaction."""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...errors import ValidationError
from ...i18n import _
from ...models import (
    SYNCABLE,
    User,
)
from ...sync.bulk import BulkWriter
from ...sync.changes import META_DEMO, get_meta, set_meta
from ..context import META_CURRENT_USER, AppContext
from .common import (
    CHUNK,
    MAX_CLIENTS,
    DemoCancelled,
    DemoProfileNotEmpty,
    DemoSummary,
    Progress,
    at,
)
from .generator import _Generator


# -- the service ----------------------------------------------------------------------------------
def _existing_rows(session: Session, current_user_id: str | None) -> int:
    total = 0
    for model in SYNCABLE:
        stmt = select(func.count()).select_from(model)
        if model is User and current_user_id:
            stmt = stmt.where(User.id != current_user_id)
        total += session.scalar(stmt) or 0
    return total


def generate_demo(
    ctx: AppContext,
    *,
    clients: int = 200,
    seed: int = 1,
    reference: dt.date | None = None,
    progress: Progress | None = None,
    cancel: Callable[[], bool] | None = None,
    timings: dict[str, float] | None = None,
) -> DemoSummary:
    """Fill the empty profile of ``ctx`` with demo data; see the module documentation.

    ``reference`` is the demo's "today" (default: today): history lies before it, planned visits
    after it. Identical output for a seed needs the same reference date.
    ``progress(fraction, message)`` is called as the work goes on; ``cancel()`` returning true
    stops it with :class:`DemoCancelled`, and then nothing is written (one transaction). Raises
    :class:`ValidationError` for a bad ``clients`` and :class:`DemoProfileNotEmpty` when the
    profile already holds data (then nothing is written either). ``timings``, when given, receives
    the CPU seconds spent writing each table (for benchmarks).
    """
    if isinstance(clients, bool) or not isinstance(clients, int) or not 1 <= clients <= MAX_CLIENTS:
        raise ValidationError(
            "clients", _("Enter a number of clients from 1 to {max}.").format(max=MAX_CLIENTS)
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValidationError("seed", _("Enter a whole number."))
    reference = reference or ctx.today()
    report = progress or (lambda _f, _m: None)
    started = time.perf_counter()
    report(0.0, _("Preparing the demo profile…"))
    with ctx.store.write() as session:
        current = get_meta(session, META_CURRENT_USER)
        existing = _existing_rows(session, current)
        if existing:
            raise DemoProfileNotEmpty(
                _(
                    "Demo data only goes into an empty profile, and this one already holds {count} records. "
                    "Open a new, empty profile for the demo."
                ).format(count=existing)
            )
        taken = set(session.scalars(select(User.username)).all())
        bulk = BulkWriter(
            session,
            user_id=None,
            hlc_start=ctx.clock.now(),
            entry_created_at=ctx.now(),
            id_rng=random.Random(f"accountdesk-demo:{seed}:ids"),
            id_base=at(reference, 0),
        )
        bulk.timings = timings
        gen = _Generator(bulk, seed=seed, clients=clients, reference=reference, taken_usernames=taken)
        gen.staff()
        gen.catalogue()
        bulk.flush()
        report(0.03, _("Created the staff and the service catalogue."))
        step = max(1, clients // 50)  # about fifty progress reports
        for index in range(clients):
            if cancel is not None and index % 50 == 0 and cancel():
                raise DemoCancelled(_("The demo was cancelled; nothing was written."))
            gen.client(index)
            done = index + 1
            if done % CHUNK == 0 or done == clients:
                bulk.flush()
            if done % step == 0 or done == clients:
                report(
                    0.03 + 0.95 * done / clients,
                    _("Created {done} of {total} clients…").format(done=done, total=clients),
                )
        supervisor_id = gen.supervisor.id
        set_meta(session, META_CURRENT_USER, supervisor_id)
        set_meta(session, META_DEMO, True)
        ctx.clock.observe(bulk.last_hlc)
        report(0.99, _("Saving…"))
    ctx.set_actor(supervisor_id)
    report(1.0, _("Demo data is ready."))
    seconds = time.perf_counter() - started
    counts = dict(bulk.counts)
    rows = sum(counts.values())
    sup = gen.supervisor
    return DemoSummary(
        clients=clients,
        rows=rows,
        outbox_entries=bulk.entries_written,
        counts=counts,
        seed=seed,
        reference_date=reference,
        seconds=seconds,
        current_user_id=sup.id,
        current_user=sup.username,
        current_user_name=sup.name,
        users=counts.get("user", 0),
    )
