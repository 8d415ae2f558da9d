"""Feedback: deadlines from kind and severity, the paused clock, escalation and the workflow."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accountdesk.errors import ValidationError
from accountdesk.models import OutboxEntry
from accountdesk.services import clients, records, users
from accountdesk.services import feedback as fb

H = dt.timedelta(hours=1)


@pytest.fixture
def client_id(ctx) -> str:
    return clients.create_client(ctx, name="护航科技服务有限公司")


def get(ctx, fid):
    return records.get_record(ctx, "feedback", fid)


@pytest.mark.parametrize("kind", ["complaint", "appeal"])
@pytest.mark.parametrize(
    ("severity", "hours"), [("critical", 24), ("high", 48), ("medium", 120), ("low", 240), (None, 120)]
)
def test_complaints_and_appeals_get_their_deadline_from_the_severity(
    ctx, clock, client_id, kind, severity, hours
):
    fid = fb.record_feedback(ctx, client_id, kind, "报告出具延误", severity=severity)
    assert get(ctx, fid)["due_at"] == clock.now() + hours * H


@pytest.mark.parametrize("kind", ["praise", "suggestion", "inquiry"])
def test_other_kinds_have_no_deadline_unless_given(ctx, clock, client_id, kind):
    assert get(ctx, fb.record_feedback(ctx, client_id, kind, "很好", severity="critical"))["due_at"] is None
    due = clock.now() + 72 * H
    assert get(ctx, fb.record_feedback(ctx, client_id, kind, "很好", due_at=due))["due_at"] == due


def test_the_deadline_is_rederived_when_severity_changes_unless_set_by_hand(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "报告错误", severity="low")
    fb.update_feedback(ctx, fid, severity="critical")
    assert get(ctx, fid)["due_at"] == clock.now() + 24 * H
    manual = clock.now() + 7 * 24 * H
    other = fb.record_feedback(ctx, client_id, "complaint", "报告错误", severity="low", due_at=manual)
    fb.update_feedback(ctx, other, severity="critical")
    assert get(ctx, other)["due_at"] == manual
    with pytest.raises(ValidationError) as info:
        fb.update_feedback(ctx, other, due_at=clock.now() - H)
    assert info.value.field == "due_at"


def test_paused_time_extends_the_effective_deadline(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "样品丢失", severity="high")
    due = clock.now() + 48 * H
    clock.advance(hours=10)
    fb.pause_feedback(ctx, fid)
    with pytest.raises(ValidationError) as info:
        fb.pause_feedback(ctx, fid)
    assert info.value.field == "paused_since"
    clock.advance(hours=30)
    # while paused, the effective deadline moves with the clock
    assert fb.effective_due(get(ctx, fid), clock.now()) == due + 30 * H
    fb.resume_feedback(ctx, fid)
    row = get(ctx, fid)
    assert row["paused_since"] is None and row["paused_seconds"] == 30 * 3600
    clock.advance(hours=5)
    assert fb.effective_due(row, clock.now()) == due + 30 * H
    assert row["due_at"] == due  # the stored deadline itself is unchanged
    with pytest.raises(ValidationError) as info:
        fb.resume_feedback(ctx, fid)
    assert info.value.field == "paused_since"


@pytest.mark.parametrize(
    ("severity", "remaining_hours", "level"),
    [
        ("high", 30, 0),
        ("high", 24, 1),
        ("high", 9, 1),
        ("high", 8, 2),
        ("high", 0.01, 2),
        ("high", 0, 3),
        ("high", -5, 3),
        ("critical", 13, 0),
        ("critical", 12, 1),
        ("critical", 4, 2),
        ("low", 72, 1),
        ("low", 24, 2),
        ("medium", 48, 1),
        ("medium", 49, 0),
    ],
)
def test_escalation_level_is_tiered_by_severity(severity, remaining_hours, level):
    now = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    assert fb.escalation_level(now, now + remaining_hours * H, severity) == level


def test_escalation_level_counts_pauses():
    now = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
    due = now - 2 * H  # past by wall time ...
    assert fb.escalation_level(now, due, "high") == 3
    # ... but paused for 50 hours in total: 48 hours remain
    assert fb.escalation_level(now, due, "high", paused_seconds=50 * 3600) == 0
    # a pause running since 30 hours before the deadline freezes the remaining 30 hours
    assert fb.escalation_level(now, due, "high", paused_since=due - 30 * H) == 0
    assert fb.escalation_level(now, due, "high", paused_since=due - 20 * H) == 1
    assert fb.escalation_level(now, None, "critical") == 0


def test_escalate_due_feedback_records_synced_changes(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "现场服务迟到", severity="high")
    praise = fb.record_feedback(ctx, client_id, "praise", "服务很好")
    clock.advance(hours=20)
    assert fb.escalate_due_feedback(ctx) == []
    clock.advance(hours=5)  # 23 hours left
    done = fb.escalate_due_feedback(ctx)
    assert [(e.feedback_id, e.old_level, e.new_level) for e in done] == [(fid, 0, 1)]
    with ctx.read() as s:
        entry = s.scalars(
            select(OutboxEntry).where(OutboxEntry.row_id == fid).order_by(OutboxEntry.seq.desc())
        ).first()
        assert entry.op == "update"
        # escalated_at is when level 1 began (24 hours before the deadline), as the server records it
        assert entry.fields == {"escalation_level": 1, "escalated_at": "2026-03-17T09:00:00Z"}
        assert entry.old_values["escalation_level"] == 0
    assert fb.escalate_due_feedback(ctx) == []  # nothing new at the same moment
    clock.advance(hours=24)
    assert [e.new_level for e in fb.escalate_due_feedback(ctx)] == [3]
    assert get(ctx, fid)["escalation_level"] == 3
    assert get(ctx, praise)["escalation_level"] == 0


def test_paused_and_answered_feedback_does_not_escalate(ctx, clock, client_id):
    paused = fb.record_feedback(ctx, client_id, "complaint", "等待客户补充资料", severity="critical")
    answered = fb.record_feedback(ctx, client_id, "complaint", "已答复", severity="critical")
    fb.answer_feedback(ctx, answered, "已重新出具报告并致歉。")
    fb.pause_feedback(ctx, paused)
    clock.advance(hours=100)
    assert fb.escalate_due_feedback(ctx) == []
    fb.resume_feedback(ctx, paused)
    clock.advance(hours=13)  # 11 of 24 hours left
    assert [(e.feedback_id, e.new_level) for e in fb.escalate_due_feedback(ctx)] == [(paused, 1)]


def test_answering_needs_an_answer_and_stamps_the_time(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "报告错误", severity="medium")
    with pytest.raises(ValidationError) as info:
        fb.set_feedback_status(ctx, fid, "answered")
    assert info.value.field == "answer"
    fb.set_feedback_status(ctx, fid, "investigating")
    clock.advance(hours=3)
    fb.answer_feedback(ctx, fid, "已更正报告。")
    row = get(ctx, fid)
    assert row["status"] == "answered" and row["answered_at"] == clock.now()
    with pytest.raises(ValidationError) as info:
        fb.update_feedback(ctx, fid, answer="  ")
    assert info.value.field == "answer"


def test_moving_back_needs_a_reason_and_closing_stamps_the_time(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "报告错误")
    fb.set_feedback_status(ctx, fid, "resolved", resolution="已复核样品")
    with pytest.raises(ValidationError) as info:
        fb.set_feedback_status(ctx, fid, "investigating")
    assert info.value.field == "status"
    with pytest.raises(ValidationError) as info:
        fb.close_feedback(ctx, fid)
    assert info.value.field == "answer"  # a complaint is closed only once the client has an answer
    fb.answer_feedback(ctx, fid, "已答复客户")
    clock.advance(hours=1)
    fb.close_feedback(ctx, fid)
    assert get(ctx, fid)["closed_at"] == clock.now()
    answered_at = get(ctx, fid)["answered_at"]
    clock.advance(hours=1)
    fb.reopen_feedback(ctx, fid, "误关闭", status="answered")  # one step back keeps the answer time
    assert get(ctx, fid)["answered_at"] == answered_at and get(ctx, fid)["closed_at"] is None
    fb.close_feedback(ctx, fid)
    fb.reopen_feedback(ctx, fid, "客户对答复不满意")
    row = get(ctx, fid)
    assert row["status"] == "investigating" and row["closed_at"] is None
    assert row["resolution"].startswith("已复核样品\n") and "客户对答复不满意" in row["resolution"]
    with pytest.raises(ValidationError):
        fb.reopen_feedback(ctx, fid, "  ")


def test_praise_may_skip_steps_and_close_without_an_answer(ctx, client_id):
    fid = fb.record_feedback(ctx, client_id, "praise", "工程师很专业")
    fb.close_feedback(ctx, fid)
    assert get(ctx, fid)["status"] == "closed"


def test_answering_ends_a_running_pause(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "appeal", "对结果有异议", severity="high")
    fb.pause_feedback(ctx, fid)
    clock.advance(hours=6)
    fb.answer_feedback(ctx, fid, "维持原结果，并说明依据。")
    row = get(ctx, fid)
    assert row["paused_since"] is None and row["paused_seconds"] == 6 * 3600


def test_involved_staff_are_given_by_user_name(ctx, client_id):
    zhang = users.create_user(ctx, "zhang", "张经理", "manager")
    fid = fb.record_feedback(ctx, client_id, "complaint", "态度问题", involved=["zhang"])
    assert get(ctx, fid)["involved_user_ids"] == [zhang]
    with pytest.raises(ValidationError) as info:
        fb.record_feedback(ctx, client_id, "complaint", "态度问题", involved=["nobody"])
    assert info.value.field == "involved_user_ids"


def test_list_feedback_carries_the_effective_deadline(ctx, clock, client_id):
    fid = fb.record_feedback(ctx, client_id, "complaint", "报告错误", severity="critical")
    fb.pause_feedback(ctx, fid)
    clock.advance(hours=2)
    [row] = fb.list_feedback(ctx, client_id)
    assert row["effective_due"] == row["due_at"] + 2 * H
