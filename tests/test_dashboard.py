"""The dashboard's figures (issue 16 point 2) are the portfolio report's: on a demo profile the
pyramid, visits done against planned per manager, the satisfaction trend, renewals due and the
at-risk clients equal :func:`load_portfolio`'s (the PDF's source), for the whole portfolio and
for a period; "My portfolio" counts one manager's clients; every figure names the clients behind
it, and the client list filtered to them shows exactly those."""

from __future__ import annotations

import datetime as dt

import pytest
from fakeclock import FakeClock

from accountdesk.services import dashboard, search
from accountdesk.services.context import open_profile
from accountdesk.services.demo import generate_demo
from accountdesk.services.dossier import load_portfolio
from accountdesk.services.search import ClientFilter

START = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    clock = FakeClock(START)
    ctx = open_profile(tmp_path_factory.mktemp("dash"), now=clock.now, wall_ms=clock.wall_ms)
    generate_demo(ctx, clients=40, seed=2, reference=START.date())
    yield ctx
    ctx.close()


@pytest.mark.parametrize("months", [12, 3])
def test_the_dashboard_shows_the_reports_numbers(demo, months):
    date_to = demo.today()
    date_from = date_to - dt.timedelta(days=months * 30)
    board = dashboard.load_dashboard(demo, date_from=date_from, date_to=date_to)
    pdf = load_portfolio(demo, date_from=date_from, date_to=date_to)
    assert [(t.tier, t.clients, t.fees) for t in board.pyramid] == [
        (t.tier, t.clients, t.fees) for t in pdf.pyramid
    ]
    assert sum(t.clients for t in board.pyramid) == pdf.paying_clients > 0
    mine = {m.name: (m.planned, m.done) for m in board.visits if m.planned or m.done}
    theirs = {m.manager: (m.planned, m.done) for m in pdf.visits_by_manager if m.planned or m.done}
    assert mine == theirs and sum(p for p, _d in mine.values()) > 0
    assert [(q.label, q.surveys, q.average) for q in board.satisfaction] == [
        (q.label, q.surveys, q.average) for q in pdf.satisfaction
    ]
    assert [(r.name, r.date) for r in board.renewals] == [(r.client, r.date) for r in pdf.renewals]
    # the same clients with the same health scores, in the same order (lowest score first):
    # the clients listed for their status "at risk" have their score too
    assert [(a.name, a.score) for a in board.at_risk] == [(a.client, a.score) for a in pdf.at_risk]
    assert board.at_risk, "the demo has clients at risk"


def test_complaints_by_age_and_severity_and_my_portfolio(demo):
    board = dashboard.load_dashboard(demo)
    assert board.complaints_count() > 0
    from accountdesk.models import Feedback

    with demo.read() as s:
        open_ = (
            s.query(Feedback)
            .filter(
                Feedback.deleted_at.is_(None),
                Feedback.kind.in_(("complaint", "appeal")),
                Feedback.status.not_in(("answered", "closed")),
            )
            .count()
        )
    assert board.complaints_count() == open_
    owner = next(m.user_id for m in board.visits if m.user_id and m.planned)
    mine = dashboard.load_dashboard(demo, owner_id=owner)
    assert 0 < mine.clients < board.clients
    assert {m.user_id for m in mine.visits if m.planned} <= {owner} | {m.user_id for m in board.visits}
    assert sum(s.clients for s in mine.served.by_tier) == mine.clients


def test_each_figure_clicks_through_to_its_clients(demo):
    board = dashboard.load_dashboard(demo)

    def listed(filters):
        return {r.id for r in search.list_clients_page(demo, filters=filters, limit=None).rows}

    key = next(t for t in board.pyramid if t.tier == "key")
    shown = listed(ClientFilter(tiers=("key",), statuses=("active", "at_risk", "dormant")))
    assert len(shown) == key.clients
    at_risk = {a.client_id for a in board.at_risk}
    assert listed(ClientFilter(ids=tuple(at_risk))) == at_risk
    cell = max(board.complaints, key=lambda c: c.count)
    assert listed(ClientFilter(ids=cell.client_ids)) == set(cell.client_ids)
    assert listed(ClientFilter(ids=())) == set()


def test_period_presets(demo):
    today = dt.date(2026, 5, 20)
    assert dashboard.period("month", today) == (dt.date(2026, 5, 1), today)
    assert dashboard.period("quarter", today) == (dt.date(2026, 4, 1), today)
    assert dashboard.period("half", today) == (dt.date(2026, 1, 1), today)
    assert dashboard.period("year", today) == (dt.date(2026, 1, 1), today)
    assert dashboard.period("12m", today) == (dt.date(2025, 5, 21), today)


def _flags_and_statuses(ctx, today):
    from accountdesk.services.scheduling import plan_flags_in, plan_statuses_in

    with ctx.read() as s:
        flags = {
            f.plan_id: (f.client_id, f.kind, f.every_months, f.overdue, f.long_overdue)
            for f in plan_flags_in(s, None, today)
        }
        statuses = {
            p.plan_id: (p.client_id, p.kind, p.every_months, p.overdue, p.long_overdue)
            for p in plan_statuses_in(s, None, today)
        }
    return flags, statuses


@pytest.mark.parametrize("days", [0, 20, 45, 100, 200, 400])
def test_the_set_wise_cadence_flags_say_what_the_plan_statuses_say_on_the_demo(demo, days):
    """The dashboard's served-to-standard and at-risk figures come from cadence flags computed by
    SQLite for every plan at once; they must agree with the row-by-row plan statuses (Today, the
    client list) on every plan, today and on later days."""
    flags, statuses = _flags_and_statuses(demo, demo.today() + dt.timedelta(days=days))
    assert flags == statuses
    assert any(v[3] for v in flags.values()) and not all(v[3] for v in flags.values())
    if days >= 100:
        assert any(v[4] for v in flags.values())


