"""Rules that used to be written in several places and had drifted: each has one home now, and
every screen that shows the rule's answer gives the same one.

- the complaint clock (domain/feedback.py, via services/feedback.py): the agenda, the feedback
  queue, the client's dossier and the health score agree, a running pause included;
- ``add_months`` (domain/dates.py) for cadences, equipment, reports and the demo;
- restoring an edit lost against a delete goes through ``ChangeWriter.undelete``.
"""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.domain.dates import add_months
from accountdesk.domain.feedback import is_overdue
from accountdesk.models import Feedback, OutboxEntry
from accountdesk.services import clients, dossier, workspace
from accountdesk.services import feedback as fb
from accountdesk.services.agenda import agenda
from accountdesk.services.health import client_health


def _views(ctx, client_id: str, feedback_id: str) -> dict[str, bool]:
    """Is the complaint overdue, according to each screen?"""
    now = ctx.now()
    with ctx.read() as session:
        row = session.get(Feedback, feedback_id)
        service = fb.is_overdue(row, now)
    items = [i for i in agenda(ctx, days=30) if i.row_id == feedback_id]
    queue = [q for q in workspace.feedback_queue(ctx) if q.id == feedback_id]
    (info,) = dossier.load_dossier(ctx, client_id).feedback
    health = client_health(ctx, client_id)
    late = any(r.code == "overdue_complaints" for r in health.reasons)
    return {
        "service": service,
        "agenda": bool(items) and items[0].overdue,
        "queue": queue[0].overdue(now),
        "dossier": info.overdue,
        "health": late,
    }


@pytest.fixture
def complaint(ctx, clock):
    cid = clients.create_client(ctx, name="投诉客户有限公司")
    fid = fb.record_feedback(ctx, cid, "complaint", "报告延误", severity="critical")  # due in 24 hours
    return cid, fid


def test_a_pause_taken_before_the_deadline_keeps_every_screen_on_time(ctx, clock, complaint):
    cid, fid = complaint
    clock.advance(hours=20)
    fb.pause_feedback(ctx, fid)
    clock.advance(hours=20)  # 40 h after receipt; the running pause moves the deadline to 44 h
    assert set(_views(ctx, cid, fid).values()) == {False}, _views(ctx, cid, fid)
    fb.resume_feedback(ctx, fid)
    clock.advance(hours=6)  # 46 h: past the 44 h effective deadline
    assert set(_views(ctx, cid, fid).values()) == {True}, _views(ctx, cid, fid)


def test_a_pause_taken_after_the_deadline_leaves_it_overdue_everywhere(ctx, clock, complaint):
    cid, fid = complaint
    clock.advance(hours=30)
    fb.pause_feedback(ctx, fid)
    clock.advance(hours=10)  # effective deadline 34 h, now 40 h
    views = _views(ctx, cid, fid)
    assert set(views.values()) == {True}, views


def test_an_answered_complaint_is_overdue_nowhere(ctx, clock, complaint):
    cid, fid = complaint
    clock.advance(hours=30)
    fb.answer_feedback(ctx, fid, "已整改")
    views = _views(ctx, cid, fid)
    assert set(views.values()) == {False}, views
    (info,) = dossier.load_dossier(ctx, cid).feedback
    assert info.answered_on_time is False


def test_the_rule_reads_rows_and_mappings_alike():
    due = dt.datetime(2026, 3, 17, 9, tzinfo=dt.UTC)
    now = due + dt.timedelta(hours=1)
    row = {"status": "investigating", "due_at": due, "paused_seconds": 0, "paused_since": None}
    assert is_overdue(row, now)
    assert not is_overdue({**row, "status": "answered"}, now)
    assert not is_overdue({**row, "paused_seconds": 7200}, now)
    assert is_overdue({**row, "paused_since": due - dt.timedelta(hours=2)}, now) is False
    assert is_overdue({**row, "paused_since": due + dt.timedelta(minutes=30)}, now)


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2028, 1, 31), 1, dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 12, 15), 1, dt.date(2027, 1, 15)),
        (dt.date(2026, 1, 15), -13, dt.date(2024, 12, 15)),
        (dt.date(2026, 5, 31), 0, dt.date(2026, 5, 31)),
    ],
)
def test_add_months_clamps_to_the_end_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


def test_add_months_has_one_home():
    """Every module of the services, reports and io that has an ``add_months`` has domain/dates's."""
    import importlib
    import pkgutil

    import accountdesk

    seen = 0
    for info in pkgutil.walk_packages(accountdesk.__path__, "accountdesk."):
        if not info.name.startswith(("accountdesk.services", "accountdesk.reports", "accountdesk.io")):
            continue
        module = importlib.import_module(info.name)
        if hasattr(module, "add_months"):
            seen += 1
            assert module.add_months is add_months, info.name
    assert seen >= 5  # agenda, equipment, scheduling, the dossier's and the demo's modules


def test_a_restored_edit_brings_the_row_back_in_one_update(ctx):
    from accountdesk.services import contacts

    cid = clients.create_client(ctx, name="复活客户有限公司")
    contact = contacts.create_contact(ctx, cid, name="王经理")
    contacts.delete_contact(ctx, contact)
    with ctx.write() as (session, writer):
        from accountdesk.models import Contact

        row = session.get(Contact, contact)
        assert row.deleted_at is not None
        changed = writer.undelete(row, {"title": "总经理"})
        assert changed == {"deleted_at": None, "title": "总经理"}
    with ctx.read() as session:
        row = session.get(Contact, contact)
        assert row.deleted_at is None and row.title == "总经理"
        entry = session.query(OutboxEntry).filter_by(row_id=contact).order_by(OutboxEntry.seq.desc()).first()
        assert entry.op == "update" and entry.fields == {"deleted_at": None, "title": "总经理"}
        assert entry.old_values["deleted_at"].endswith("Z")
    with ctx.write() as (session, writer), pytest.raises(ValueError):
        writer.undelete(session.get(Contact, contact), {"server_seq": 3})
