"""Duplicate scan of the store, merge of two clients, and undo of the merge."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from accountdesk.domain.validation import uscc_check_char
from accountdesk.errors import NotFoundError, PermissionDenied, ValidationError
from accountdesk.models import Client, ClientTeamMember, Contact, OutboxEntry, ServiceNote, Visit
from accountdesk.models.enums import Role
from accountdesk.services import clients, records
from accountdesk.services.duplicates import find_duplicates, normalise_company_name
from accountdesk.services.merge import MARKER, list_merges, merge_clients, undo_merge


def uscc(n: int) -> str:
    body = f"91440300{n:09d}"
    return body + uscc_check_char(body)


@pytest.mark.parametrize(
    "a,b",
    [
        ("华为技术有限公司", "华为技术"),
        ("华为技术股份有限公司", "华为 技术 有限责任公司"),
        ("ＡＢＣ　Trading Co., Ltd.", "abc trading co.,ltd"),
        ("Acme Company Limited", "ACME"),
        ("中和集团", "中和集团有限公司"),
    ],
)
def test_company_names_that_are_the_same_normalise_equal(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


def test_different_companies_stay_different():
    assert normalise_company_name("华为技术有限公司") != normalise_company_name("华为终端有限公司")
    assert normalise_company_name("有限公司") != ""  # never normalised to nothing


def test_scan_lists_duplicate_clients_and_contacts(ctx):
    a = clients.create_client(ctx, name="深圳中和检测技术有限公司", uscc=uscc(1))
    b = clients.create_client(ctx, name="深圳中和检测技术 股份有限公司")
    c = clients.create_client(ctx, name="无关公司")
    records.create_record(ctx, "contact", {"name": "张伟", "mobile": "13800138000"}, client_id=a)
    records.create_record(ctx, "contact", {"name": "张 伟"}, client_id=a)
    records.create_record(ctx, "contact", {"name": "Zhang", "mobile": "138 0013 8000"}, client_id=c)
    report = find_duplicates(ctx)
    assert [(g.reason, set(g.ids)) for g in report.clients] == [("name", {a, b})]
    kinds = {(g.reason, len(g.ids)) for g in report.contacts}
    assert kinds == {("name", 2), ("mobile", 2)}


def _setup(ctx):
    keep = clients.create_client(ctx, name="中和检测", city="深圳", tags=["检测"])
    dup = clients.create_client(
        ctx,
        name="中和检测有限公司",
        uscc=uscc(7),
        city="广州",
        address="天河路1号",
        tags=["校准"],
        annual_fees=500000,
    )
    boss = records.create_record(ctx, "contact", {"name": "李总"}, client_id=dup)
    staff = records.create_record(ctx, "contact", {"name": "王工", "reports_to_id": boss}, client_id=dup)
    visit = records.create_record(
        ctx,
        "visit",
        {
            "kind": "return_visit",
            "planned_start": dt.datetime(2026, 4, 1, 10, tzinfo=dt.UTC),
            "attendee_contact_ids": [boss, staff],
        },
        client_id=dup,
    )
    me = ctx.actor.id
    records.create_record(ctx, "client_team_member", {"user_id": me}, client_id=keep)
    records.create_record(ctx, "client_team_member", {"user_id": me}, client_id=dup)
    return keep, dup, boss, staff, visit


def snapshot(ctx, client_id):
    with ctx.read() as s:
        c = s.get(Client, client_id)
        contacts = s.scalars(
            select(Contact).where(Contact.client_id == client_id, Contact.deleted_at.is_(None))
        ).all()
        by_id = {p.id: p.name for p in contacts}
        return {
            "client": {k: getattr(c, k) for k in ("name", "uscc", "city", "address", "tags", "annual_fees")},
            "contacts": sorted((p.name, by_id.get(p.reports_to_id)) for p in contacts),
            "visits": sorted(
                tuple(sorted(by_id.get(i) for i in v.attendee_contact_ids))
                for v in s.scalars(
                    select(Visit).where(Visit.client_id == client_id, Visit.deleted_at.is_(None))
                )
            ),
            "team": s.scalars(
                select(ClientTeamMember.user_id).where(
                    ClientTeamMember.client_id == client_id, ClientTeamMember.deleted_at.is_(None)
                )
            ).all(),
        }


def test_merge_moves_every_row_keeps_differences_in_a_note_and_syncs(ctx, clock):
    keep, dup, boss, staff, visit = _setup(ctx)
    before_dup = snapshot(ctx, dup)
    with ctx.read() as s:
        seq = s.scalar(select(OutboxEntry.seq).order_by(OutboxEntry.seq.desc()).limit(1))
    merge_id = merge_clients(ctx, dup, keep)
    after = snapshot(ctx, keep)
    assert after["contacts"] == [("李总", None), ("王工", "李总")]  # reports-to follows the copies
    assert after["visits"] == [("李总", "王工")]
    assert len(after["team"]) == 1  # not twice
    # empty fields filled, differing kept in the note, tags united
    assert after["client"]["uscc"] == uscc(7) and after["client"]["address"] == "天河路1号"
    assert after["client"]["city"] == "深圳" and after["client"]["tags"] == ["检测", "校准"]
    with ctx.read() as s:
        assert s.get(Client, dup).deleted_at is not None
        assert s.get(Contact, boss).deleted_at is not None
        note = s.get(ServiceNote, merge_id)
        assert note.client_id == keep and "广州" in note.text and note.confidential
        ops = s.execute(select(OutboxEntry.entity, OutboxEntry.op).where(OutboxEntry.seq > seq)).all()
    assert ("client", "delete") in ops and ("contact", "create") in ops and ("contact", "delete") in ops
    assert ("service_note", "create") in ops
    assert find_duplicates(ctx).clients == []

    (listed,) = list_merges(ctx, keep)
    assert (listed["merge_id"], listed["source_name"], listed["moved"]) == (
        merge_id,
        "中和检测有限公司",
        3,
    )  # 2 contacts, 1 visit (the team member was there already)
    restored = undo_merge(ctx, merge_id)
    assert list_merges(ctx) == []
    assert snapshot(ctx, restored) == before_dup
    back = snapshot(ctx, keep)
    assert back["contacts"] == [] and back["client"]["uscc"] is None and back["client"]["address"] is None
    assert back["client"]["tags"] == ["检测"] and len(back["team"]) == 1
    with pytest.raises(NotFoundError):
        undo_merge(ctx, merge_id)


def test_undo_keeps_edits_made_after_the_merge(ctx):
    keep, dup, boss, staff, visit = _setup(ctx)
    merge_id = merge_clients(ctx, dup, keep)
    with ctx.read() as s:
        copy_id = s.scalar(select(Contact.id).where(Contact.client_id == keep, Contact.name == "王工"))
    records.update_record(ctx, "contact", copy_id, {"title": "工程师"})
    clients.update_client(ctx, keep, address="新地址")  # changed since: not reverted
    restored = undo_merge(ctx, merge_id)
    with ctx.read() as s:
        back = s.scalar(select(Contact).where(Contact.client_id == restored, Contact.name == "王工"))
        assert back.title == "工程师"
        assert s.get(Client, keep).address == "新地址"


def test_merge_refuses_bad_input_and_roles_that_may_not(ctx):
    keep, dup, *_ = _setup(ctx)
    with pytest.raises(ValidationError):
        merge_clients(ctx, keep, keep)
    with pytest.raises(NotFoundError):
        merge_clients(ctx, "nope", keep)
    with ctx.read() as s:
        note = s.scalar(select(ServiceNote.id).limit(1))
    assert note is None
    manager = records.create_record(
        ctx, "user", {"username": "m", "display_name": "M", "role": Role.MANAGER.value}
    )
    ctx.set_actor(manager)
    with pytest.raises(PermissionDenied):
        merge_clients(ctx, dup, keep)


def test_undo_reports_a_merge_record_edited_into_something_else_as_damaged(ctx):
    """A merge note whose record line was edited into other JSON (a list here) is refused as a
    damaged record, changing nothing, and left out of the list of merges (both failed with an
    AttributeError before, the list for every merge: found by mypy)."""
    keep, dup, *_ = _setup(ctx)
    merge_id = merge_clients(ctx, dup, keep)
    with ctx.read() as s:
        text = s.get(ServiceNote, merge_id).text
    edited = text[: text.rindex(MARKER) + len(MARKER)] + '["version", 1]'
    records.update_record(ctx, "service_note", merge_id, {"text": edited})
    with pytest.raises(ValidationError) as err:
        undo_merge(ctx, merge_id)
    assert "damaged" in err.value.message
    assert list_merges(ctx, keep) == []
    with ctx.read() as s:
        assert s.get(Client, dup).deleted_at is not None  # nothing undone
