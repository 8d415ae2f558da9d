"""Demo data (``accountdesk demo``): deterministic, valid, consistent, with an outbox entry per row."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter

import pytest
from fakeclock import FakeClock
from sqlalchemy import func, select

from accountdesk.cli import main
from accountdesk.domain.schema import SCHEMAS, parse_value
from accountdesk.domain.validation import validate_email_address, validate_phone, validate_uscc
from accountdesk.errors import ValidationError
from accountdesk.models import (
    SYNCABLE,
    Client,
    Contact,
    Equipment,
    Feedback,
    OutboxEntry,
    OwnershipChange,
    User,
    Visit,
    model_for,
)
from accountdesk.models.enums import FeedbackKind, FeedbackStatus, Role
from accountdesk.services import clients as clients_service
from accountdesk.services.context import open_profile
from accountdesk.services.demo import DemoProfileNotEmpty, generate_demo
from accountdesk.services.feedback import effective_due
from accountdesk.sync.codec import encode_value

REFERENCE = dt.date(2026, 3, 16)
START = dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC)
N_CLIENTS = 30


def _open(path):
    clock = FakeClock(START)
    return open_profile(path, now=clock.now, wall_ms=clock.wall_ms)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo profile of 30 clients shared by the read-only checks of this module."""
    ctx = _open(tmp_path_factory.mktemp("demo"))
    summary = generate_demo(ctx, clients=N_CLIENTS, seed=1, reference=REFERENCE)
    yield ctx, summary
    ctx.close()


def _rows(ctx, model) -> list:
    """All rows of a model, detached with their values loaded."""
    with ctx.read() as session:
        rows = list(session.scalars(select(model)))
        session.expunge_all()
    return rows


def _dump(ctx) -> dict[str, list[tuple]]:
    """Every synced row and outbox entry, with the device part of clock values taken off."""

    def strip(hlc: str) -> str:
        return hlc.rsplit("-", 1)[0]

    out: dict[str, list[tuple]] = {}
    with ctx.store.engine.connect() as conn:
        for model in SYNCABLE:
            cols = [c.key for c in model.__table__.columns]
            rows = conn.exec_driver_sql(
                f"SELECT {', '.join(cols)} FROM {model.__tablename__} ORDER BY id"
            ).all()
            i = cols.index("updated_at")
            out[model.__tablename__] = [
                tuple(strip(v) if k == i else v for k, v in enumerate(r)) for r in rows
            ]
        entries = conn.exec_driver_sql(
            "SELECT entity, row_id, client_id, op, fields, old_values, hlc, user_id, created_at, status "
            "FROM outbox ORDER BY seq"
        ).all()
        out["outbox"] = [(*e[:6], strip(e[6]), *e[7:]) for e in entries]
    return out


def test_same_seed_and_reference_date_give_identical_rows_on_two_devices(demo, tmp_path):
    ctx, _summary = demo
    other = _open(tmp_path / "other")
    try:
        assert other.device_id != ctx.device_id  # two devices: only clock values may differ
        generate_demo(other, clients=N_CLIENTS, seed=1, reference=REFERENCE)
        first, second = _dump(ctx), _dump(other)
        assert sum(len(v) for v in first.values()) > 1000
        for table in first:
            assert first[table] == second[table], table
    finally:
        other.close()


def test_a_different_seed_gives_different_data(demo, tmp_path):
    ctx, _summary = demo
    other = _open(tmp_path / "other")
    try:
        generate_demo(other, clients=10, seed=2, reference=REFERENCE)
        with ctx.read() as s1, other.read() as s2:
            names1 = set(s1.scalars(select(Client.name)))
            names2 = set(s2.scalars(select(Client.name)))
            ids1 = set(s1.scalars(select(Client.id)))
            ids2 = set(s2.scalars(select(Client.id)))
        assert len(names2) == 10
        assert len(names2 - names1) >= 8
        assert not ids1 & ids2
    finally:
        other.close()


