"""The printed reports read back as text (pdftotext), on data the app itself writes (the demo
generator and the services): no figure broken across lines, no English header split inside a
word, one grouping for the pyramid (its total equals the tier table's), e-mail addresses whole,
no "… and N more" line alone at the top of a page."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from fakeclock import FakeClock

from accountdesk.cli import main as cli_main
from accountdesk.i18n import set_language
from accountdesk.models import Client, Contact
from accountdesk.reports import render_dossiers, render_portfolio
from accountdesk.services import records
from accountdesk.services.context import open_profile
from accountdesk.services.demo import generate_demo

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils (pdftotext) is not installed"
)

REFERENCE = dt.date(2026, 3, 16)
BIG_FEES = 150_253_000  # one client of a big portfolio: the fee total needs eleven digits


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    clock = FakeClock(dt.datetime(2026, 3, 16, 9, 0, tzinfo=dt.UTC))
    path = tmp_path_factory.mktemp("demo")
    ctx = open_profile(path, now=clock.now, wall_ms=clock.wall_ms)
    ctx.test_data_dir = path
    generate_demo(ctx, clients=40, seed=3, reference=REFERENCE)
    with ctx.read() as s:
        first = s.query(Client).filter(Client.status == "active").order_by(Client.name).first()
        first_id = first.id
    records.update_record(ctx, "client", first_id, {"annual_fees": BIG_FEES})
    yield ctx
    ctx.close()


def pdftotext(path: Path, *, layout: bool = False) -> list[str]:
    """The text of each page."""
    out = []
    pages = int(
        re.search(
            r"Pages:\s+(\d+)",
            subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout,
        )[1]
    )
    for page in range(1, pages + 1):
        args = (
            ["pdftotext", "-f", str(page), "-l", str(page), "-enc", "UTF-8"]
            + (["-layout"] if layout else [])
            + [str(path), "-"]
        )
        out.append(subprocess.run(args, capture_output=True, text=True, check=True).stdout)
    return out


MONEY = re.compile(r"¥[\d,]+")
WELL_FORMED_MONEY = re.compile(r"¥\d{1,3}(,\d{3})*$")


def broken_figures(pages: list[str]) -> list[str]:
    """Money amounts that are not whole on their line ("¥157,253,00" / "0")."""
    bad = []
    for text in pages:
        for line in text.splitlines():
            for m in MONEY.finditer(line):
                if not WELL_FORMED_MONEY.match(m.group()):
                    bad.append(line.strip())
            if re.search(r"¥\s*$|^\s*,?\d{1,2}\s*$(?<=0)|^\s*,\d{3}", line) and "¥" in line:
                bad.append(line.strip())
    return bad


def vocabulary() -> set[str]:
    """Every English word of the reports' texts (their message ids)."""
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent / "accountdesk" / "locale" / "en" / "LC_MESSAGES"
    words: set[str] = set()
    for po in root.glob("*.po"):
        with open(po, "rb") as fh:
            for message in read_po(fh):
                ids = message.id if isinstance(message.id, tuple) else (message.id,)
                for value in ids:
                    words.update(w.lower() for w in re.findall(r"[A-Za-z]+", value or ""))
    return words


def split_words(pages: list[str], words: set[str]) -> list[str]:
    """Pairs "seve / rity": a line ending in a fragment whose join with the next line's first
    word is a word of the reports, and the fragment itself is not."""
    bad = []
    for text in pages:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        for a, b in zip(lines, lines[1:], strict=False):
            m1 = re.search(r"([A-Za-z]+)$", a)
            m2 = re.match(r"([A-Za-z]+)", b)
            if not m1 or not m2:
                continue
            head, tail = m1.group(1).lower(), m2.group(1).lower()
            if (head + tail) in words and len(head + tail) > 3 and (head not in words or tail not in words):
                bad.append(f"{a} / {b}")
    return bad


