"""The printed reports: content checked against the data, fonts embedded, confidentiality by role,
one client per new page in a batch, and every page renders to an image."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from accountdesk.cli import main as cli_main
from accountdesk.i18n import set_language
from accountdesk.models import Handover, OwnershipChange
from accountdesk.reports import RenderCancelled, render_dossiers, render_handover, render_portfolio
from accountdesk.reports.batch import render_dossier_data
from accountdesk.reports.styles import CELL, CONTENT_WIDTH, data_table, para
from accountdesk.services import records
from accountdesk.services.dossier import load_dossiers

VISIT_SENTENCE = "客户确认下季度增加两台三坐标测量机的送检，并希望报告在五个工作日内出具。"
LONG_COMPLAINT = (
    "客户反映上月送检的十二台压力表中有三台的校准证书出具时间超过了合同约定的五个工作日，"
    "影响了其生产线的年度审核安排，质量部长要求我方书面说明延误原因、给出整改措施，并在下次送检时优先安排检测人员，"
    "同时希望今后每一批次送检都能提前告知预计完成日期，以便其内部协调审核计划。"
)
SECRET_NOTE = "董事长更看重交付时效，价格可以适当让步"
FEES = 1_234_567
OPP_VALUE = 888_888


def _user(ctx, username: str, name: str, role: str) -> str:
    return records.create_record(ctx, "user", {"username": username, "display_name": name, "role": role})


def build_client(ctx, clock, *, name: str, users: dict[str, str], rich: bool = True) -> str:
    """One client with a bit of everything, written through the services."""
    cid = records.create_record(
        ctx,
        "client",
        {
            "name": name,
            "industry": "计量检测",
            "tier": "strategic",
            "status": "active",
            "province": "江苏省",
            "city": "苏州市",
            "annual_fees": FEES,
            "owner_id": users["manager"],
            "backup_owner_id": users["backup"],
            "contract_renewal_date": "2026-05-31",
            "relationship_since": "2019-04-01",
            "description": "长期合作的精密制造客户。",
        },
    )
    if not rich:
        return cid

    def add(entity: str, **values) -> str:
        return records.create_record(ctx, entity, values, client_id=cid)

    add("client_team_member", user_id=users["field"], role="驻场工程师")
    boss = add(
        "contact",
        name="陈建国",
        title="总经理",
        buying_role="economic_buyer",
        attitude="supporter",
        influence=10,
        is_primary=True,
        mobile="13800138000",
    )
    qa = add(
        "contact",
        name="张丽",
        title="质量部长",
        buying_role="technical",
        attitude="neutral",
        influence=7,
        reports_to_id=boss,
    )
    add(
        "contact",
        name="王小明",
        title="计量工程师",
        buying_role="user",
        attitude="detractor",
        influence=3,
        reports_to_id=qa,
    )
    add(
        "contact",
        name="刘芳",
        title="采购经理",
        buying_role="user",
        attitude="neutral",
        influence=5,
        reports_to_id=boss,
        left_company_on="2025-12-31",
    )
    add("visit_plan", kind="return_visit", every_months=1, owner_id=users["manager"])
    add(
        "visit",
        kind="return_visit",
        channel="onsite",
        planned_start="2026-02-10T09:30:00+00:00",
        status="done",
        done_at="2026-02-10T11:00:00+00:00",
        owner_id=users["manager"],
        purpose="季度回访",
        outcome=VISIT_SENTENCE,
        next_steps="三月中旬提交整改报告。",
    )
    add(
        "visit",
        kind="executive_meeting",
        planned_start="2026-04-02T06:00:00+00:00",
        status="planned",
        owner_id=users["manager"],
        purpose="高层会晤：年度合作回顾",
    )
    add("service_commitment", title="现场响应", metric="onsite_hours", target=24, coverage="7x24")
    add("service_note", category="关系", text=SECRET_NOTE, confidential=True)
    add("service_note", category="送检", text="样品周一上午送达。")
    add(
        "feedback",
        kind="complaint",
        channel="written",
        received_at="2026-03-02T08:00:00+00:00",
        severity="high",
        subject="校准证书延期出具",
        description=LONG_COMPLAINT,
        handler_id=users["backup"],
        due_at="2026-03-09T08:00:00+00:00",
    )
    add(
        "feedback",
        kind="praise",
        received_at="2026-01-15T08:00:00+00:00",
        subject="工程师服务周到",
        status="closed",
    )
    for day, score in (("2025-06-20", 3), ("2025-12-18", 4), ("2026-03-01", 5)):
        add(
            "survey",
            conducted_on=day,
            respondent="张丽",
            score_overall=score,
            score_service_quality=score,
            score_responsiveness=4,
            score_professionalism=4,
            score_relationship=score,
        )
    plan = add("improvement_plan", year=2026, title="2026 改进计划")
    add(
        "improvement_item",
        plan_id=plan,
        action="缩短证书出具周期至三个工作日",
        owner_id=users["manager"],
        due_on="2026-06-30",
    )
    add(
        "risk_flag",
        kind="extreme_deadlines",
        severity="high",
        note="要求 48 小时内出具报告",
        raised_at="2026-01-05T00:00:00+00:00",
    )
    add(
        "equipment",
        name="三坐标测量机",
        model="CMM-900",
        serial="SN-0042",
        last_calibrated_on="2025-03-01",
        calibration_interval_months=12,
    )
    add(
        "opportunity",
        title="新增实验室认证咨询",
        estimated_value=OPP_VALUE,
        stage="proposal",
        expected_on="2026-06-01",
    )
    with ctx.write() as (session, writer):
        handover = writer.create(
            Handover,
            {
                "from_user_id": users["former"],
                "to_user_id": users["manager"],
                "by_user_id": users["supervisor"],
                "at": dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC),
                "reason": "原客户主管离职，由王强接手。",
                "checklist": [
                    {
                        "key": "open_feedback",
                        "label": "未结客户反馈已逐条交接",
                        "done": True,
                        "detail": "1 条投诉处理中",
                    },
                    {
                        "key": "key_contacts",
                        "label": "陪同拜访关键联系人",
                        "done": False,
                        "detail": "陈建国总经理待约",
                    },
                ],
            },
            client_id=cid,
        )
        writer.create(
            OwnershipChange,
            {
                "kind": "owner",
                "from_user_id": users["former"],
                "to_user_id": users["manager"],
                "by_user_id": users["supervisor"],
                "at": dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC),
                "reason": "离职交接",
                "handover_id": handover.id,
            },
            client_id=cid,
        )
    return cid


@pytest.fixture
def users(ctx):
    out = {"supervisor": ctx.actor.id}
    out["manager"] = _user(ctx, "wang.qiang", "王强", "manager")
    out["backup"] = _user(ctx, "li.na", "李娜", "manager")
    out["field"] = _user(ctx, "zhao.gong", "赵工", "field")
    out["former"] = _user(ctx, "sun.li", "孙立", "manager")
    return out


@pytest.fixture
def client_id(ctx, clock, users):
    return build_client(ctx, clock, name="苏州精测仪器有限公司", users=users)


def pdf_pages(path: Path) -> list[str]:
    return [p.extract_text() or "" for p in PdfReader(str(path)).pages]


def flat(text: str) -> str:
    return "".join(text.split())


def test_dossier_in_chinese_shows_the_clients_data(ctx, client_id, tmp_path):
    set_language("zh_CN")
    result = render_dossiers(ctx, [client_id], tmp_path / "d.pdf")
    pages = pdf_pages(result.path)
    everything = flat("\n".join(pages))
    assert result.pages == len(pages) >= 3
    for expected in (
        "苏州精测仪器有限公司",
        "客户档案",
        "内部资料",
        "保密",
        "战略客户",
        "王强",
        "李娜",
        "陈建国",
        "张丽",
        "王小明",
        "组织架构",
        "拜访计划",
        "三坐标测量机",
        "新增实验室认证咨询",
        "缩短证书出具周期至三个工作日",
        "结果报告用途",
    ):
        assert expected in everything, expected
    assert flat(VISIT_SENTENCE) in everything
    assert flat(LONG_COMPLAINT)[-20:] in everything  # the long complaint is printed to its end
    assert "Client dossier" not in everything
    assert (
        flat("138 0013 8000") in everything and "+8613800138000" not in everything
    )  # phones as people write them
    assert pages[0].count("1 / ") == 1  # the cover is page 1 of the dossier


def test_dossier_in_english_has_english_headings(ctx, client_id, tmp_path):
    result = render_dossiers(ctx, [client_id], tmp_path / "d.pdf")
    text = "\n".join(pdf_pages(result.path))
    for heading in (
        "Client dossier",
        "Profile",
        "Contacts and org chart",
        "Visit plan and visits",
        "Satisfaction surveys",
        "Feedback",
        "Risk flags",
        "Equipment",
        "Improvement plan",
        "Opportunities",
        "Ownership history",
        "Contents",
    ):
        assert heading in text, heading
    assert "Internal · Confidential" in text
    assert "Score (1–5)" in text  # the survey chart's axis title
    assert "(left)" in text  # 刘芳 left the company: greyed in the org chart


def test_every_font_in_the_pdf_is_embedded(ctx, client_id, tmp_path):
    set_language("zh_CN")
    paths = [
        render_dossiers(ctx, [client_id], tmp_path / "d.pdf").path,
        render_handover(ctx, client_id, tmp_path / "h.pdf").path,
        render_portfolio(ctx, tmp_path / "p.pdf").path,
    ]
    for path in paths:
        fonts = {}
        for page in PdfReader(str(path)).pages:
            for _name, ref in (page["/Resources"].get_object().get("/Font") or {}).items():
                font = ref.get_object()
                fonts[font["/BaseFont"]] = font
        assert fonts, path
        for base, font in fonts.items():
            if font["/Subtype"] == "/Type0":
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
            else:
                descriptor = font.get("/FontDescriptor")
                assert descriptor is not None, f"{path.name}: {base} is not embedded"
                descriptor = descriptor.get_object()
            assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, (
                f"{path.name}: {base} is not embedded"
            )


def test_confidential_values_only_for_roles_that_may_see_them(ctx, client_id, users, tmp_path):
    supervisor = flat("\n".join(pdf_pages(render_dossiers(ctx, [client_id], tmp_path / "s.pdf").path)))
    assert f"¥{FEES:,}" in supervisor and f"¥{OPP_VALUE:,}" in supervisor and flat(SECRET_NOTE) in supervisor
    ctx.set_actor(users["field"])
    field = flat("\n".join(pdf_pages(render_dossiers(ctx, [client_id], tmp_path / "f.pdf").path)))
    assert "新增实验室认证咨询" in field and "样品周一上午送达" in field  # the rest is still there
    assert f"{FEES:,}" not in field and f"{OPP_VALUE:,}" not in field and flat(SECRET_NOTE) not in field
    assert "Annualfees" not in field and "Estimatedvalue" not in field  # the columns are gone, not just blank
    portfolio = flat("\n".join(pdf_pages(render_portfolio(ctx, tmp_path / "p.pdf").path)))
    assert f"{FEES:,}" not in portfolio and "Shareoffees" not in portfolio


def test_batch_starts_each_client_on_a_new_page_numbered_on_its_own(ctx, clock, client_id, users, tmp_path):
    others = [
        build_client(ctx, clock, name=n, users=users, rich=False)
        for n in ("无锡海川电子有限公司", "常州恒信检测有限公司")
    ]
    ids = [client_id, *others]
    for workers in (1, 2):  # laid out in this process, and split over two processes then concatenated
        result = render_dossier_data(
            load_dossiers(ctx, ids), tmp_path / f"batch{workers}.pdf", workers=workers
        )
        pages = pdf_pages(result.path)
        assert result.documents == 3 and result.pages == len(pages)
        covers = [
            i for i, t in enumerate(pages) if "1 / " in t.split("Generated")[-1] and "Client dossier" in t
        ]
        names = ["苏州精测仪器有限公司", "无锡海川电子有限公司", "常州恒信检测有限公司"]
        assert len(covers) == 3, workers
        for i, name in zip(covers, names, strict=True):
            assert name in pages[i].split("Client dossier")[1].splitlines()[1] or name in pages[i]
            if i:
                assert (
                    name not in pages[i - 1].split("Internal")[0]
                )  # the previous page belongs to the previous client
        last_of_first = pages[covers[1] - 1]
        assert (
            f"{covers[1]} / {covers[1]}" in last_of_first
        )  # "N / N": the first dossier ends right before the next cover
        outline = PdfReader(str(result.path)).outline
        assert [o.title for o in outline if not isinstance(o, list)] == names


def test_batch_reports_progress_and_can_be_cancelled(ctx, clock, client_id, users, tmp_path):
    ids = [client_id, build_client(ctx, clock, name="无锡海川电子有限公司", users=users, rich=False)]
    seen = []
    render_dossiers(ctx, ids, tmp_path / "ok.pdf", progress=lambda done, total: seen.append((done, total)))
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    with pytest.raises(RenderCancelled):
        render_dossiers(ctx, ids, tmp_path / "cancelled.pdf", cancel=lambda: True)
    assert not (tmp_path / "cancelled.pdf").exists()


def test_handover_report_has_the_checklist_and_open_work(ctx, client_id, tmp_path):
    set_language("zh_CN")
    text = flat("\n".join(pdf_pages(render_handover(ctx, client_id, tmp_path / "h.pdf").path)))
    for expected in (
        "交接报告",
        "交接情况",
        "原客户主管离职，由王强接手。",
        "未结客户反馈已逐条交接",
        "陪同拜访关键联系人",
        "孙立",
        "校准证书延期出具",
        "缩短证书出具周期至三个工作日",
        "高层会晤：年度合作回顾",
        "时限要求苛刻",
        "现场响应",
        "陈建国",
    ):
        assert expected in text, expected
    assert "工程师服务周到" not in text  # closed feedback is not open work
    assert "刘芳" not in text  # left the company: not a key contact any more


def test_portfolio_report_figures(ctx, clock, client_id, users, tmp_path):
    build_client(ctx, clock, name="无锡海川电子有限公司", users=users, rich=False)
    records.update_record(ctx, "client", client_id, {"status": "at_risk"})
    text = "\n".join(
        pdf_pages(
            render_portfolio(
                ctx, tmp_path / "p.pdf", date_from=dt.date(2025, 4, 1), date_to=dt.date(2026, 3, 31)
            ).path
        )
    )
    flat_text = flat(text)
    for heading in (
        "Customer pyramid",
        "Segmentation",
        "Visits done against planned",
        "Overdue visits",
        "Satisfaction trend",
        "Complaints",
        "At-risk clients",
        "Renewals due",
    ):
        assert heading in text, heading
    assert "Period 2025-04-01 – 2026-03-31" in text
    assert f"¥{2 * FEES:,}" in flat_text  # total annual fees of the two clients
    at_risk = flat_text.split("At-riskclients")[-1].split("Renewalsdue")[0]
    assert "苏州精测仪器有限公司" in at_risk and "无锡海川电子有限公司" not in at_risk
    assert "statusis“atrisk”" in at_risk and "complaintpastitsdeadline" in at_risk  # with the reasons
    assert "2026-05-31" in flat_text  # the renewal due


def test_long_chinese_text_wraps_inside_a_table_cell():
    paragraph = para(LONG_COMPLAINT, CELL)
    paragraph.wrap(200, 1000)
    lines = paragraph.blPara.lines
    assert len(lines) >= 6
    assert all(
        (line[0] if isinstance(line, tuple) else line.extraSpace) >= -0.01 for line in lines
    )  # none runs past the cell
    table = data_table(["Date", "Subject"], [["2026-03-02", LONG_COMPLAINT]], [1, 3])
    _w, height = table.wrap(CONTENT_WIDTH, 1000)
    assert height > 4 * CELL.leading  # the row grew to hold the wrapped text


def test_pages_render_to_images(ctx, client_id, tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm (poppler-utils) is missing on CI")
        pytest.skip("pdftoppm is not installed")
    set_language("zh_CN")
    pdf = render_dossiers(ctx, [client_id], tmp_path / "d.pdf").path
    subprocess.run(
        ["pdftoppm", "-png", "-r", "30", str(pdf), str(tmp_path / "page")], check=True, capture_output=True
    )
    images = sorted(tmp_path.glob("page-*.png"))
    assert len(images) == len(PdfReader(str(pdf)).pages)
    for image in images:
        data = image.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 2000  # a page with something drawn on it


def test_cli_prints_and_exits_with_the_documented_codes(ctx, client_id, data_dir, tmp_path, capsys):
    ctx.close()
    out = tmp_path / "cli.pdf"
    assert (
        cli_main(
            [
                "--data-dir",
                str(data_dir),
                "--lang",
                "zh_CN",
                "dossier",
                "苏州精测仪器有限公司",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "客户档案" in "".join(pdf_pages(out))
    assert (
        cli_main(
            ["--data-dir", str(data_dir), "report", "portfolio", "--out", str(tmp_path / "p.pdf"), "--json"]
        )
        == 0
    )
    assert '"pages"' in capsys.readouterr().out
    assert (
        cli_main(
            ["--data-dir", str(data_dir), "report", "handover", client_id, "--out", str(tmp_path / "h.pdf")]
        )
        == 0
    )
    assert (
        cli_main(["--data-dir", str(data_dir), "dossier", "no such client", "--out", str(tmp_path / "x.pdf")])
        == 2
    )
    assert (
        cli_main(
            [
                "--data-dir",
                str(data_dir),
                "report",
                "portfolio",
                "--from",
                "2026-02-30",
                "--out",
                str(tmp_path / "x.pdf"),
            ]
        )
        == 2
    )
    assert "from" in capsys.readouterr().err
    assert (
        cli_main(
            ["--data-dir", str(data_dir), "dossier", client_id, "--out", str(tmp_path / "missing" / "x.pdf")]
        )
        == 2
    )
    assert not (tmp_path / "x.pdf").exists()


def test_a_user_cannot_print_a_client_outside_their_scope(ctx, clock, users, tmp_path):
    from accountdesk.errors import NotFoundError

    other = build_client(
        ctx, clock, name="外部客户有限公司", users=users, rich=False
    )  # the field engineer does not serve it
    ctx.set_actor(users["field"])
    with pytest.raises(NotFoundError):
        render_dossiers(ctx, [other], tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_the_contents_on_the_cover_point_at_the_right_pages(ctx, client_id, tmp_path):
    import re

    pages = pdf_pages(render_dossiers(ctx, [client_id], tmp_path / "d.pdf").path)
    contents = pages[0].split("Contents", 1)[1]
    entries = re.findall(r"^\s*(\d+)\s+(.+?)\s+(\d+)\s*$", contents, flags=re.M)
    assert len(entries) >= 11
    for _number, title, page in entries:
        assert title in pages[int(page) - 1], (title, page)


def test_the_report_font_ships_with_the_application():
    """Not a system font: Chinese must print on a machine that has none installed."""
    from accountdesk.reports.fonts import PACKAGED_FONT, register_fonts

    path, _index = register_fonts()
    assert path == PACKAGED_FONT or os.environ.get("ACCOUNTDESK_REPORT_FONT")
    folder = PACKAGED_FONT.parent
    assert "Apache License" in (folder / "LICENSE-Apache-2.0.txt").read_text(encoding="utf-8")
    assert "WenQuanYi Micro Hei" in (folder / "README.md").read_text(encoding="utf-8")
