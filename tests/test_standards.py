"""Service standards per tier (issue 16 point 1): a new client gets its tier's standard as visit
plans and shows on Today when they fall due; a tier change applies the new standard after the
person saw what would change, keeping plans set by hand; supervisors define the standards; the
served-to-standard figures per tier and manager."""

from __future__ import annotations

import datetime as dt

import pytest

from accountdesk.domain.standards import DEFAULT_STANDARDS
from accountdesk.errors import PermissionDenied, ValidationError
from accountdesk.services import clients, scheduling, standards, triage, users, visits


def _plans(ctx, cid):
    return {p["kind"]: p for p in visits.list_visit_plans(ctx, cid) if p["active"]}


@pytest.mark.parametrize("tier", ["strategic", "key", "standard"])
def test_a_new_client_gets_its_tiers_standard_and_shows_on_today_when_due(ctx, clock, tier):
    cid = clients.create_client(ctx, name=f"{tier} 护航科技", tier=tier, standard=True)
    plans = _plans(ctx, cid)
    assert {k: p["every_months"] for k, p in plans.items()} == DEFAULT_STANDARDS[tier]
    assert all(p["from_standard"] for p in plans.values())
    assert cid not in {i.client_id for i in triage.triage(ctx, scope="all").items}
    shortest = min(DEFAULT_STANDARDS[tier].values())
    clock.advance(days=31 * shortest + 1)
    due = [i for i in triage.triage(ctx, scope="all").items if i.client_id == cid]
    assert due, "the standard's first cadence is due and on Today"


def test_a_plain_create_makes_no_plans(ctx):
    cid = clients.create_client(ctx, name="护航科技", tier="key")
    assert _plans(ctx, cid) == {}


def test_a_tier_change_offers_the_new_standard_and_keeps_hand_set_plans(ctx):
    cid = clients.create_client(ctx, name="护航科技", tier="standard", standard=True)
    # the manager set the survey by hand to every 4 months
    survey = _plans(ctx, cid)["satisfaction_survey"]
    visits.update_visit_plan(ctx, survey["id"], every_months=4)
    assert _plans(ctx, cid)["satisfaction_survey"]["from_standard"] is False
    clients.update_client(ctx, cid, tier="key")
    # nothing changed yet: the change is offered
    assert set(_plans(ctx, cid)) == {"return_visit", "satisfaction_survey"}
    offer = {c.kind: c for c in standards.proposed_changes(ctx, cid)}
    assert offer["return_visit"].action == "change" and offer["return_visit"].old_months == 3
    assert offer["satisfaction_survey"].action == "keep" and offer["satisfaction_survey"].every_months == 4
    assert offer["executive_meeting"].action == "add" and offer["improvement_review"].action == "add"
    done = standards.apply_standard(ctx, cid)
    assert {c.action for c in done} == {"add", "change"}
    plans = _plans(ctx, cid)
    assert {k: p["every_months"] for k, p in plans.items()} == {
        "return_visit": 1,
        "executive_meeting": 3,
        "satisfaction_survey": 4,
        "improvement_review": 12,
    }
    # back to standard: the standard's extra cadences are retired, the hand-set one stays
    clients.update_client(ctx, cid, tier="standard")
    standards.apply_standard(ctx, cid)
    plans = _plans(ctx, cid)
    assert {k: p["every_months"] for k, p in plans.items()} == {"return_visit": 3, "satisfaction_survey": 4}
    # applying again changes nothing
    assert standards.apply_standard(ctx, cid) == []


def test_a_supervisor_defines_a_tiers_standard_a_manager_may_not(ctx):
    admin = ctx.actor.id
    boss = users.create_user(ctx, "zhang", "张主管", "supervisor")
    alice = users.create_user(ctx, "alice", "Alice", "manager")
    ctx.set_actor(boss)
    result = standards.set_standard(ctx, "standard", {"return_visit": 2, "improvement_review": 12})
    assert result["standard"] == {"return_visit": 2, "improvement_review": 12}
    assert result["key"] == DEFAULT_STANDARDS["key"]
    # an empty standard is a standard too (no cadence at all), not the default
    assert standards.set_standard(ctx, "strategic", {})["strategic"] == {}
    with pytest.raises(ValidationError):
        standards.set_standard(ctx, "key", {"custom": 3})
    with pytest.raises(ValidationError):
        standards.set_standard(ctx, "key", {"return_visit": 0})
    ctx.set_actor(alice)
    with pytest.raises(PermissionDenied):
        standards.set_standard(ctx, "standard", {"return_visit": 1})
    cid = clients.create_client(ctx, name="新客户", standard=True)
    assert {k: p["every_months"] for k, p in _plans(ctx, cid).items()} == {
        "return_visit": 2,
        "improvement_review": 12,
    }
    ctx.set_actor(admin)