def test_portfolio_figures_words_and_pyramid_read_back_whole(demo, tmp_path):
    for lang in ("en", "zh_CN"):
        set_language(lang)
        path = tmp_path / f"portfolio-{lang}.pdf"
        render_portfolio(demo, path)
        pages = pdftotext(path)
        assert broken_figures(pages) == [], lang
        text = "\n".join(pages)
        # the fee total of the cover tile, on one line, in both languages
        with demo.read() as s:
            total = sum(
                c.annual_fees or 0
                for c in s.query(Client).filter(
                    Client.deleted_at.is_(None), Client.status.not_in(["prospect", "lost"])
                )
            )
        assert total > 100_000_000
        assert f"¥{total:,}" in pages[0], lang
        if lang == "en":
            assert split_words(pages, vocabulary()) == []
            # one grouping: the layers of the pyramid are the tiers of the table "By tier"
            pyramid = re.search(r"1 Customer pyramid(.*?)Total: (\d+) clients", text, re.S)
            layers = [int(n) for n in re.findall(r"^(\d+) clients · ", pyramid.group(1), re.M)]
            assert len(layers) == 3
            assert sum(layers) == int(pyramid.group(2))
            layout = "\n".join(pdftotext(path, layout=True))
            by_tier = re.search(r"By tier\n(.*?)By region", layout, re.S).group(1)
            table = {
                m[0]: int(m[1])
                for m in re.findall(
                    r"^\s*(Strategic client|Key client|Standard client)\s+(\d+)", by_tier, re.M
                )
            }
            assert list(table.values()) == layers
            assert sum(table.values()) == int(pyramid.group(2))
        # no "… and N more." alone at the top of a page
        for page in pages[1:]:
            body = [ln for ln in page.splitlines() if ln.strip()][1:]  # below the running head
            assert not (body and re.match(r"(… and \d+ more\.|……另有 \d+ 项。)", body[0].strip())), page[:200]


def test_portfolio_shows_served_to_standard_per_tier_and_manager_as_the_dashboard_does(demo, tmp_path):
    """Issue 16: the PDF's "served to standard" figures are the dashboard's (one function:
    services.standards.served_figures_from), per tier and per account manager, in both languages."""
    from accountdesk.labels import label
    from accountdesk.models import User
    from accountdesk.models.enums import Tier
    from accountdesk.services import dashboard

    served = dashboard.load_dashboard(demo).served
    with demo.read() as s:
        names = dict(s.query(User.id, User.display_name).all())
    by_tier = {f.key: (f.clients, f.served) for f in served.by_tier}
    by_manager = {names[f.key]: (f.clients, f.served) for f in served.by_manager}
    assert sum(n for n, _s in by_tier.values()) == sum(n for n, _s in by_manager.values()) > 0
    assert 0 < sum(s for _n, s in by_tier.values()) < sum(n for n, _s in by_tier.values())
    heads = {
        "en": ("Served to the tier's standard", "By account manager", "Overdue visits"),
        "zh_CN": ("按客户等级服务标准服务的客户", "按客户主管", "逾期拜访"),
    }
    for lang, (title, managers_head, next_head) in heads.items():
        set_language(lang)
        path = tmp_path / f"served-{lang}.pdf"
        render_portfolio(demo, path)
        layout = "\n".join(pdftotext(path, layout=True))
        section = re.search(rf"\d+ {re.escape(title)}\n(.*?)\d+ {next_head}", layout, re.S)
        assert section, lang
        tiers_part, managers_part = section.group(1).split(managers_head)
        tier_names = {label(Tier, t): t for t in by_tier}
        row = r"^\s*(\S+(?: \S+)?)\s+(\d+)\s+(\d+)\s+(\d+(?:\.\d+)?%|—)\s*$"
        printed = {
            tier_names[m[0]]: (int(m[1]), int(m[2]))
            for m in re.findall(row, tiers_part, re.M)
            if m[0] in tier_names
        }
        assert printed == by_tier, lang
        printed = {m[0]: (int(m[1]), int(m[2])) for m in re.findall(row, managers_part, re.M)}
        assert printed == by_manager, lang


def test_dossiers_keep_words_emails_and_figures_whole(demo, tmp_path):
    with demo.read() as s:
        ids = [
            c.id for c in s.query(Client).filter(Client.deleted_at.is_(None)).order_by(Client.name).limit(8)
        ]
        emails = {
            e
            for (e,) in s.query(Contact.email).filter(Contact.client_id.in_(ids), Contact.email.is_not(None))
        }
    assert len(emails) > 5
    for lang in ("en", "zh_CN"):
        set_language(lang)
        path = tmp_path / f"dossiers-{lang}.pdf"
        render_dossiers(demo, ids, path, workers=1)
        pages = pdftotext(path)
        assert broken_figures(pages) == [], lang
        lines = {ln.strip() for page in pages for ln in page.splitlines()}
        words = {w for ln in lines for w in ln.split()}
        assert emails <= words, sorted(emails - words)[:5]
        if lang == "en":
            assert split_words(pages, vocabulary()) == []


def digits(value: str) -> str:
    return re.sub(r"\D", "", value)


