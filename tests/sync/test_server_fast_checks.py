"""The server's one-step checks of common value shapes (a join pushes hundreds of thousands of rows)
give the same verdict as the full check on every field of every entity, for valid and hostile values."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from accountdesk.models import ENTITIES
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
