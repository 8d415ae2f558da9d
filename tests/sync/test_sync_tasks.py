"""Tasks sync like any record: a manager's next step reaches the supervisor's laptop and shows on
its Today; the server validates a pushed task against the schema every laptop enforces."""

from __future__ import annotations

import datetime as dt
import uuid

from sync_helpers import get
from test_server_attacks import Api

from accountdesk.models import Survey, Task
from accountdesk.services import clients, tasks, triage, visits


def test_a_next_step_reaches_the_supervisors_today(server, make_device):
    server.add_user("boss", "supervisor")
    server.add_user("alice", "manager")
    a, boss = make_device("alice"), make_device("boss")
    a.sync()
    cid = clients.create_client(a.ctx, name="护航科技")
    now = a.ctx.now()
    vid = visits.record_visit(
        a.ctx,
        cid,
        "satisfaction_survey",
        now - dt.timedelta(days=1),
        "问卷",
        next_steps="寄送报价单",
        survey={"score_overall": 4, "comments": "满意"},
    )
    [tid] = tasks.tasks_from_visit(a.ctx, vid, [{"title": "寄送报价单", "due_on": a.ctx.today()}])
    report = a.sync()
    assert report.rejected == 0
    boss.sync()
    task = get(boss, Task, tid)
    assert task.title == "寄送报价单" and task.visit_id == vid and task.status == "open"
    with boss.ctx.read() as s:
        survey = s.query(Survey).filter(Survey.visit_id == vid).one()
        assert survey.score_overall == 4
    items = {i.row_id: i for i in triage.triage(boss.ctx, scope="all").items}
    assert items[tid].kind == "task" and items[tid].due == boss.ctx.today()
    # the supervisor marks it done; alice's Today loses it
    tasks.complete_task(boss.ctx, tid)
    boss.sync()
    a.sync()
    assert get(a, Task, tid).status == "done"
    assert tid not in {i.row_id for i in triage.triage(a.ctx, scope="mine").items}


def test_the_server_refuses_a_task_no_laptop_could_store(server, make_device):
    server.add_user("alice", "manager")
    a = make_device("alice")
    a.sync()
    cid = clients.create_client(a.ctx, name="护航科技")
    a.sync()
    api = Api(server, "alice")
    bad = [
        {"title": "x", "status": "maybe"},  # not a task status
        {"title": ""},  # required
        {"title": "x" * 201},  # too long
        {"title": "x", "due_on": "2026-02-30"},  # not a date
    ]
    results = api.push(*[api.item("task", str(uuid.uuid4()), "create", f, cid) for f in bad])
    assert [r["status"] for r in results] == ["rejected"] * len(bad), results
    [ok] = api.push(api.item("task", str(uuid.uuid4()), "create", {"title": "回电", "status": "open"}, cid))
    assert ok["status"] == "applied", ok
