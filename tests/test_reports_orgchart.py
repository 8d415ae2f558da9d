"""The org chart layout: who reports to whom becomes a tree that fits the page."""

from __future__ import annotations

from reportlab.graphics.shapes import String

from accountdesk.reports.orgchart import build_forest, org_chart
from accountdesk.reports.styles import CONTENT_WIDTH
from accountdesk.services.dossier import ContactInfo


def contact(cid: str, name: str, boss: str | None = None, *, left: bool = False) -> ContactInfo:
    import datetime as dt

    return ContactInfo(
        cid,
        name,
        "经理",
        None,
        "user",
        None,
        5,
        "neutral",
        None,
        boss,
        None,
        None,
        None,
        None,
        None,
        False,
        dt.date(2025, 1, 1) if left else None,
        None,
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
    people = [
        contact("a", "陈总"),
        contact("b", "张部长", "a"),
        contact("c", "王工", "b"),
        contact("d", "李工", "b"),
        contact("e", "赵会计", "a"),
    ]
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


def smallest_text(drawing) -> float:
    """The smallest font size of the drawing as printed (after its scaling)."""
    scale = drawing.transform[0] if getattr(drawing, "transform", None) else 1.0
    sizes = []

    def walk(node):
        for child in getattr(node, "contents", []):
            if isinstance(child, String):
                sizes.append(child.fontSize)
            walk(child)

    walk(drawing)
    return min(sizes) * scale


def test_a_wide_department_stays_readable():
    """Six heads of department with their teams under one director: too wide side by side, so the
    departments are listed in a column and the text keeps its size (not shrunk to ~5 pt)."""
    people = [contact("boss", "总经理")]
    for i in range(6):
        people.append(contact(f"h{i}", f"部长{i}", "boss"))
        for j in range(3):
            people.append(contact(f"h{i}s{j}", f"主管{i}-{j}", f"h{i}"))
            people.append(contact(f"h{i}s{j}e", f"工程师{i}-{j}", f"h{i}s{j}"))
    drawings = org_chart(people)
    drawn = set().union(*(names_in(d) for d in drawings))
    assert {p.name for p in people} <= drawn
    for d in drawings:
        assert d.width <= CONTENT_WIDTH + 0.01
        assert smallest_text(d) >= 6.5