def test_summary_counts_every_row_and_the_outbox_holds_one_create_entry_per_row(demo):
    ctx, summary = demo
    with ctx.read() as session:
        table_counts = {m.__entity__: session.scalar(select(func.count()).select_from(m)) for m in SYNCABLE}
        entries = session.execute(select(OutboxEntry.entity, OutboxEntry.row_id, OutboxEntry.op)).all()
    assert summary.clients == N_CLIENTS
    assert {k: v for k, v in table_counts.items() if v} == summary.counts
    assert summary.rows == sum(table_counts.values()) == summary.outbox_entries == len(entries)
    assert {op for _e, _r, op in entries} == {"create"}
    assert len({row_id for _e, row_id, _o in entries}) == len(entries)
    for entity in (
        "client",
        "contact",
        "visit",
        "feedback",
        "survey",
        "equipment",
        "service_delivery",
        "improvement_item",
        "risk_flag",
        "opportunity",
        "interaction",
        "ownership_change",
        "service_commitment",
        "client_service",
        "visit_plan",
        "user",
        "service_offering",
    ):
        assert summary.counts.get(entity, 0) > 0, entity


def test_each_outbox_entry_carries_the_rows_fields_as_the_codec_encodes_them(demo):
    ctx, summary = demo
    with ctx.read() as session:
        entries = {e.row_id: e for e in session.scalars(select(OutboxEntry))}
        for model in SYNCABLE:
            for row in session.scalars(select(model)):
                entry = entries[row.id]
                assert entry.entity == model.__entity__
                assert entry.client_id == row.client_id
                assert entry.hlc == row.updated_at
                assert entry.user_id == summary.current_user_id == row.created_by == row.updated_by
                expected = {
                    c.key: encode_value(getattr(row, c.key))
                    for c in model.__table__.columns
                    if c.key not in ("id", "server_seq", "updated_at", "updated_by", "deleted_at")
                }
                assert entry.fields == expected, (model.__entity__, row.id)
        hlcs = [e.hlc for e in sorted(entries.values(), key=lambda e: e.seq)]
    assert hlcs == sorted(hlcs) and len(set(hlcs)) == len(hlcs)
    # the device clock continues after the demo's last clock value
    assert ctx.clock.now().encode() > hlcs[-1]


def test_rows_are_stored_exactly_as_the_services_store_them(ctx):
    generate_demo(ctx, clients=2, seed=3, reference=REFERENCE)
    new_id = clients_service.create_client(ctx, name="格式对照有限公司", relationship_since="2020-01-02")
    with ctx.store.engine.connect() as conn:
        demo_row = conn.exec_driver_sql(
            "SELECT created_at, relationship_since, tags, typeof(employees) FROM clients WHERE id != ? LIMIT 1",
            (new_id,),
        ).one()
        service_row = conn.exec_driver_sql(
            "SELECT created_at, relationship_since, tags, typeof(employees) FROM clients WHERE id = ?",
            (new_id,),
        ).one()
    shape = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$")
    assert shape.match(demo_row[0]) and shape.match(service_row[0])
    assert re.match(r"^\d{4}-\d\d-\d\d$", demo_row[1]) and re.match(r"^\d{4}-\d\d-\d\d$", service_row[1])
    assert json.loads(demo_row[2]) is not None and service_row[2] == "[]"
    assert demo_row[3] == "integer"


