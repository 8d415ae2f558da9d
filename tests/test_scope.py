"""One scope rule on every screen and command (services/scope.py).

A field engineer sees the clients they own, back up or serve (team), exactly as the server's scope
does (Writer.scope_of_client); a client they have nothing to do with is invisible everywhere —
in the client list, search, agenda, calendar, feedback queue, dossier, portfolio, segments,
exports and the command line — and asking for it by name is "not found", as for one that does
not exist.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from accountdesk.cli import main
from accountdesk.errors import NotFoundError
from accountdesk.io import exports
from accountdesk.services import (
    clients,
    detail,
    dossier,
    records,
    search,
    segmentation,
    users,
    visits,
    workspace,
)
from accountdesk.services import feedback as fb
from accountdesk.services.agenda import agenda
from accountdesk.services.scope import in_scope, visible_client_ids

NAMES = {
    "team": "团队服务有限公司",
    "owned": "自有客户有限公司",
    "backup": "备份客户有限公司",
    "other": "无关客户有限公司",
}


@pytest.fixture
def book(ctx):
    """Four clients; the field engineer serves one, owns one, backs up one, and has nothing to
    do with the fourth. Each has a complaint due tomorrow and a visit planned tomorrow."""
    field = users.create_user(ctx, "li", "李工", "field")
    ids = {key: clients.create_client(ctx, name=name, province="广东省") for key, name in NAMES.items()}
    records.create_record(ctx, "client_team_member", {"user_id": field}, client_id=ids["team"])
    clients.update_client(ctx, ids["owned"], owner_id=field)  # a supervisor's doing (the acting admin)
    clients.update_client(ctx, ids["backup"], backup_owner_id=field)
    tomorrow = ctx.now() + dt.timedelta(days=1)
    for key, cid in ids.items():
        fb.record_feedback(ctx, cid, "complaint", f"投诉 {key}", severity="critical")
        visits.plan_visit(ctx, cid, "return_visit", tomorrow)
    admin = ctx.actor.id
    ctx.set_actor(field)
    return {"field": field, "admin": admin, **ids}


def _visible(book) -> set[str]:
    return {book["team"], book["owned"], book["backup"]}


def test_the_rule_owns_backs_up_or_serves(ctx, book):
    with ctx.read() as session:
        assert visible_client_ids(ctx, session) == _visible(book)
        assert not in_scope(ctx, session, book["other"])


def test_every_screen_shows_the_same_clients(ctx, book):
    visible = _visible(book)
    # client list and search
    assert {r.id for r in search.list_clients_page(ctx, limit=None).rows} == visible
    assert search.count_clients(ctx) == 3
    assert {h.client_id for h in search.search(ctx, "有限公司", limit=50)} == visible
    # agenda (Today): complaints and visits of the three, none of the fourth
    items = agenda(ctx, days=7)
    assert {i.client_id for i in items} == visible
    # calendar and its new-visit choices
    now = ctx.now()
    assert {v.client_id for v in workspace.visits_between(ctx, now, now + dt.timedelta(days=3))} == visible
    assert {cid for cid, _name in workspace.list_client_choices(ctx)} == visible
    # the feedback queue
    assert {q.client_id for q in workspace.feedback_queue(ctx)} == visible
    # reports
    assert dossier.load_portfolio(ctx).clients == 3
    assert sum(s.clients for s in segmentation.segments(ctx, "province")) == 3
    # exports
    _headers, rows = exports.client_table(ctx)
    assert {r[0] for r in rows} == {NAMES[k] for k in ("team", "owned", "backup")}


def test_a_client_out_of_scope_is_not_found_as_one_that_does_not_exist(ctx, book):
    for ref in (book["other"], NAMES["other"]):
        with pytest.raises(NotFoundError) as err:
            clients.resolve_client(ctx, ref)
        assert ref in err.value.message
    with pytest.raises(NotFoundError):
        detail.client_detail(ctx, book["other"])
    with pytest.raises(NotFoundError):
        dossier.load_dossiers(ctx, [book["other"]])
    assert clients.resolve_client(ctx, NAMES["owned"]) == book["owned"]
    assert detail.client_detail(ctx, book["backup"])["name"] == NAMES["backup"]


def test_the_command_line_applies_the_same_rule(ctx, book, data_dir, capsys, tmp_path):
    ctx.close()

    def run(*args):
        capsys.readouterr()
        code = main(["--data-dir", str(data_dir), "--lang", "en", *args])
        return code, capsys.readouterr()

    code, out = run("clients", "list", "--json")
    assert code == 0
    listed = json.loads(out.out)
    rows = listed["clients"] if isinstance(listed, dict) else listed
    assert {r["id"] for r in rows} == _visible(book)
    code, out = run("clients", "show", NAMES["other"], "--json")
    assert code == 2 and "Traceback" not in out.err  # as for a client that does not exist
    code, out = run("agenda", "--json", "--days", "7")
    assert code == 0
    agenda_out = json.loads(out.out)
    items = agenda_out["items"] if isinstance(agenda_out, dict) else agenda_out
    assert {i["client_id"] for i in items} == _visible(book)
    target = tmp_path / "clients.json"
    code, out = run("export", "clients", "--out", str(target), "--format", "json", "--json")
    assert code == 0, out.err
    exported = json.loads(target.read_text(encoding="utf-8"))
    assert {r["id"] for r in exported} == _visible(book)


def test_supervisors_see_every_client(ctx, book):
    ctx.set_actor(book["admin"])
    supervisor = users.create_user(ctx, "zhang", "张主管", "supervisor")
    ctx.set_actor(supervisor)
    everyone = {book[k] for k in NAMES}
    assert {r.id for r in search.list_clients_page(ctx, limit=None).rows} == everyone
    assert {i.client_id for i in agenda(ctx, days=7)} == everyone
    assert {q.client_id for q in workspace.feedback_queue(ctx)} == everyone
    assert clients.resolve_client(ctx, NAMES["other"]) == book["other"]