def test_served_to_standard_per_tier_and_manager(ctx, clock):
    admin = ctx.actor.id
    alice = users.create_user(ctx, "alice", "Alice", "manager")
    ctx.set_actor(alice)
    served = clients.create_client(ctx, name="按标准服务", tier="key", standard=True)
    bare = clients.create_client(ctx, name="没有计划", tier="key")
    slack = clients.create_client(ctx, name="回访太少", tier="standard", standard=True)
    plan = _plans(ctx, slack)["return_visit"]
    visits.update_visit_plan(ctx, plan["id"], every_months=6)  # less often than the standard
    ctx.set_actor(admin)
    other = clients.create_client(ctx, name="主管自己的", tier="strategic", standard=True)
    figures = standards.served_figures(ctx)
    tiers = {f.key: (f.clients, f.served) for f in figures.by_tier}
    assert tiers == {"strategic": (1, 1), "key": (2, 1), "standard": (1, 0)}
    managers = {f.key: (f.clients, f.served) for f in figures.by_manager}
    assert managers == {alice: (3, 1), admin: (1, 1)}
    assert figures.not_served == {bare, slack}
    # a month on, the monthly return visits are overdue: nobody is served to standard
    clock.advance(days=40)
    figures = standards.served_figures(ctx, owner_id=alice)
    assert {f.key: f.served for f in figures.by_tier} == {"strategic": 0, "key": 0, "standard": 0}
    assert served in figures.not_served and other not in figures.not_served
    # a held return visit brings the client back to its standard
    visits.record_visit(ctx, served, "return_visit", ctx.now() - dt.timedelta(hours=2), "回访")
    ctx.set_actor(alice)
    assert served not in standards.served_figures(ctx).not_served
    assert {s.kind for s in scheduling.plan_statuses(ctx, served) if s.overdue} == set()


def test_clients_add_on_the_command_line_applies_the_standard(data_dir, capsys):
    import json

    from accountdesk.cli import main
    from accountdesk.services.context import open_profile

    def add(*extra):
        capsys.readouterr()
        assert main(["--data-dir", str(data_dir), "clients", "add", *extra, "--json"]) == 0
        return json.loads(capsys.readouterr().out)["id"]

    key = add("--name", "护航科技", "--tier", "key")
    bare = add("--name", "另一家", "--tier", "key", "--no-standard")
    ctx = open_profile(data_dir)
    try:
        assert {k: p["every_months"] for k, p in _plans(ctx, key).items()} == DEFAULT_STANDARDS["key"]
        assert _plans(ctx, bare) == {}
    finally:
        ctx.close()


def test_an_imported_client_of_each_tier_gets_its_standard_and_shows_on_today_when_due(ctx, clock, tmp_path):
    """The import (laptop) gives new clients their tier's standard as a client made by hand gets
    it (services.standards.new_client_plans): plans marked from_standard, owned by the client's
    account manager; the clients come up on Today as each first cadence falls due."""
    from accountdesk.io.importer import plan_import, run_import

    boss = users.create_user(ctx, "zhang", "张主管", "supervisor")
    ctx.set_actor(boss)
    standards.set_standard(ctx, "standard", {"return_visit": 2})  # the supervisor's own, not the default
    path = tmp_path / "客户.csv"
    path.write_bytes(
        "客户名称,客户等级,城市\r\n战略一号有限公司,战略客户,上海\r\n重点二号有限公司,key,北京\r\n"
        "普通三号有限公司,普通客户,深圳\r\n没写等级有限公司,,广州\r\n".encode("gb18030")
    )
    result = run_import(ctx, plan_import(ctx, path, "clients"))
    assert result.created == 4
    strategic, key, standard, blank = result.created_ids
    expected = {
        strategic: DEFAULT_STANDARDS["strategic"],
        key: DEFAULT_STANDARDS["key"],
        standard: {"return_visit": 2},
        blank: {"return_visit": 2},  # no tier in the file: a standard client
    }
    for cid, standard_ in expected.items():
        plans = _plans(ctx, cid)
        assert {k: p["every_months"] for k, p in plans.items()} == standard_
        assert all(p["from_standard"] and p["owner_id"] == boss for p in plans.values())
    on_today = lambda: {i.client_id for i in triage.triage(ctx, scope="all").items} & set(expected)  # noqa: E731
    assert on_today() == set()
    clock.advance(days=32)  # a month on: the monthly return visits of strategic and key clients
    assert on_today() == {strategic, key}
    clock.advance(days=31)  # two months on: the standard clients' return visits too
    assert on_today() == set(expected)


def test_every_demo_client_has_its_tiers_standard(ctx):
    from accountdesk.models import Client, VisitPlan
    from accountdesk.services.demo import generate_demo

    generate_demo(ctx, clients=30, seed=5, reference=ctx.today())
    with ctx.read() as s:
        tiers = dict(s.query(Client.id, Client.tier).all())
        plans: dict[str, dict[str, int]] = {}
        for p in s.query(VisitPlan).filter(VisitPlan.deleted_at.is_(None)):
            assert p.from_standard
            plans.setdefault(p.client_id, {})[p.kind] = p.every_months
    assert plans == {cid: DEFAULT_STANDARDS[tier] for cid, tier in tiers.items()}
