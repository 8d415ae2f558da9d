"""What a user may enter for each entity: one declaration per field that drives validation in
the services, forms in the UI, ``clients set FIELD=VALUE`` in the CLI, column mapping in imports
and labels in reports.

``kind`` is one of: ``str``, ``text``, ``int``, ``float``, ``bool``, ``date``, ``datetime``,
``enum``, ``uscc``, ``phone``, ``mobile``, ``email``, ``user`` (a user id), ``users`` (a list of
user ids), ``ref`` (an id of a row of entity ``ref``), ``refs`` (a list of such ids), ``tags``,
``filename`` (a plain file name, :mod:`.files`), ``sha256`` (a SHA-256 in lowercase hex).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import ValidationError
from ..i18n import N_, _
from ..models import enums as E
from . import validation as V
from .files import SHA256_RE, file_name_problem


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    label: str  # English msgid; translate with _()
    required: bool = False
    max_len: int | None = None
    enum: type[StrEnum] | None = None
    minimum: float | None = None
    maximum: float | None = None
    ref: str | None = None
    confidential: bool = False
    aliases: tuple[str, ...] = field(default=())  # extra header names for imports

    @property
    def title(self) -> str:
        return _(self.label)


def F(name: str, kind: str, label: str, **kw: Any) -> FieldSpec:
    return FieldSpec(name, kind, label, **kw)


SCHEMAS: dict[str, dict[str, FieldSpec]] = {}
#: Longest tag (the server refuses longer ones too).
TAG_MAX = 100


def _schema(entity: str, *specs: FieldSpec) -> None:
    SCHEMAS[entity] = {s.name: s for s in specs}


_schema(
    "user",
    F("username", "str", N_("User name"), required=True, max_len=64),
    F("display_name", "str", N_("Display name"), required=True, max_len=100),
    F("role", "enum", N_("Role"), required=True, enum=E.Role),
    F("team", "str", N_("Team"), max_len=100),
    F("email", "email", N_("Email")),
    F("active", "bool", N_("Account active")),
)
_schema(
    "client",
    F(
        "name",
        "str",
        N_("Name"),
        required=True,
        max_len=200,
        aliases=(
            "客户名称",
            "公司名称",
            "company",
            "client",
            "名称",
            "企业名称",
            "单位名称",
            "客户",
            "company name",
            "client name",
        ),
    ),
    F("short_name", "str", N_("Short name"), max_len=100, aliases=("简称",)),
    F(
        "uscc",
        "uscc",
        N_("Unified social credit code"),
        aliases=("信用代码", "USCC", "credit code", "统一社会信用代码", "社会信用代码"),
    ),
    F("industry", "str", N_("Industry"), max_len=100, aliases=("行业",)),
    F("tier", "enum", N_("Tier"), enum=E.Tier, aliases=("客户等级", "级别", "等级")),
    F("status", "enum", N_("Status"), enum=E.ClientStatus, aliases=("状态",)),
    F("province", "str", N_("Province"), max_len=50, aliases=("省份", "省")),
    F("city", "str", N_("City"), max_len=50, aliases=("城市", "市")),
    F("address", "str", N_("Address"), max_len=300, aliases=("地址",)),
    F(
        "employees",
        "int",
        N_("Employees"),
        minimum=0,
        maximum=10_000_000,
        aliases=("员工人数", "员工数", "人数"),
    ),
    F(
        "annual_fees",
        "int",
        N_("Annual fees"),
        minimum=0,
        confidential=True,
        aliases=("年均费用", "年费用", "fees"),
    ),
    F(
        "service_frequency",
        "int",
        N_("Service frequency"),
        minimum=0,
        maximum=10_000,
        aliases=("送检频次", "服务频次"),
    ),
    F("report_usage", "str", N_("Report usage"), max_len=300, aliases=("结果报告用途",)),
    F("deadline_demands", "str", N_("Deadline demands"), max_len=300, aliases=("时限要求",)),
    F("owner_id", "user", N_("Account manager"), aliases=("客户主管", "owner")),
    F("backup_owner_id", "user", N_("Backup owner"), aliases=("备份主管", "B角")),
    F("relationship_since", "date", N_("Relationship since"), aliases=("合作开始",)),
    F("contract_renewal_date", "date", N_("Contract renewal date"), aliases=("合同续签日期",)),
    F("tags", "tags", N_("Tags"), aliases=("标签",)),
    F("description", "text", N_("Description"), aliases=("描述", "备注")),
)
_schema(
    "client_team_member",
    F("user_id", "user", N_("Team member"), required=True),
    F("role", "str", N_("Role in the team"), max_len=50),
)
_schema(
    "contact",
    F("name", "str", N_("Full name"), required=True, max_len=100, aliases=("姓名", "联系人", "联系人姓名")),
    F("title", "str", N_("Job title"), max_len=100, aliases=("职务", "职位")),
    F("department", "str", N_("Department"), max_len=100, aliases=("部门",)),
    F("buying_role", "enum", N_("Buying role"), enum=E.BuyingRole),
    F("relationship_role", "enum", N_("Relationship role"), enum=E.RelationshipRole),
    F("influence", "int", N_("Influence"), minimum=0, maximum=10),
    F("attitude", "enum", N_("Attitude"), enum=E.Attitude),
    F("relationship_strength", "int", N_("Relationship strength"), minimum=0, maximum=10),
    F("reports_to_id", "ref", N_("Reports to"), ref="contact"),
    F("mobile", "mobile", N_("Mobile"), aliases=("手机", "手机号", "手机号码", "移动电话")),
    F("phone", "phone", N_("Phone"), aliases=("电话", "座机", "办公电话", "固定电话")),
    F("email", "email", N_("Email"), aliases=("邮箱", "电子邮件", "电子邮箱", "e-mail")),
    F("wechat", "str", N_("WeChat"), max_len=64, aliases=("微信", "微信号")),
    F("birthday", "date", N_("Birthday"), aliases=("生日",)),
    F("preferred_channel", "enum", N_("Preferred channel"), enum=E.Channel),
    F("is_primary", "bool", N_("Primary contact")),
    F("left_company_on", "date", N_("Left the company on")),
    F("notes", "text", N_("Notes"), aliases=("备注",)),
)
_schema(
    "visit_plan",
    F("kind", "enum", N_("Kind"), required=True, enum=E.VisitKind),
    F("title", "str", N_("Title"), max_len=100),
    F("every_months", "int", N_("Every (months)"), required=True, minimum=1, maximum=60),
    F("owner_id", "user", N_("Owner")),
    F("active", "bool", N_("Plan in use")),
    F("starts_on", "date", N_("Starts on")),
    F("from_standard", "bool", N_("From the tier's standard")),
)
_schema(
    "service_standard",
    F("tier", "enum", N_("Tier"), required=True, enum=E.Tier),
    F("kind", "enum", N_("Kind"), required=True, enum=E.VisitKind),
    F("every_months", "int", N_("Every (months)"), required=True, minimum=1, maximum=60),
    F("active", "bool", N_("In the standard")),
)
_schema(
    "saved_view",
    F("user_id", "user", N_("User"), required=True),
    F("list_name", "str", N_("List"), required=True, max_len=32),
    F("name", "str", N_("Name"), required=True, max_len=100),
    F("spec", "text", N_("View"), max_len=20_000),
)
_schema(
    "visit",
    F("kind", "enum", N_("Kind"), required=True, enum=E.VisitKind),
    F("channel", "enum", N_("Channel"), enum=E.VisitChannel),
    F("planned_start", "datetime", N_("Start"), required=True),
    F("planned_end", "datetime", N_("End")),
    F("location", "str", N_("Location"), max_len=300),
    F("purpose", "text", N_("Purpose")),
    F("attendee_contact_ids", "refs", N_("Client attendees"), ref="contact"),
    F("attendee_user_ids", "users", N_("Our attendees")),
    F("owner_id", "user", N_("Owner")),
    F("status", "enum", N_("Status"), enum=E.VisitStatus),
    F("done_at", "datetime", N_("Held at")),
    F("outcome", "text", N_("Outcome")),
    F("client_requests", "text", N_("Client requests")),
    F("follow_ups", "text", N_("Follow-ups")),
    F("next_steps", "text", N_("Next steps")),
)
_schema(
    "service_commitment",
    F("title", "str", N_("Title"), required=True, max_len=200),
    F("metric", "str", N_("Metric"), max_len=50),
    F("target", "float", N_("Target")),
    F("coverage", "str", N_("Coverage"), max_len=50),
    F("valid_from", "date", N_("Valid from")),
    F("valid_to", "date", N_("Valid to")),
    F("notes", "text", N_("Notes")),
)
_schema(
    "service_note",
    F("category", "str", N_("Category"), max_len=50),
    F("text", "text", N_("Note"), required=True, confidential=True),
    F("confidential", "bool", N_("Confidential")),
)
_schema(
    "service_offering",
    F("code", "str", N_("Code"), required=True, max_len=32),
    F("name", "str", N_("Name"), required=True, max_len=200),
    F("category", "enum", N_("Category"), required=True, enum=E.OfferingCategory),
    F("description", "text", N_("Description")),
)
_schema(
    "client_service",
    F("offering_id", "ref", N_("Service"), required=True, ref="service_offering"),
    F("status", "enum", N_("Status"), enum=E.ClientServiceStatus),
    F("start_date", "date", N_("Start date")),
    F("end_date", "date", N_("End date")),
    F("value_estimate", "int", N_("Estimated value"), minimum=0, confidential=True),
    F("notes", "text", N_("Notes")),
)
_schema(
    "service_delivery",
    F("client_service_id", "ref", N_("Service"), required=True, ref="client_service"),
    F("delivered_at", "datetime", N_("Delivered at"), required=True),
    F("delivered_by", "user", N_("Delivered by")),
    F("notes", "text", N_("Notes")),
)
_schema(
    "feedback",
    F("kind", "enum", N_("Kind"), required=True, enum=E.FeedbackKind),
    F("channel", "enum", N_("Channel"), enum=E.FeedbackChannel),
    F("received_at", "datetime", N_("Received at"), required=True),
    F("severity", "enum", N_("Severity"), enum=E.Severity),
    F("subject", "str", N_("Subject"), required=True, max_len=300),
    F("description", "text", N_("Description")),
    F("contact_id", "ref", N_("Contact"), ref="contact"),
    F("involved_user_ids", "users", N_("Involved staff")),
    F("handler_id", "user", N_("Handler")),
    F("due_at", "datetime", N_("Deadline")),
    F("status", "enum", N_("Status"), enum=E.FeedbackStatus),
    F("resolution", "text", N_("Resolution")),
    F("answer", "text", N_("Answer to the client")),
    F("answered_at", "datetime", N_("Answered at")),
)
_schema(
    "survey",
    F("conducted_on", "date", N_("Conducted on"), required=True),
    F("respondent", "str", N_("Respondent"), max_len=100),
    F("respondent_contact_id", "ref", N_("Respondent contact"), ref="contact"),
    F("score_service_quality", "int", N_("Service quality"), minimum=1, maximum=5),
    F("score_responsiveness", "int", N_("Responsiveness"), minimum=1, maximum=5),
    F("score_professionalism", "int", N_("Professionalism"), minimum=1, maximum=5),
    F("score_relationship", "int", N_("Relationship"), minimum=1, maximum=5),
    F("score_overall", "int", N_("Overall"), minimum=1, maximum=5),
    F("comments", "text", N_("Comments")),
    F("visit_id", "ref", N_("Visit"), ref="visit"),
)
_schema(
    "task",
    F("title", "str", N_("Task"), required=True, max_len=200, aliases=("任务", "下一步")),
    F("owner_id", "user", N_("Owner"), aliases=("负责人",)),
    F("due_on", "date", N_("Due"), aliases=("截止日期",)),
    F("status", "enum", N_("Status"), enum=E.TaskStatus),
    F("done_at", "datetime", N_("Done at")),
    F("notes", "text", N_("Notes")),
    F("visit_id", "ref", N_("Visit"), ref="visit"),
)
_schema(
    "improvement_plan",
    F("year", "int", N_("Year"), required=True, minimum=2000, maximum=2100),
    F("title", "str", N_("Title"), max_len=200),
    F("notes", "text", N_("Notes")),
)
_schema(
    "improvement_item",
    F("plan_id", "ref", N_("Plan"), required=True, ref="improvement_plan"),
    F("action", "text", N_("Action"), required=True),
    F("owner_id", "user", N_("Owner")),
    F("due_on", "date", N_("Due")),
    F("status", "enum", N_("Status"), enum=E.ItemStatus),
    F("result", "text", N_("Result")),
)
_schema(
    "risk_flag",
    F("kind", "enum", N_("Kind"), required=True, enum=E.RiskKind),
    F("severity", "enum", N_("Severity"), enum=E.Severity),
    F("note", "text", N_("Note")),
    F("raised_at", "datetime", N_("Raised at")),
    F("cleared_at", "datetime", N_("Cleared at")),
)
_schema(
    "equipment",
    F(
        "name",
        "str",
        N_("Name"),
        required=True,
        max_len=200,
        aliases=(
            "设备名称",
            "仪器名称",
            "器具名称",
            "计量器具名称",
            "仪器设备名称",
            "名称",
            "equipment",
            "instrument",
            "device",
        ),
    ),
    F("model", "str", N_("Model"), max_len=100, aliases=("型号", "规格型号", "型号规格", "规格", "model no")),
    F(
        "serial",
        "str",
        N_("Serial number"),
        max_len=100,
        aliases=(
            "出厂编号",
            "序列号",
            "机身号",
            "仪器编号",
            "设备编号",
            "编号",
            "SN",
            "S/N",
            "serial",
            "serial no",
        ),
    ),
    F("category", "str", N_("Category"), max_len=50, aliases=("类别", "设备类别", "分类", "类型")),
    F(
        "location",
        "str",
        N_("Location"),
        max_len=200,
        aliases=("位置", "安装位置", "安装地点", "使用地点", "存放地点", "使用部门"),
    ),
    F(
        "last_serviced_on",
        "date",
        N_("Last serviced"),
        aliases=("上次保养日期", "上次维护日期", "上次保养", "保养日期", "维护日期"),
    ),
    F(
        "service_interval_months",
        "int",
        N_("Service interval (months)"),
        minimum=1,
        maximum=120,
        aliases=("保养周期", "维护周期", "保养周期月", "维护周期月"),
    ),
    F(
        "last_calibrated_on",
        "date",
        N_("Last calibrated"),
        aliases=(
            "上次校准日期",
            "上次检定日期",
            "校准日期",
            "检定日期",
            "上次校准",
            "上次检定",
            "检定/校准日期",
            "校准/检定日期",
        ),
    ),
    F(
        "calibration_interval_months",
        "int",
        N_("Calibration interval (months)"),
        minimum=1,
        maximum=120,
        aliases=("校准周期", "检定周期", "校准周期月", "检定周期月", "检定/校准周期", "校准/检定周期"),
    ),
    F("status", "enum", N_("Status"), enum=E.EquipmentStatus, aliases=("状态", "设备状态", "使用状态")),
    F("notes", "text", N_("Notes"), aliases=("备注", "说明")),
)
_schema(
    "interaction",
    F("contact_ids", "refs", N_("Contacts"), ref="contact"),
    F("kind", "enum", N_("Kind"), required=True, enum=E.InteractionKind),
    F("formal", "bool", N_("Formal")),
    F("at", "datetime", N_("When"), required=True),
    F("summary", "text", N_("Summary"), required=True),
)
_schema(
    "opportunity",
    F("title", "str", N_("Title"), required=True, max_len=200),
    F("estimated_value", "int", N_("Estimated value"), minimum=0, confidential=True),
    F("stage", "enum", N_("Stage"), enum=E.OpportunityStage),
    F("expected_on", "date", N_("Expected on")),
    F("notes", "text", N_("Notes")),
)
_schema(
    "attachment",
    F("title", "str", N_("Title"), required=True, max_len=200),
    F("kind", "enum", N_("Kind"), enum=E.AttachmentKind),
    F("file_name", "filename", N_("File name"), required=True),
    F("media_type", "str", N_("File type"), max_len=100),
    F("size", "int", N_("Size"), minimum=0, maximum=2**53),
    F("sha256", "sha256", N_("SHA-256"), required=True),
    F("confidential", "bool", N_("Confidential")),
    F("visit_id", "ref", N_("Visit"), ref="visit"),
    F("feedback_id", "ref", N_("Feedback"), ref="feedback"),
    F("equipment_id", "ref", N_("Equipment"), ref="equipment"),
    F("commitment_id", "ref", N_("SLA commitment"), ref="service_commitment"),
    F("client_service_id", "ref", N_("Value-added service"), ref="client_service"),
)
#: The records an attachment may belong to besides its client: field -> entity.
ATTACHMENT_PARENTS = {
    "visit_id": "visit",
    "feedback_id": "feedback",
    "equipment_id": "equipment",
    "commitment_id": "service_commitment",
    "client_service_id": "client_service",
}


def spec(entity: str, name: str) -> FieldSpec:
    try:
        return SCHEMAS[entity][name]
    except KeyError:
        raise ValidationError(name, _("Unknown field: {field}").format(field=name)) from None


def parse_value(s: FieldSpec, raw: Any) -> Any:
    """Coerce and check one value (text from a form, the CLI or a file, or a typed value).

    Empty text means "no value". Reference kinds are only checked for form here; the services
    check that the referenced row exists.
    """
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "" and s.kind not in ("text",):
            raw = None
        elif raw == "":
            raw = None
    if raw is None or (
        isinstance(raw, (list, tuple)) and not raw and s.kind not in ("tags", "refs", "users")
    ):
        if s.required:
            raise ValidationError(s.name, _("{label} is required.").format(label=s.title))
        if s.kind in ("tags", "refs", "users"):
            return []
        if s.kind == "bool":
            return False
        return None
    k = s.kind
    if k in ("str", "text"):
        value = str(raw)
        V.check_text(s.name, value, multiline=k == "text")
        if s.max_len and len(value) > s.max_len:
            raise ValidationError(
                s.name, _("{label} is too long: at most {n} characters.").format(label=s.title, n=s.max_len)
            )
        return value
    if k == "int":
        return V.parse_int(s.name, raw, minimum=s.minimum, maximum=s.maximum)
    if k == "float":
        return V.parse_float(s.name, raw, minimum=s.minimum, maximum=s.maximum)
    if k == "bool":
        return V.parse_bool(s.name, raw)
    if k == "date":
        return V.parse_date(s.name, raw)
    if k == "datetime":
        return V.parse_datetime(s.name, raw)
    if k == "enum":
        assert s.enum is not None
        return V.parse_enum(s.name, raw, s.enum)
    if k == "uscc":
        return V.validate_uscc(s.name, str(raw))
    if k == "phone":
        return V.validate_phone(s.name, str(raw))
    if k == "mobile":
        return V.validate_phone(s.name, str(raw), mobile=True)
    if k == "email":
        return V.validate_email_address(s.name, str(raw))
    if k == "filename":
        value = str(raw)
        why = file_name_problem(value)
        if why:
            raise ValidationError(s.name, _("The file name is not acceptable: it {why}.").format(why=_(why)))
        return value
    if k == "sha256":
        value = str(raw).lower()
        if not SHA256_RE.fullmatch(value):
            raise ValidationError(s.name, _("Not a SHA-256 (64 hexadecimal digits)."))
        return value
    if k in ("user", "ref"):
        value = str(raw)
        V.check_text(s.name, value, multiline=False)
        return value
    if k in ("users", "refs", "tags"):
        if isinstance(raw, str):
            items = [p.strip() for p in raw.replace("，", ",").replace("、", ",").split(",")]
        else:
            items = [str(p).strip() for p in raw]
        for item in items:
            V.check_text(s.name, item, multiline=False)
        if k == "tags" and any(len(item) > TAG_MAX for item in items):
            raise ValidationError(s.name, _("A tag may have at most {n} characters.").format(n=TAG_MAX))
        return list(dict.fromkeys(p for p in items if p))
    raise AssertionError(f"unknown field kind {k}")


def parse_values(entity: str, values: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    """Check a whole form at once; raises one ValidationError carrying every field's problem.

    With ``partial=False`` (a create), required fields that are missing are errors too.
    """
    schema = SCHEMAS[entity]
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {}
    for name, raw in values.items():
        if name not in schema:
            errors.append((name, _("Unknown field: {field}").format(field=name)))
            continue
        try:
            out[name] = parse_value(schema[name], raw)
        except ValidationError as exc:
            errors.extend(exc.errors)
    if not partial:
        for name, s in schema.items():
            if s.required and name not in values:
                errors.append((name, _("{label} is required.").format(label=s.title)))
    if errors:
        raise ValidationError.collect(errors)
    return out
