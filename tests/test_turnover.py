"""The resignation service (services.turnover) on one profile: what a leaver holds in every role,
candidates with workload and region, a suggested distribution, the distribution itself (owner,
backup, service team, loose open work, recusal), and all-or-nothing on a refusal."""

from __future__ import annotations

import pytest

from accountdesk.errors import PermissionDenied, ValidationError
from accountdesk.services import records, turnover
from accountdesk.services.handover import handovers_of


@pytest.fixture
def world(ctx):
    ids = {"me": ctx.actor.id}
    for key, login, name, role in (
        ("leaver", "liuhaitao", "刘海涛", "manager"),
        ("wang", "wanglei", "王磊", "manager"),
        ("zhang", "zhangmin", "张敏", "manager"),
        ("field", "sunli", "孙立", "field"),
        ("gone", "zhaoyi", "赵一", "manager"),
    ):
        ids[key] = records.create_record(ctx, "user", {"username": login, "display_name": name, "role": role})

    def client(name, province, owner, backup=None):
        return records.create_record(
            ctx, "client", {"name": name, "province": province, "owner_id": owner, "backup_owner_id": backup}
        )

    ids["js1"] = client("江苏一号", "江苏省", ids["leaver"])
    ids["zj1"] = client("浙江一号", "浙江省", ids["leaver"], ids["wang"])
    ids["zj_w"] = client("浙江王磊", "浙江省", ids["wang"])  # 王磊 works in Zhejiang
    ids["js_z"] = client("江苏张敏", "江苏省", ids["zhang"])  # 张敏 in Jiangsu
    ids["backed"] = client("备份客户", "上海市", ids["zhang"], ids["leaver"])
    ids["served"] = client("服务客户", "上海市", ids["wang"])
    records.create_record(
        ctx, "client_team_member", {"user_id": ids["leaver"], "role": "驻场"}, client_id=ids["served"]
    )
    # a complaint 刘海涛 handles at a client he holds no role in, and one the successor is involved in
    ids["loose"] = records.create_record(
        ctx,
        "feedback",
        {
            "kind": "complaint",
            "received_at": "2026-03-01T08:00:00+00:00",
            "subject": "别处的投诉",
            "handler_id": ids["leaver"],
        },
        client_id=ids["js_z"],
    )
    ids["recused"] = records.create_record(
        ctx,
        "feedback",
        {
            "kind": "complaint",
            "received_at": "2026-03-01T08:00:00+00:00",
            "subject": "王磊涉及的投诉",
            "handler_id": ids["leaver"],
            "involved_user_ids": [ids["wang"]],
        },
        client_id=ids["zj1"],
    )
    records.update_record(ctx, "user", ids["gone"], {"active": False})
    return ids


def test_holdings_in_every_role(ctx, world):
    held = turnover.holdings(ctx, "刘海涛")
    assert [c.name for c in held.of_role("owner")] == ["江苏一号", "浙江一号"]
    assert [c.name for c in held.of_role("backup")] == ["备份客户"] and [
        c.name for c in held.of_role("team")
    ] == ["服务客户"]
    assert {i.title for i in held.complaints} == {"别处的投诉", "王磊涉及的投诉"}


def test_candidates_and_suggestions_by_workload_and_region(ctx, world):
    found = {c.login: c for c in turnover.candidates(ctx, exclude=[world["leaver"]])}
    assert "zhaoyi" not in found and "sunli" not in found  # deactivated; field staff own no clients
    assert found["wanglei"].clients_owned == 2 and found["wanglei"].regions == ("浙江省", "上海市")
    held = turnover.holdings(ctx, "liuhaitao").clients
    by_region = turnover.suggest(ctx, held, ["wanglei", "zhangmin"], rule=turnover.BY_REGION)
    assert by_region[world["js1"]] == world["zhang"] and by_region[world["zj1"]] == world["wang"]
    by_load = turnover.suggest(ctx, held, ["wanglei", "zhangmin"])
    assert {by_load[world["js1"]], by_load[world["zj1"]]} == {world["wang"], world["zhang"]}  # one each
    with pytest.raises(ValidationError) as exc:
        turnover.suggest(ctx, held, ["赵一"])
    assert exc.value.field == "to" and "deactivated" in exc.value.message


def test_resign_distributes_every_role_and_records_each_move(ctx, world):
    plan = {
        world["js1"]: "张敏",
        world["zj1"]: "wanglei",
        world["backed"]: "wanglei",
        world["served"]: "zhangmin",
    }
    done = turnover.resign(ctx, "刘海涛", plan, reason="离职")
    assert {h["client_id"]: h["to_user_id"] for h in done.handovers} == {
        world["js1"]: world["zhang"],
        world["zj1"]: world["wang"],
    }
    zj1 = records.get_record(ctx, "client", world["zj1"])
    assert zj1["owner_id"] == world["wang"] and zj1["backup_owner_id"] is None  # the backup became the owner
    # 王磊 is involved in that complaint: it goes to nobody else uninvolved here, so it is reported, not given to him
    recused = records.get_record(ctx, "feedback", world["recused"])
    assert recused["handler_id"] == world["leaver"] and [m["row_id"] for m in done.unmoved] == [
        world["recused"]
    ]
    assert records.get_record(ctx, "client", world["backed"])["backup_owner_id"] == world["wang"]
    team = [m for m in records.list_records(ctx, "client_team_member", world["served"])]
    assert [m["user_id"] for m in team] == [world["zhang"]] and team[0]["role"] == "驻场"
    assert (
        records.get_record(ctx, "feedback", world["loose"])["handler_id"] == world["zhang"]
    )  # to that client's owner
    [h] = handovers_of(ctx, world["js1"])
    assert h["reason"] == "离职" and h["from_user_id"] == world["leaver"]
    assert turnover.holdings(ctx, "liuhaitao").clients == ()
    assert not done.deactivated  # a profile with no server may deactivate locally when asked
    assert turnover.resign(ctx, "liuhaitao", {}, to="wanglei", deactivate=True).deactivated
    assert records.get_record(ctx, "user", world["leaver"])["active"] is False


def test_a_refusal_writes_nothing(ctx, world):
    before = turnover.holdings(ctx, "liuhaitao")
    with pytest.raises(ValidationError) as exc:  # one client without a successor
        turnover.resign(ctx, "liuhaitao", {world["js1"]: "wanglei"})
    assert exc.value.field == "to"
    for bad in ("赵一", "孙立", "刘海涛", "nobody"):
        with pytest.raises(ValidationError):
            turnover.resign(ctx, "liuhaitao", {}, to=bad)
    assert turnover.holdings(ctx, "liuhaitao") == before
    assert handovers_of(ctx, world["js1"]) == []


def test_only_supervisors_run_a_resignation(ctx, world):
    ctx.set_actor(world["wang"])
    with pytest.raises(PermissionDenied):
        turnover.resign(ctx, "liuhaitao", {}, to="zhangmin")
    with pytest.raises(PermissionDenied):
        turnover.holdings(ctx, "liuhaitao")
