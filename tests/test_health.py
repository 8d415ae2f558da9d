"""Account health: score, level and the reasons behind it."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.errors import NotFoundError
from accountdesk.i18n import set_language
from accountdesk.services import clients, records, visits
from accountdesk.services import search as S
from accountdesk.services.feedback import record_feedback
from accountdesk.services.health import client_health, health_for_clients

UTC = dt.UTC


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=UTC)


def codes(health):
    return {r.code: r.impact for r in health.reasons}


@pytest.fixture
def client(ctx):
    cid = clients.create_client(ctx, name="护航科技服务有限公司")
    visits.create_visit_plan(ctx, cid, "return_visit")
    visits.create_visit(ctx, cid, kind="return_visit", planned_start=at(2026, 3, 2), status="done")
    return cid


def survey(ctx, cid, day, overall):
    return records.create_record(
        ctx, "survey", {"conducted_on": day, "score_overall": overall}, client_id=cid
    )


def test_a_well_served_client_is_good_without_reasons(ctx, client):
    survey(ctx, client, dt.date(2026, 1, 10), 5)
    h = client_health(ctx, client)
    assert (h.score, h.level, h.reasons) == (100, "good", [])


def test_overdue_cadence_costs_points(ctx, client):
    other = clients.create_client(ctx, name="远航物流集团")
    visits.create_visit_plan(ctx, other, "return_visit")
    visits.create_visit(
        ctx, other, kind="return_visit", planned_start=at(2026, 2, 1), status="done"
    )  # due 03-01
    late = clients.create_client(ctx, name="长期未访客户")
    visits.create_visit_plan(ctx, late, "return_visit")
    visits.create_visit(
        ctx, late, kind="return_visit", planned_start=at(2025, 11, 1), status="done"
    )  # due 12-01
    unplanned = clients.create_client(ctx, name="无计划客户")
    hs = health_for_clients(ctx, [client, other, late, unplanned])
    assert codes(hs[client]) == {}
    assert codes(hs[other]) == {"visit_overdue": -8}
    assert codes(hs[late]) == {"visit_long_overdue": -16}
    assert codes(hs[unplanned]) == {"no_recent_visit": -10}
    assert "15 days" in hs[other].reasons[0].text


def test_survey_scores_and_trend(ctx, client):
    survey(ctx, client, dt.date(2025, 9, 1), 4)
    survey(ctx, client, dt.date(2026, 3, 1), 2)
    h = client_health(ctx, client)
    assert codes(h) == {"survey_low": -20, "survey_decline": -10}
    assert h.score == 70 and h.level == "watch"
    assert "2.0" in next(r.text for r in h.reasons if r.code == "survey_low")
    rising = clients.create_client(ctx, name="回升客户")
    visits.create_visit_plan(ctx, rising, "return_visit")
    visits.create_visit(ctx, rising, kind="return_visit", planned_start=at(2026, 3, 10), status="done")
    survey(ctx, rising, dt.date(2025, 9, 1), 2)
    records.create_record(
        ctx,
        "survey",
        {"conducted_on": dt.date(2026, 3, 1), "score_service_quality": 4, "score_responsiveness": 2},
        client_id=rising,
    )
    assert codes(client_health(ctx, rising)) == {"survey_mediocre": -10, "survey_improved": 5}


def test_open_and_overdue_complaints(ctx, client, clock):
    record_feedback(ctx, client, "complaint", "报告错误", severity="medium", due_at=at(2026, 3, 20))
    late = record_feedback(
        ctx,
        client,
        "complaint",
        "交付延期",
        severity="high",
        received_at=at(2026, 3, 10),
        due_at=at(2026, 3, 12),
    )
    record_feedback(ctx, client, "praise", "服务很好")
    h = client_health(ctx, client)
    assert codes(h) == {"open_complaints": -12, "overdue_complaints": -10}
    assert h.score == 78 and h.level == "good"
    records.update_record(ctx, "feedback", late, {"status": "answered", "answer": "已处理"})
    assert codes(client_health(ctx, client)) == {"open_complaints": -6}


def test_active_risks_by_severity_with_a_cap(ctx, client):
    for kind, sev in [
        ("payment_overdue", "critical"),
        ("litigation_use", "high"),
        ("churn_risk", "medium"),
        ("other", "low"),
    ]:
        records.create_record(
            ctx, "risk_flag", {"kind": kind, "severity": sev, "raised_at": at(2026, 3, 1)}, client_id=client
        )
    h = client_health(ctx, client)
    assert sum(r.impact for r in h.reasons if r.code == "risk_flag") == -40
    assert h.score == 60 and h.level == "watch"
    assert (
        h.reasons[0].impact == -20
        and "Payment" in h.reasons[0].text
        or "payment" in h.reasons[0].text.lower()
    )


def test_poor_level_and_floor_at_zero(ctx, client):
    survey(ctx, client, dt.date(2025, 9, 1), 5)
    survey(ctx, client, dt.date(2026, 3, 1), 1)
    for i in range(4):
        record_feedback(
            ctx, client, "complaint", f"投诉{i}", received_at=at(2026, 3, 1), due_at=at(2026, 3, 5)
        )
    for kind in ("payment_overdue", "litigation_use", "churn_risk"):
        records.create_record(
            ctx,
            "risk_flag",
            {"kind": kind, "severity": "critical", "raised_at": at(2026, 3, 1)},
            client_id=client,
        )
    h = client_health(ctx, client)
    assert h.score == 0 and h.level == "poor"


def test_reasons_follow_the_language(ctx, client):
    survey(ctx, client, dt.date(2026, 3, 1), 2)
    set_language("zh_CN")
    text = client_health(ctx, client).reasons[0].text
    assert "满意度" in text


def test_client_list_rows_carry_health_and_next_due(ctx, client):
    survey(ctx, client, dt.date(2026, 3, 1), 2)
    row = S.list_clients_page(ctx).rows[0]
    assert (row.health_score, row.health_level) == (80, "good")
    assert row.next_due == dt.date(2026, 4, 2) and not row.overdue


def test_a_scheduled_visit_is_the_next_due_date_in_the_client_list(ctx, client):
    # the survey cadence has never been held (due at once); once one is on the calendar, the
    # list shows that visit's day, not a date long past, and the client is not overdue for it
    visits.create_visit_plan(ctx, client, "satisfaction_survey", starts_on=dt.date(2025, 1, 1))
    row = S.list_clients_page(ctx).rows[0]
    assert row.next_due == dt.date(2025, 1, 1) and row.overdue
    visits.plan_visit(ctx, client, "satisfaction_survey", at(2026, 5, 20))
    row = S.list_clients_page(ctx).rows[0]
    assert row.next_due == dt.date(2026, 4, 2) and not row.overdue  # the return visit comes first
    visits.plan_visit(ctx, client, "return_visit", at(2026, 6, 3))
    assert S.list_clients_page(ctx).rows[0].next_due == dt.date(2026, 5, 20)  # the survey is now first


def test_unknown_client(ctx):
    with pytest.raises(NotFoundError):
        client_health(ctx, "no-such-id")


def test_batch_and_single_agree(ctx, client):
    other = clients.create_client(ctx, name="远航物流集团")
    survey(ctx, other, dt.date(2026, 3, 1), 3)
    record_feedback(ctx, client, "complaint", "报告错误", received_at=at(2026, 3, 10), due_at=at(2026, 3, 12))
    batch = health_for_clients(ctx, [client, other])
    assert batch[client] == client_health(ctx, client)
    assert batch[other] == client_health(ctx, other)
    assert batch[client].score < 100 and batch[other].score < 100


def test_a_client_without_overdue_cadence_complaint_or_risk_is_never_poor(ctx):
    """The dashboard computes the health of the clients that may be poor only
    (health.poor_candidates_in): the worst a quiet client can get — no plan and no recent visit, a
    low last survey that fell, no survey for 18 months — is QUIET_MAX_PENALTY, above the poor line."""
    from accountdesk.services.health import LEVEL_FLOORS, QUIET_MAX_PENALTY, poor_candidates_in
    from accountdesk.services.scheduling import plan_statuses_in

    quiet = clients.create_client(ctx, name="安静客户")
    survey(ctx, quiet, dt.date(2024, 1, 10), 4)
    survey(ctx, quiet, dt.date(2024, 6, 1), 1)
    h = client_health(ctx, quiet)
    assert codes(h) == {"no_recent_visit": -10, "survey_low": -20, "survey_decline": -10, "survey_stale": -5}
    assert h.score == 100 - QUIET_MAX_PENALTY >= LEVEL_FLOORS[-1][0] and h.level == "watch"
    loud = clients.create_client(ctx, name="投诉客户")
    record_feedback(ctx, loud, "complaint", "报告延误", severity="high", received_at=at(2026, 3, 1))
    flagged = clients.create_client(ctx, name="风险客户")
    records.create_record(
        ctx,
        "risk_flag",
        {"kind": "churn_risk", "severity": "high", "raised_at": at(2026, 3, 1)},
        client_id=flagged,
    )
    late = clients.create_client(ctx, name="逾期客户")
    visits.create_visit_plan(ctx, late, "return_visit")
    visits.create_visit(ctx, late, kind="return_visit", planned_start=at(2025, 6, 2), status="done")
    ids = [quiet, loud, flagged, late]
    with ctx.read() as s:
        assert poor_candidates_in(s, ids, plan_statuses_in(s, ids, ctx.today())) == {loud, flagged, late}
        # many clients (a whole portfolio): every open complaint and active flag read, those of
        # the clients not asked about left out — the same candidates
        from accountdesk.services import health as health_module

        mark = health_module.CANDIDATE_LOOKUP_IDS
        health_module.CANDIDATE_LOOKUP_IDS = 0
        try:
            some = [quiet, late]
            assert poor_candidates_in(s, some, plan_statuses_in(s, some, ctx.today())) == {late}
            assert poor_candidates_in(s, ids, plan_statuses_in(s, ids, ctx.today())) == {loud, flagged, late}
        finally:
            health_module.CANDIDATE_LOOKUP_IDS = mark


def test_an_overdue_cadence_makes_a_candidate_only_when_it_can_bring_the_score_below_the_line(ctx):
    """With the worst surveys (SURVEY_MAX_PENALTY) a client whose one cadence is overdue (8 points)
    stays above the poor line and is left out; more than one interval overdue (16) falls below it."""
    from accountdesk.services.health import (
        LEVEL_FLOORS,
        LONG_OVERDUE_PENALTY,
        OVERDUE_PENALTY,
        SURVEY_MAX_PENALTY,
        poor_candidates_in,
    )
    from accountdesk.services.scheduling import plan_flags_in, plan_statuses_in

    made = {}
    for name, last_held in (("once", dt.date(2026, 2, 1)), ("long", dt.date(2026, 1, 1))):
        cid = made[name] = clients.create_client(ctx, name=name)
        visits.create_visit_plan(ctx, cid, "return_visit", every_months=1)
        held = at(last_held.year, last_held.month, last_held.day)
        visits.create_visit(ctx, cid, kind="return_visit", planned_start=held, status="done")
        survey(ctx, cid, dt.date(2024, 1, 10), 4)
        survey(ctx, cid, dt.date(2024, 6, 1), 1)
    once, long = client_health(ctx, made["once"]), client_health(ctx, made["long"])
    worst_surveys = {"survey_low": -20, "survey_decline": -10, "survey_stale": -5}
    assert sum(worst_surveys.values()) == -SURVEY_MAX_PENALTY
    assert codes(once) == {"visit_overdue": -OVERDUE_PENALTY, **worst_surveys}
    assert codes(long) == {"visit_long_overdue": -LONG_OVERDUE_PENALTY, **worst_surveys}
    assert once.score == 100 - OVERDUE_PENALTY - SURVEY_MAX_PENALTY >= LEVEL_FLOORS[-1][0]
    assert once.level == "watch" and long.level == "poor"
    ids = list(made.values())
    with ctx.read() as s:
        assert poor_candidates_in(s, ids, plan_statuses_in(s, ids, ctx.today())) == {made["long"]}
        assert poor_candidates_in(s, ids, plan_flags_in(s, ids, ctx.today())) == {made["long"]}


def test_the_poor_bound_counts_each_complaint_risk_and_cadence_at_its_most(ctx):
    """poor_candidates_in leaves out a client only when, with what each reason can cost at its most
    (every open complaint past its deadline, the risk flags by severity, the worst surveys), the
    score stays on or above the poor line: one medium risk flag (10) with the worst surveys scores
    55 and is left out; a critical one (20) scores 45 and is kept, as is one open complaint past
    its deadline (6 + 10: 49)."""
    from accountdesk.services.health import (
        COMPLAINT_PENALTY,
        LATE_COMPLAINT_PENALTY,
        LEVEL_FLOORS,
        RISK_IMPACT,
        SURVEY_MAX_PENALTY,
        poor_candidates_in,
    )
    from accountdesk.services.scheduling import plan_flags_in

    made = {}
    for name in ("medium", "critical", "complaint"):
        # a monthly return visit held lately (nothing overdue), the worst surveys
        cid = made[name] = clients.create_client(ctx, name=name)
        visits.create_visit_plan(ctx, cid, "return_visit")
        visits.create_visit(
            ctx, cid, kind="return_visit", planned_start=ctx.now() - dt.timedelta(days=10), status="done"
        )
        survey(ctx, cid, dt.date(2024, 1, 10), 4)
        survey(ctx, cid, dt.date(2024, 6, 1), 1)
    for name in ("medium", "critical"):
        records.create_record(
            ctx,
            "risk_flag",
            {"kind": "churn_risk", "severity": name, "raised_at": at(2026, 3, 1)},
            client_id=made[name],
        )
    record_feedback(
        ctx,
        made["complaint"],
        "complaint",
        "交付延期",
        severity="low",
        received_at=at(2026, 3, 1),
        due_at=at(2026, 3, 3),
    )
    line = LEVEL_FLOORS[-1][0]
    scores = {name: client_health(ctx, cid).score for name, cid in made.items()}
    assert scores == {
        "medium": 100 - RISK_IMPACT["medium"] - SURVEY_MAX_PENALTY,
        "critical": 100 - RISK_IMPACT["critical"] - SURVEY_MAX_PENALTY,
        "complaint": 100 - COMPLAINT_PENALTY - LATE_COMPLAINT_PENALTY - SURVEY_MAX_PENALTY,
    }
    assert scores["medium"] >= line > scores["critical"] and line > scores["complaint"]
    ids = list(made.values())
    with ctx.read() as s:
        assert poor_candidates_in(s, ids, plan_flags_in(s, ids, ctx.today())) == {
            made["critical"],
            made["complaint"],
        }


@pytest.mark.parametrize("days", [0, 45, 200, 400])
def test_every_poor_client_of_the_demo_is_a_candidate(ctx, clock, days):
    """The bound of poor_candidates_in against the health of every client of a demo profile, today
    and later (cadences fall overdue, complaints pass their deadlines): no poor client left out,
    and fewer candidates than clients."""
    from sqlalchemy import select

    from accountdesk.models import Client
    from accountdesk.services.demo import generate_demo
    from accountdesk.services.health import POOR, health_in, poor_candidates_in
    from accountdesk.services.scheduling import plan_flags_in

    generate_demo(ctx, clients=60, seed=5, reference=ctx.today())
    clock.advance(days=days)
    with ctx.read() as s:
        ids = list(s.scalars(select(Client.id).where(Client.deleted_at.is_(None))))
        flags = plan_flags_in(s, ids, ctx.today())
        poor = {
            c for c, h in health_in(s, ids, ctx.now(), ctx.today(), statuses=flags).items() if h.level == POOR
        }
        maybe = poor_candidates_in(s, ids, flags)
        # with today: each client's surveys counted as they are, not at their worst
        tight = poor_candidates_in(s, ids, flags, ctx.today())
    assert poor <= tight <= maybe < set(ids)


@pytest.mark.parametrize("days", [0, 200, 400])
def test_the_survey_points_of_the_poor_bound_are_those_of_health_for_every_demo_client(ctx, clock, days):
    """poor_candidates_in with ``today`` counts each client's survey points by the rule health
    scores them with: for every client of a demo profile, the survey reasons of its health are
    exactly those the bound counts, and the clients it keeps are those whose score without the
    reasons it bounds (cadences, complaints, risks, no plan) at their most falls below the line —
    every poor client among them."""
    from sqlalchemy import select

    from accountdesk.models import Client
    from accountdesk.services.demo import generate_demo
    from accountdesk.services.health import (
        POOR,
        SURVEY_IMPACT,
        _last_surveys,
        _survey_codes,
        health_in,
        poor_candidates_in,
    )
    from accountdesk.services.scheduling import id_list, plan_flags_in

    generate_demo(ctx, clients=60, seed=7, reference=ctx.today())
    clock.advance(days=days)
    with ctx.read() as s:
        ids = list(s.scalars(select(Client.id).where(Client.deleted_at.is_(None))))
        flags = plan_flags_in(s, ids, ctx.today())
        healths = health_in(s, ids, ctx.now(), ctx.today(), statuses=flags)
        last = _last_surveys(s, id_list(ids))
        tight = poor_candidates_in(s, ids, flags, ctx.today())
    surveyed = 0
    for cid in ids:
        shown = {r.code: r.impact for r in healths[cid].reasons if r.code in SURVEY_IMPACT}
        counted = (
            {code: SURVEY_IMPACT[code] for code in _survey_codes(*last[cid], ctx.today())}
            if cid in last
            else {}
        )
        assert shown == counted, cid
        surveyed += bool(shown)
        if healths[cid].level == POOR:
            assert cid in tight
    assert surveyed and {c for c, h in healths.items() if h.level == POOR} <= tight < set(ids)


def test_a_surveys_overall_score_is_one_rule():
    """The overall score (health, the dashboard's trend, the reports, the survey records):
    score_overall when given, else the mean of the scores given."""
    from accountdesk.domain.surveys import overall_score
    from accountdesk.services.surveys import average_score

    assert overall_score([4, 2, None, None, 5]) == 5.0
    assert overall_score([4, 3, None, None, None]) == 3.5
    assert overall_score([None] * 5) is None
    assert average_score({"score_service_quality": 4, "score_responsiveness": 3}) == 3.5