def test_the_external_dossier_leaves_out_the_contacts_personal_data(demo, tmp_path, capsys):
    """Printed through the command line, as a person would: the internal copy has the contacts'
    mobiles and WeChat ids and the annual fees, the external copy none of them."""
    with demo.read() as s:
        ids = [
            c.id
            for c in s.query(Client)
            .filter(Client.deleted_at.is_(None), Client.status == "active")
            .order_by(Client.name)
            .limit(5)
        ]
        people = s.query(Contact).filter(Contact.client_id.in_(ids), Contact.deleted_at.is_(None)).all()
        mobiles = {digits(c.mobile)[-11:] for c in people if c.mobile}  # printed without +86
        wechats = {c.wechat for c in people if c.wechat}
        fees = [c.annual_fees for c in s.query(Client).filter(Client.id.in_(ids)) if c.annual_fees]
        emails = {c.email for c in people if c.email}
    assert len(mobiles) >= 5 and wechats and fees
    data_dir = str(demo.test_data_dir)
    texts = {}
    for audience in ("internal", "external"):
        out = tmp_path / f"{audience}.pdf"
        assert (
            cli_main(
                [
                    "--data-dir",
                    data_dir,
                    "--lang",
                    "zh_CN",
                    "dossier",
                    *ids,
                    "--audience",
                    audience,
                    "--out",
                    str(out),
                    "--json",
                ]
            )
            == 0
        )
        assert '"pages"' in capsys.readouterr().out
        texts[audience] = "\n".join(pdftotext(out))
    internal, external = (digits(texts[a]) for a in ("internal", "external"))
    assert all(m in internal for m in mobiles)
    assert [m for m in mobiles if m in external] == []
    assert all(w in texts["internal"] for w in wechats)
    assert [w for w in wechats if w in texts["external"]] == []
    assert f"¥{fees[0]:,}" in texts["internal"] and "¥" not in texts["external"]
    assert "不含个人信息" in texts["external"] and "不含个人信息" not in texts["internal"]
    # the phones and e-mails of the office stay: the copy still says whom to call
    assert emails and any(e in texts["external"] for e in emails)
    # a bad audience is bad input naming the field
    assert (
        cli_main(
            [
                "--data-dir",
                data_dir,
                "dossier",
                ids[0],
                "--audience",
                "public",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 2
    )
    assert "audience" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_each_dossier_opens_with_a_one_page_summary(demo, tmp_path):
    """Page 2 of each dossier: health and its reasons, next due, open complaints, key contacts and
    the SLA state, before the profile; a client without a change of account manager says so there
    and ends without a page holding only that sentence."""
    from accountdesk.services.dossier import load_dossiers

    with demo.read() as s:
        ids = [
            c.id for c in s.query(Client).filter(Client.deleted_at.is_(None)).order_by(Client.name).limit(6)
        ]
    new = records.create_record(
        demo, "client", {"name": "新建测试客户有限公司", "tier": "key", "status": "active"}
    )
    ids.append(new)
    busy = ids[0]  # a client with much open: the summary still holds on one page
    for i in range(7):
        records.create_record(
            demo,
            "feedback",
            {
                "kind": "complaint",
                "received_at": f"2026-03-0{i + 1}T08:00:00+00:00",
                "severity": "high",
                "subject": f"第{i + 1}批送检的压力表校准证书出具时间超过合同约定的五个工作日，影响客户生产线年度审核安排，要求书面说明并整改",
            },
            client_id=busy,
        )
        records.create_record(
            demo,
            "contact",
            {
                "name": f"联系人{i}",
                "title": "质量部副部长兼计量室主任",
                "department": "质量管理部",
                "mobile": f"1380013{i:04d}",
                "phone": f"0512-6666{i:04d}",
                "email": f"contact.person.{i}@a-rather-long-company-domain.com.cn",
                "influence": 9,
            },
            client_id=busy,
        )
    path = tmp_path / "d.pdf"
    result = render_dossiers(demo, ids, path, workers=1)
    pages = pdftotext(path)
    assert len(pages) == result.pages
    dossiers = load_dossiers(demo, ids)
    starts = [
        i
        for i, page in enumerate(pages)
        if "Client dossier" in page and "AccountDesk · key-account management" in page
    ]
    assert len(starts) == len(ids)
    for d, start, end in zip(dossiers, starts, starts[1:] + [len(pages)], strict=True):
        summary = pages[start + 1]
        for heading in ("At a glance", "Next due", "Open complaints", "Key contacts", "SLA status"):
            assert heading in summary, (d.profile.name, heading)
        assert "1 Profile" not in summary
        assert "1 Profile" in pages[start + 2]  # the summary holds on one page
        if d.health is not None:
            assert f"{d.health.score} / 100" in summary
        open_complaints = [f for f in d.feedback if f.is_open and f.kind in ("complaint", "appeal")]
        for f in open_complaints[:5]:
            assert "".join(f.subject.split())[:10] in "".join(summary.split())
        primary = [c for c in d.contacts if c.is_primary and not c.has_left]
        if primary:
            assert primary[0].name in summary
        if not d.ownership and not d.handovers:
            assert "No change of account manager." in summary
            assert "Ownership history" not in "".join(pages[start:end])
        last = [ln.strip() for ln in pages[end - 1].splitlines() if ln.strip()]
        assert "No change of account manager." not in last
    assert any(not d.ownership for d in dossiers)