def test_every_value_passes_the_schema_and_every_reference_is_a_live_row_of_the_same_client(demo):
    ctx, _summary = demo
    checked = Counter()
    with ctx.read() as session:
        users = {u.id: u for u in session.scalars(select(User))}
        for entity, schema in SCHEMAS.items():
            model = model_for(entity)
            for row in session.scalars(select(model)):
                assert row.deleted_at is None
                if entity != "client" and not model.__global__:
                    owner = session.get(Client, row.client_id)
                    assert owner is not None and owner.deleted_at is None
                for name, spec in schema.items():
                    value = getattr(row, name)
                    if spec.kind in ("ref", "refs"):
                        target_model = model_for(spec.ref)
                        for rid in (value or []) if spec.kind == "refs" else ([value] if value else []):
                            target = session.get(target_model, rid)
                            assert target is not None and target.deleted_at is None, (entity, name)
                            if not target_model.__global__:
                                assert target.client_id == row.client_id, (entity, name)
                        checked["refs"] += 1
                        continue
                    if spec.kind in ("user", "users"):
                        for uid in (value or []) if spec.kind == "users" else ([value] if value else []):
                            assert uid in users, (entity, name)
                        continue
                    if spec.required:
                        assert value not in (None, ""), (entity, name)
                    if value is None:
                        continue
                    parsed = parse_value(spec, value)  # raises ValidationError when invalid
                    if spec.kind not in ("text", "bool"):
                        assert parsed == value, (entity, name, value)
                    checked[spec.kind] += 1
        # references outside the editable schema
        for change in session.scalars(select(OwnershipChange)):
            for uid in (change.from_user_id, change.to_user_id, change.by_user_id):
                assert uid is None or uid in users
            if change.handover_id:
                handover = session.get(model_for("handover"), change.handover_id)
                assert handover is not None and handover.client_id == change.client_id
        for row in session.scalars(select(model_for("risk_flag"))):
            assert row.raised_by in users
    assert checked["enum"] and checked["uscc"] and checked["mobile"] and checked["email"] and checked["refs"]


def test_credit_codes_phones_and_emails_pass_the_validators(demo):
    ctx, _summary = demo
    with ctx.read() as session:
        codes = list(session.scalars(select(Client.uscc)))
        staff_emails = list(session.scalars(select(User.email)))
    contacts = _rows(ctx, Contact)
    assert len(codes) == len(set(codes)) == N_CLIENTS
    for code in codes:
        assert validate_uscc("uscc", code) == code
    assert len(contacts) >= 3 * N_CLIENTS
    for contact in contacts:
        assert (
            contact.mobile.startswith("+86")
            and validate_phone("mobile", contact.mobile, mobile=True) == contact.mobile
        )
        if contact.phone:
            assert validate_phone("phone", contact.phone) == contact.phone
        assert validate_email_address("email", contact.email) == contact.email
    for email in staff_emails:
        assert validate_email_address("email", email) == email
    # a wrong check character is refused: the codes are not valid by accident
    bad = codes[0][:-1] + ("0" if codes[0][-1] != "0" else "1")
    with pytest.raises(ValidationError):
        validate_uscc("uscc", bad)


def test_clients_have_contacts_with_an_org_chart_and_some_who_left(demo):
    ctx, _summary = demo
    contacts = _rows(ctx, Contact)
    by_client: dict[str, list[Contact]] = {}
    for c in contacts:
        by_client.setdefault(c.client_id, []).append(c)
    assert len(by_client) == N_CLIENTS
    for people in by_client.values():
        assert 3 <= len(people) <= 10
        roots = [c for c in people if c.reports_to_id is None]
        assert len(roots) == 1
        ids = {c.id: c for c in people}
        for c in people:  # every chain reaches the top without a loop
            seen, current = set(), c
            while current.reports_to_id is not None:
                assert current.id not in seen
                seen.add(current.id)
                current = ids[current.reports_to_id]
            assert current is roots[0]
    assert any(c.left_company_on is not None for c in contacts)
    assert all(c.left_company_on is None or c.left_company_on < REFERENCE for c in contacts)


def test_complaint_handlers_are_never_among_the_involved_staff(demo):
    ctx, _summary = demo
    rows = _rows(ctx, Feedback)
    assert any(f.involved_user_ids for f in rows)
    for f in rows:
        assert f.handler_id is None or f.handler_id not in f.involved_user_ids


