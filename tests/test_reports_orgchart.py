"""The org chart layout: who reports to whom becomes a tree that fits the page."""

from __future__ import annotations

from reportlab.graphics.shapes import String

from accountdesk.reports.orgchart import build_forest, org_chart
from accountdesk.reports.styles import CONTENT_WIDTH
from accountdesk.services.dossier import ContactInfo


def contact(cid: str, name: str, boss: str | None = None, *, left: bool = False) -> ContactInfo:
    import datetime as dt

    return ContactInfo(
        cid, name, "经理", None, "user", None, 5, "neutral", None, boss, None, None, None, None, None, False,
        dt.date(2025, 1, 1) if left else None, None,
    )


def names_in(drawing) -> set[str]:
    out = set()

    def walk(node):
        for child in getattr(node, "contents", []):
            if isinstance(child, String):
                out.add(child.text)
            walk(child)

    walk(drawing)
    return out


def test_reports_hang_under_their_manager_and_everyone_is_drawn():
    people = [contact("a", "陈总"), contact("b", "张部长", "a"), contact("c", "王工", "b"), contact("d", "李工", "b"), contact("e", "赵会计", "a")]
    (root,) = build_forest(people)
    assert root.contact.name == "陈总"
    assert sorted(c.contact.name for c in root.children) == ["张部长", "赵会计"]
    (drawing,) = org_chart(people)
    assert {"陈总", "张部长", "王工", "李工", "赵会计"} <= names_in(drawing)
    assert drawing.width <= CONTENT_WIDTH + 0.01


def test_a_reporting_cycle_does_not_hang_or_lose_anyone():
    people = [contact("a", "甲", "b"), contact("b", "乙", "a"), contact("c", "丙", "a")]
    drawings = org_chart(people)
    drawn = set().union(*(names_in(d) for d in drawings))
    assert {"甲", "乙", "丙"} <= drawn


def test_a_wide_organisation_is_split_to_fit_the_page():
    people = [contact(f"r{i}", f"负责人{i}") for i in range(14)]
    people += [contact(f"c{i}{j}", f"员工{i}-{j}", f"r{i}") for i in range(14) for j in range(2)]
    drawings = org_chart(people)
    assert len(drawings) > 1
    assert all(d.width <= CONTENT_WIDTH + 0.01 for d in drawings)
    drawn = set().union(*(names_in(d) for d in drawings))
    assert {f"负责人{i}" for i in range(14)} <= drawn


def test_a_contact_who_left_is_marked():
    (drawing,) = org_chart([contact("a", "陈总"), contact("b", "刘芳", "a", left=True)])
    assert any(text.startswith("刘芳") and "(left)" in text for text in names_in(drawing))