def test_the_set_wise_cadence_flags_cover_every_way_a_due_date_is_found(ctx, clock):
    """Due from the plan's day (no visit, no relationship start), from the relationship start,
    from starts_on, from the last held visit (never before starts_on), a survey counting as a held
    satisfaction survey, a planned visit covering the cadence, an inactive plan left out."""
    from accountdesk.services import clients, surveys, visits

    plain = clients.create_client(ctx, name="按建档日", tier="key", standard=True)
    since = clients.create_client(
        ctx, name="按合作开始", tier="standard", standard=True, relationship_since=dt.date(2025, 12, 31)
    )
    held = clients.create_client(ctx, name="已拜访", tier="key", standard=True)
    visits.record_visit(ctx, held, "return_visit", ctx.now() - dt.timedelta(days=40), "回访")
    visits.record_visit(ctx, held, "executive_meeting", ctx.now() - dt.timedelta(days=200), "高层会晤")
    surveys.create_survey(ctx, held, conducted_on=dt.date(2025, 1, 31), score_overall=4)
    booked = clients.create_client(ctx, name="已预约", tier="standard", standard=True)
    visits.create_visit(
        ctx, booked, kind="return_visit", planned_start=ctx.now() + dt.timedelta(days=150), status="planned"
    )
    same_day = clients.create_client(ctx, name="同日再约", tier="standard", standard=True)
    visits.record_visit(ctx, same_day, "return_visit", ctx.now() - dt.timedelta(days=100, hours=1), "回访")
    visits.create_visit(
        ctx, same_day, kind="return_visit", planned_start=ctx.now() - dt.timedelta(days=100), status="planned"
    )  # planned for the day of the last held one: that still covers the cadence
    later = clients.create_client(ctx, name="晚开始", tier="standard")
    visits.create_visit_plan(ctx, later, "return_visit", 1)
    plan = visits.list_visit_plans(ctx, later)[0]
    visits.update_visit_plan(ctx, plan["id"], starts_on=dt.date(2026, 6, 30))
    off = visits.create_visit_plan(ctx, later, "improvement_review", 12)
    visits.update_visit_plan(ctx, off, active=False)
    seen_overdue, seen_long = set(), set()
    for days in [*range(0, 500), *range(500, 900, 7)]:
        today = ctx.today() + dt.timedelta(days=days)
        flags, statuses = _flags_and_statuses(ctx, today)
        assert flags == statuses, today
        seen_overdue |= {v[0] for v in flags.values() if v[3]}
        seen_long |= {v[0] for v in flags.values() if v[4]}
        assert off not in flags
    assert seen_overdue == seen_long == {plain, since, held, booked, later, same_day}
    with ctx.read() as s:  # the planned visit keeps the same-day client's return visits covered
        from accountdesk.services.scheduling import plan_flags_in

        assert not any(
            f.overdue for f in plan_flags_in(s, [same_day], ctx.today()) if f.kind == "return_visit"
        )


def test_a_client_at_risk_by_its_status_is_listed_with_its_health_score(ctx):
    """A client whose status is "at risk" but whose health cannot be poor (no candidate for the
    poor line) is on the at-risk list with its health score, as in the portfolio report; the list
    is sorted by that score."""
    from accountdesk.services import clients
    from accountdesk.services.health import client_health

    calm = clients.create_client(ctx, name="状态风险客户", tier="key", status="at_risk", standard=True)
    board = dashboard.load_dashboard(ctx)
    marks = {m.client_id: m.score for m in board.at_risk}
    assert marks == {calm: client_health(ctx, calm).score} and marks[calm] is not None
    pdf = load_portfolio(ctx)
    assert [(a.client, a.score) for a in pdf.at_risk] == [("状态风险客户", marks[calm])]


def test_a_deleted_clients_visits_complaints_and_surveys_leave_the_whole_portfolio(ctx):
    """On the whole portfolio the dashboard counts the rows of every client but a deleted one (a
    shortcut of the supervisor's view, not a look-up of each row's client), as the report does;
    a visit without an owner counts for its client's manager."""
    from accountdesk.services import clients, feedback, surveys, visits

    kept = clients.create_client(ctx, name="留存客户", tier="key")
    gone = clients.create_client(ctx, name="已删客户", tier="key")
    when = ctx.now() - dt.timedelta(days=10)
    for cid in (kept, gone):
        visits.record_visit(ctx, cid, "return_visit", when, "回访")
        visits.plan_visit(ctx, cid, "return_visit", ctx.now() - dt.timedelta(days=3))
        feedback.create_feedback(
            ctx,
            cid,
            kind="complaint",
            severity="high",
            subject="投诉",
            received_at=ctx.now() - dt.timedelta(days=2),
        )
        surveys.create_survey(ctx, cid, conducted_on=ctx.today() - dt.timedelta(days=5), score_overall=2)
    unowned = visits.plan_visit(ctx, kept, "return_visit", ctx.now() - dt.timedelta(days=5))
    visits.update_visit(ctx, unowned, owner_id=None)
    clients.delete_client(ctx, gone)
    board = dashboard.load_dashboard(ctx)
    me = ctx.actor.id
    assert {m.user_id: (m.planned, m.done) for m in board.visits if m.planned} == {me: (3, 1)}
    assert board.complaints_count() == 1
    assert {c for cell in board.complaints for c in cell.client_ids} == {kept}
    assert sum(q.surveys for q in board.satisfaction) == 1
    pdf = load_portfolio(ctx)
    assert [(m.manager, m.planned, m.done) for m in pdf.visits_by_manager if m.planned] == [
        (m.name, m.planned, m.done) for m in board.visits if m.planned
    ]
