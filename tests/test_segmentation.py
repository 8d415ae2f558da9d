"""The customer pyramid by annual fees and the segment counts."""

from __future__ import annotations

import pytest

from accountdesk.errors import PermissionDenied, ValidationError
from accountdesk.services import clients, records
from accountdesk.services.segmentation import assign_bands, pyramid, segments


@pytest.fixture
def book(ctx):
    """Ten paying clients with fees 100..1000 (wan yuan), plus a prospect and a lost client."""
    ids = {}
    tiers = {1000: "strategic", 900: "standard", 800: "key", 700: "key", 600: "key", 500: "strategic"}
    provinces = ["广东省", "浙江省"]
    for i, fees in enumerate(range(100, 1001, 100)):
        ids[fees] = clients.create_client(
            ctx,
            name=f"客户{fees:04d}",
            annual_fees=fees * 10_000,
            tier=tiers.get(fees, "standard"),
            province=provinces[i % 2],
            industry="检测" if fees > 500 else None,
            service_frequency=[2, 10, 30, 100, None][i % 5],
        )
    clients.create_client(ctx, name="潜在客户", status="prospect", annual_fees=10**9)
    clients.create_client(ctx, name="流失客户", status="lost", annual_fees=10**9)
    return ids


def test_bands_split_20_30_50():
    bands = assign_bands([(str(i), i) for i in range(1, 11)])
    assert [bands[str(i)] for i in range(10, 0, -1)] == list("AABBBCCCCC")
    assert assign_bands([]) == {}
    # Rounded up: 7 clients → 2 in A, 2 in B (top 50 % = 4), 3 in C.
    seven = assign_bands([(str(i), i) for i in range(7)])
    assert sorted(seven.values()) == list("AABBCCC")
    # No fees rank last.
    assert assign_bands([("x", None), ("y", 5)]) == {"y": "A", "x": "C"}


def test_pyramid_counts_fees_and_shares(ctx, book):
    p = pyramid(ctx)
    total = sum(range(100, 1001, 100)) * 10_000
    assert p.total_clients == 10 and p.total_fees == total
    a, b, c = p.bands
    assert (a.code, a.clients, a.fees) == ("A", 2, 1900 * 10_000)
    assert (b.code, b.clients, b.fees) == ("B", 3, 2100 * 10_000)
    assert (c.code, c.clients, c.fees) == ("C", 5, 1500 * 10_000)
    assert a.client_share == pytest.approx(0.2) and a.fee_share == pytest.approx(1900 / 5500)
    assert sum(band.fee_share for band in p.bands) == pytest.approx(1.0)
    assert (a.min_fees, a.max_fees) == (900 * 10_000, 1000 * 10_000)


def test_pyramid_compares_bands_with_assigned_tiers(ctx, book):
    p = pyramid(ctx)
    assert p.tier_by_band["strategic"] == {"A": 1, "B": 0, "C": 1}
    assert p.tier_by_band["standard"] == {"A": 1, "B": 0, "C": 4}
    assert p.tier_by_band["key"] == {"A": 0, "B": 3, "C": 0}
    by_name = {m.client_name: m for m in p.mismatches}
    assert by_name["客户0900"].direction == "under" and by_name["客户0900"].band == "A"
    assert by_name["客户0500"].direction == "over" and by_name["客户0500"].band == "C"
    assert set(by_name) == {"客户0900", "客户0500"}


def test_fees_are_confidential_for_field_staff(ctx, book):
    field_user = records.create_record(ctx, "user", {"username": "f", "display_name": "f", "role": "field"})
    records.create_record(ctx, "client_team_member", {"user_id": field_user}, client_id=book[100])
    ctx.set_actor(field_user)
    with pytest.raises(PermissionDenied):
        pyramid(ctx)
    (only,) = segments(ctx, "province")
    assert only.clients == 1 and only.fees is None and only.fee_share is None


def test_segments(ctx, book):
    by_province = {s.key: s for s in segments(ctx, "province")}
    assert by_province["广东省"].clients == 5 and by_province["广东省"].fees == 2500 * 10_000
    assert by_province["浙江省"].fees == 3000 * 10_000
    assert segments(ctx, "province")[0].key == "浙江省"  # largest fees first
    industries = {s.key: s.clients for s in segments(ctx, "industry")}
    assert industries == {"检测": 5, None: 5}
    tiers = {s.key: (s.clients, s.label) for s in segments(ctx, "tier")}
    assert tiers["key"] == (3, "Key client")
    freq = {s.key: s.clients for s in segments(ctx, "service_frequency")}
    assert freq == {"<=4": 2, "<=12": 2, "<=52": 2, ">52": 2, None: 2}
    assert sum(s.client_share for s in segments(ctx, "deadline_demands")) == pytest.approx(1.0)
    with pytest.raises(ValidationError) as err:
        segments(ctx, "colour")
    assert err.value.field == "by"
