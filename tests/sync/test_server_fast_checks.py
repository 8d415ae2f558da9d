"""The server's one-step checks of common value shapes (a join pushes hundreds of thousands of rows)
give the same verdict as the full check on every field of every entity, for valid and hostile values."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accountdesk.models import ENTITIES, SYNC_COLUMNS
from accountdesk.server import validate
from accountdesk.server.validate import Rejected

FIELDS = sorted((entity, name) for entity, model in ENTITIES.items() for name in validate.columns(model))

values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=50),
    st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fullmatch=True),
    st.from_regex(r"[0-9A-Za-z_.:-]{1,40}", fullmatch=True),
    st.sampled_from(["", " ", "a\x00b", "\ud800", "x" * 37]),
    st.from_regex(r"(1799|1800|2026|2999|3000)-0[1-9]-[0-3]\dT\d\d:\d\d:\d\d(\.\d{6})?Z", fullmatch=True),
    st.from_regex(r"(1799|1800|2026|2999|3000)-(0[1-9]|1[0-3])-[0-3]\d", fullmatch=True),
    st.lists(st.text(max_size=5), max_size=3),
)


def verdict(check, value):
    try:
        return ("ok", check(value))
    except Rejected as exc:
        return ("refused", exc.code)


@settings(max_examples=3000, deadline=None)
@given(field=st.sampled_from(FIELDS), value=values)
def test_fast_check_agrees_with_the_full_check(field, value):
    entity, name = field
    model = ENTITIES[entity]
    col = validate.columns(model)[name]
    fast = validate.fast_checks(model)[name]
    quick, full = verdict(fast, value), verdict(lambda v: validate.check_value(col, v), value)
    if col.kind == "datetime" and quick[0] == full[0] == "ok":  # the same instant, maybe written another way
        assert validate.check_value(col, quick[1]) == full[1]
    else:
        assert quick == full


# -- a batch's fields checked column by column (server/column_checks.py) ----------------------------
ENTITY_NAMES = sorted(ENTITIES)


IDS = st.from_regex(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", fullmatch=True)


TEXT = st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"])


def _typical(col: validate.Column) -> st.SearchStrategy:
    """Values of the shape laptops send for this column (mostly valid), so that the column checks
    are exercised on their accepting side too."""
    spec = col.spec
    kind = spec.kind if spec is not None else None
    if col.name == "deleted_at":
        return st.none()
    if spec is not None and spec.enum is not None:
        return st.sampled_from([m.value for m in spec.enum])
    if kind == "sha256":
        return st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
    if col.kind == "str":
        if kind in ("user", "ref") or (
            spec is None and (col.name.endswith("_id") or col.name == "created_by")
        ):
            return IDS
        return st.text(
            TEXT, min_size=1 if spec is not None and spec.required else 0, max_size=min(12, col.max_len or 12)
        )
    if col.kind in ("int", "float"):
        low = int(spec.minimum) if spec is not None and spec.minimum is not None else -5
        high = int(spec.maximum) if spec is not None and spec.maximum is not None else 200
        whole = st.integers(low, high)
        return whole if col.kind == "int" else st.one_of(whole, st.floats(low, high))
    if col.kind == "bool":
        return st.booleans()
    if col.kind == "date":
        return st.from_regex(r"(1800|2026|2999)-(0[1-9]|1[0-2])-[0-2][0-9]", fullmatch=True)
    if col.kind == "datetime":
        return st.from_regex(
            r"(1800|2026|2999)-(0[1-9]|1[0-2])-[0-2][0-9]T[01][0-9]:[0-5][0-9]:[0-5][0-9](\.[0-9]{6})?Z",
            fullmatch=True,
        )
    if kind in ("users", "refs"):
        return st.lists(IDS, max_size=3)
    if kind == "tags":
        return st.lists(st.text(TEXT, max_size=8), max_size=3)
    return values


#: Near misses: right type, wrong in one detail.
ODD = st.sampled_from(
    [
        "",
        "  ",
        "bad id",
        "not-a-member",
        "2026-02-31",
        "2026-13-01T00:00:00Z",
        "2026-01-01T24:00:00Z",
        "2026-01-01T00:00:00.000000Z",
        0,
        1.5,
        float("inf"),
        True,
        2**70,
        [""],
        ["x" * 101],
        ["bad id"],
    ]
)


@st.composite
def batches(draw):
    """A group of items of one entity and one operation, each with some of the entity's fields:
    mostly values a laptop sends, now and then a near miss, an empty value, a hostile value or a
    field the entity does not have."""
    entity = draw(st.sampled_from(ENTITY_NAMES))
    op = draw(st.sampled_from(["create", "update"]))
    model = ENTITIES[entity]
    cols = validate.columns(model)
    extra = validate.CREATE_EXTRA if op == "create" else {"deleted_at"}
    names = sorted(n for n in cols if n not in SYNC_COLUMNS or n in extra)
    required = [n for n, _d, needed in validate._create_completion(model) if needed] if op == "create" else []
    items = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = draw(st.lists(st.sampled_from(names), max_size=8, unique=True))
        chosen += [n for n in required if n not in chosen and draw(st.integers(0, 19))]
        if draw(st.integers(0, 29)) == 0:
            chosen.append(draw(st.sampled_from(["no_such_field", "updated_at", "server_seq"])))
        if draw(st.integers(0, 29)) == 0:
            chosen.append("no_such_field")
        fields = {}
        for name in chosen:
            col = cols.get(name)
            kind = draw(st.integers(0, 59))
            if col is None or kind == 0:
                fields[name] = draw(values)
            elif kind == 1:
                fields[name] = draw(ODD)
            elif kind == 2 or (kind < 9 and col.nullable):
                fields[name] = None
            else:
                fields[name] = draw(_typical(col))
        items.append(fields)
    return entity, op, items


@settings(max_examples=1500, deadline=None)
@given(batch=batches())
def test_column_checks_agree_with_the_item_checks(batch):
    """Where the column checks answer, every item passes its own check with the same fields;
    where one item would be refused, they leave the group to the item checks."""
    from accountdesk.server import column_checks

    entity, op, items = batch
    model = ENTITIES[entity]
    together = column_checks.check_items(model, op, items)
    alone = [verdict(lambda f: validate.check_fields(model, op, f), f) for f in items]
    if together is not None:
        assert alone == [("ok", fields) for fields in together]


def test_a_joining_laptops_rows_take_the_column_checks(ctx):
    """What a demo profile pushes (every entity a join sends) is accepted column by column, with
    the very fields the item checks give."""
    from sqlalchemy import select

    from accountdesk.models import OutboxEntry
    from accountdesk.server import column_checks
    from accountdesk.services.demo import generate_demo

    generate_demo(ctx, clients=6, seed=3)
    groups: dict[tuple[str, str], list[dict]] = {}
    with ctx.read() as session:
        for entry in session.scalars(select(OutboxEntry).where(OutboxEntry.entity != "user")):
            groups.setdefault((entry.entity, entry.op), []).append(entry.fields)
    assert len(groups) >= 15
    for (entity, op), items in groups.items():
        model = ENTITIES[entity]
        together = column_checks.check_items(model, op, items)
        assert together is not None, entity
        assert together == [validate.check_fields(model, op, f) for f in items], entity