def test_feedback_covers_every_kind_and_status_with_overdue_and_answered_complaints(demo):
    ctx, _summary = demo
    anchor = dt.datetime(2026, 3, 15, 16, 0, tzinfo=dt.UTC)  # the reference day began (China time)
    rows = _rows(ctx, Feedback)
    assert {f.kind for f in rows} == {k.value for k in FeedbackKind}
    assert {f.status for f in rows} == {s.value for s in FeedbackStatus}
    complaints = [f for f in rows if f.kind == "complaint"]
    assert all(f.due_at is not None and f.due_at > f.received_at for f in complaints)
    open_complaints = [f for f in complaints if f.status in ("received", "investigating", "resolved")]
    assert any(effective_due(f, anchor) < anchor for f in open_complaints)  # some are overdue
    assert any(f.status in ("answered", "closed") and f.answer and f.answered_at for f in complaints)
    for f in rows:
        assert f.received_at < anchor
        if f.status in ("answered", "closed"):
            assert f.answer and f.answered_at >= f.received_at
        if f.status == "closed":
            assert f.closed_at >= f.answered_at


def test_history_lies_before_the_reference_date_and_plans_ahead_after_it(demo):
    ctx, _summary = demo
    anchor = dt.datetime(2026, 3, 15, 16, 0, tzinfo=dt.UTC)
    visits, equipment, clients = _rows(ctx, Visit), _rows(ctx, Equipment), _rows(ctx, Client)
    users = {u.id: u for u in _rows(ctx, User)}
    done = [v for v in visits if v.status == "done"]
    assert done and all(v.done_at <= anchor and v.outcome and v.next_steps for v in done)
    assert len({v.outcome for v in done}) > len(done) * 0.8  # the written reports vary
    assert any(v.status == "planned" and v.planned_start > anchor for v in visits)
    assert any(v.status == "planned" and v.planned_start < anchor for v in visits)  # an overdue report
    assert {v.kind for v in visits} >= {
        "return_visit",
        "executive_meeting",
        "satisfaction_survey",
        "improvement_review",
    }
    for v in visits:
        assert v.planned_end > v.planned_start
        assert (v.planned_start + dt.timedelta(hours=8)).weekday() < 5  # a working day, China time
    overdue = [
        e
        for e in equipment
        if e.status != "retired"
        and e.calibration_interval_months
        and e.last_calibrated_on
        and e.last_calibrated_on.replace(year=e.last_calibrated_on.year + e.calibration_interval_months // 12)
        < REFERENCE
        and e.calibration_interval_months % 12 == 0
    ]
    assert overdue  # some instruments are past their calibration date
    assert all(e.last_calibrated_on is None or e.last_calibrated_on < REFERENCE for e in equipment)
    assert {c.tier for c in clients} == {"strategic", "key", "standard"}
    assert {c.status for c in clients} == {"prospect", "active", "at_risk", "dormant", "lost"}
    assert any(not users[c.owner_id].active for c in clients)  # a client that needs a new owner
    assert all(c.owner_id != c.backup_owner_id for c in clients)


def test_annual_fees_follow_a_pyramid(demo):
    ctx, _summary = demo
    with ctx.read() as session:
        fees = sorted((f for f in session.scalars(select(Client.annual_fees)) if f), reverse=True)
    top = fees[: max(1, len(fees) // 5)]
    assert sum(top) > 0.5 * sum(fees)


def test_the_supervisor_becomes_the_current_user_of_the_profile(demo):
    ctx, summary = demo
    assert ctx.actor.id == summary.current_user_id
    assert ctx.actor.role == Role.SUPERVISOR.value
    again = open_profile(ctx.store.data_dir)
    try:
        assert again.actor.id == summary.current_user_id
    finally:
        again.close()


def test_a_profile_with_data_is_refused_and_left_unchanged(demo):
    ctx, _summary = demo
    with ctx.read() as session:
        before = session.scalar(select(func.count()).select_from(OutboxEntry))
    with pytest.raises(DemoProfileNotEmpty):
        generate_demo(ctx, clients=5, seed=9, reference=REFERENCE)
    with ctx.read() as session:
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == before


def test_a_profile_holding_only_its_own_local_user_is_still_empty(ctx):
    assert ctx.actor.role == Role.SUPERVISOR.value  # creates the local user
    seen = []
    summary = generate_demo(
        ctx, clients=3, seed=4, reference=REFERENCE, progress=lambda f, m: seen.append((f, m))
    )
    assert summary.clients == 3 and ctx.actor.id == summary.current_user_id
    fractions = [f for f, _m in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and all(m for _f, m in seen)
    assert sum("3 of 3" in m or "3 个客户" in m for _f, m in seen) == 1 and len(seen) >= 6


def test_bad_arguments_name_the_field(ctx):
    with pytest.raises(ValidationError) as err:
        generate_demo(ctx, clients=0)
    assert err.value.field == "clients"


# -- the command line -----------------------------------------------------------------------------


def test_cli_demo_prints_a_json_summary_and_exits_0(tmp_path, capsys):
    code = main(
        [
            "--data-dir",
            str(tmp_path / "p"),
            "demo",
            "--clients",
            "8",
            "--seed",
            "5",
            "--reference-date",
            "2026-03-16",
            "--json",
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert out["clients"] == 8 and out["seed"] == 5 and out["reference_date"] == "2026-03-16"
    assert out["rows"] == out["outbox_entries"] == sum(out["counts"].values())
    assert out["counts"]["client"] == 8
    assert out["current_user"]["username"]


def test_cli_demo_refuses_a_profile_with_data_with_exit_2(tmp_path, capsys):
    profile = str(tmp_path / "p")
    assert main(["--data-dir", profile, "demo", "--clients", "3", "--reference-date", "2026-03-16"]) == 0
    assert "3" in capsys.readouterr().out
    assert main(["--data-dir", profile, "demo", "--clients", "3", "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out["exit_code"] == 2 and "empty profile" in out["error"]


@pytest.mark.parametrize(
    "args, field",
    [
        (["--clients", "0"], "--clients"),
        (["--clients", "many"], "--clients"),
        (["--seed", "x"], "--seed"),
        (["--reference-date", "2026-13-45"], "--reference-date"),
    ],
)
def test_cli_demo_bad_input_exits_2_naming_the_option(tmp_path, capsys, args, field):
    code = main(["--data-dir", str(tmp_path / "p"), "demo", *args, "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 2 and out["field"] == field


def test_a_cancelled_demo_writes_nothing(ctx):
    from accountdesk.services.demo import DemoCancelled

    calls = []

    def cancel() -> bool:
        calls.append(1)
        return len(calls) > 1  # cancelled after the first clients were generated

    with pytest.raises(DemoCancelled):
        generate_demo(ctx, clients=120, seed=1, reference=REFERENCE, cancel=cancel)
    with ctx.read() as session:
        assert session.scalar(select(func.count()).select_from(Client)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    assert generate_demo(ctx, clients=2, seed=1, reference=REFERENCE).clients == 2


def test_credit_codes_embed_a_valid_organisation_code_and_the_client_s_region(demo):
    from accountdesk.services.demo import organisation_code
    from accountdesk.services.demo.data import CITIES

    assert organisation_code("M000100Y") == "M000100Y4"  # from 91350100M000100Y43, a real code
    ctx, _summary = demo
    divisions = {(c.province, c.city): c.division for c in CITIES}
    with ctx.read() as session:
        rows = session.execute(select(Client.uscc, Client.province, Client.city, Client.industry)).all()
    for code, province, city, industry in rows:
        assert organisation_code(code[8:16]) == code[8:17]
        assert code[2:8] == divisions[(province, city)]
        assert code[:2] == ("12" if industry == "医疗卫生" else "91")
