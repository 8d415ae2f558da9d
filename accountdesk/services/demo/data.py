"""Tables the demo generator draws from: places, names, industries, the service catalogue.
Places and names are in :mod:`.data_places`, industries in :mod:`.data_industries`; all are
importable from here.

Everything here is data (Simplified Chinese, as the users' own records would be), not user
interface text, so nothing is wrapped for translation. Pinyin is written out by hand where an
email address or a user name needs it.
"""

from __future__ import annotations

from typing import NamedTuple

from .data_industries import (
    HOSPITAL_ROLES,
    INDUSTRIES,
    IT_ROLES,
    LAB_EQUIPMENT_GENERAL,
    MANUFACTURING_ROLES,
    TECH_ROLES,
    UTILITY_ROLES,
    Industry,
    Role,
)
from .data_places import (
    BRANDS,
    CITIES,
    CN_ORDINALS,
    GIVEN_NAMES,
    ROADS,
    SURNAMES,
    City,
)

__all__ = [
    "BRANDS",
    "CITIES",
    "CLIENT_TAGS",
    "CN_ORDINALS",
    "City",
    "DEADLINE_DEMANDS",
    "GIVEN_NAMES",
    "HOSPITAL_ROLES",
    "INDUSTRIES",
    "IT_ROLES",
    "Industry",
    "LAB_EQUIPMENT_GENERAL",
    "MANUFACTURING_ROLES",
    "OFFERINGS",
    "Offering",
    "REPORT_USAGE",
    "REPORT_USAGE_BY_INDUSTRY",
    "ROADS",
    "Role",
    "STAFF_EMAIL_DOMAIN",
    "STAFF_TEAMS_FIELD",
    "STAFF_TEAMS_MANAGERS",
    "SURNAMES",
    "TEAM_ROLES_FIELD",
    "TECH_ROLES",
    "UTILITY_ROLES",
]


class Offering(NamedTuple):
    code: str
    name: str
    category: str
    focus: str  # lab | it | any
    description: str
    value_range: tuple[int, int]  # yuan per year


OFFERINGS: tuple[Offering, ...] = (
    Offering(
        "CAL-STD",
        "校准服务",
        "standard",
        "lab",
        "计量器具周期校准，出具带 CNAS 标识的校准证书。",
        (20_000, 600_000),
    ),
    Offering(
        "CAL-ONSITE",
        "现场校准",
        "standard",
        "lab",
        "大型或不便搬运设备的现场校准，工程师携标准器上门。",
        (30_000, 400_000),
    ),
    Offering(
        "TST-STD",
        "检测服务",
        "standard",
        "lab",
        "产品与材料检测，出具 CMA/CNAS 检测报告。",
        (30_000, 1_200_000),
    ),
    Offering(
        "TST-ENV",
        "环境与可靠性试验",
        "standard",
        "lab",
        "高低温、湿热、盐雾、振动等环境与可靠性试验。",
        (20_000, 500_000),
    ),
    Offering(
        "EQP-MAINT",
        "设备维护保养",
        "standard",
        "any",
        "按计划对设备进行预防性维护与保养。",
        (15_000, 300_000),
    ),
    Offering(
        "ITO-OPS",
        "IT 系统运维",
        "standard",
        "it",
        "服务器、存储、网络与数据库的日常运维与巡检。",
        (80_000, 2_000_000),
    ),
    Offering(
        "ITO-DESK", "桌面运维服务", "standard", "it", "终端、打印与办公网络的桌面支持。", (40_000, 600_000)
    ),
    Offering(
        "VAS-247",
        "7×24 远程支持",
        "value_added",
        "any",
        "全天候热线与远程诊断，重大故障即时响应。",
        (20_000, 300_000),
    ),
    Offering(
        "VAS-ONSITE",
        "驻场服务",
        "value_added",
        "any",
        "工程师常驻客户现场，负责日常服务与应急处理。",
        (150_000, 900_000),
    ),
    Offering(
        "VAS-TRAIN",
        "培训",
        "value_added",
        "any",
        "计量、质量与信息系统相关的专题培训与考核。",
        (5_000, 80_000),
    ),
    Offering(
        "VAS-ANNUAL",
        "年度体检报告",
        "value_added",
        "any",
        "年度设备与系统健康评估，给出风险清单与改进建议。",
        (10_000, 120_000),
    ),
    Offering(
        "VAS-FAST",
        "加急报告服务",
        "value_added",
        "lab",
        "24/48 小时加急出具检测或校准报告。",
        (10_000, 200_000),
    ),
    Offering(
        "VAS-LEDGER",
        "仪器设备台账托管",
        "value_added",
        "lab",
        "代管计量器具台账，到期前主动提醒并安排送检。",
        (10_000, 150_000),
    ),
    Offering(
        "VAS-PT",
        "能力验证辅导",
        "value_added",
        "lab",
        "协助客户实验室参加能力验证与 CNAS 评审准备。",
        (15_000, 100_000),
    ),
    Offering(
        "VAS-PICKUP",
        "上门取送样",
        "value_added",
        "lab",
        "专人定期上门取样、送还设备与报告。",
        (5_000, 60_000),
    ),
    Offering(
        "VAS-DR", "灾备演练", "value_added", "it", "每年组织容灾切换演练并出具演练报告。", (30_000, 250_000)
    ),
)

STAFF_TEAMS_MANAGERS = ("华东大客户部", "华南大客户部", "华北大客户部", "中西部大客户部")
STAFF_TEAMS_FIELD = ("计量校准服务组", "检测服务组", "IT 运维服务组")
STAFF_EMAIL_DOMAIN = "zhongheng-service.com.cn"
TEAM_ROLES_FIELD = ("驻场工程师", "计量工程师", "实施工程师", "检测工程师", "运维工程师")

REPORT_USAGE = {
    "lab": (
        "内部质量控制",
        "客户验厂与第二方审核",
        "产品出口认证",
        "监管部门备案",
        "招投标资质证明",
        "内部质量控制；偶尔用于诉讼举证",
        "CNAS 实验室认可评审",
    ),
    "it": ("内部运维考核", "监管合规检查（等级保护测评）", "年度审计", "向上级单位报送运维报告"),
}
#: Report usages that only some industries have.
REPORT_USAGE_BY_INDUSTRY = {
    "auto": ("IATF 16949 体系审核", "整车厂供应商审核"),
    "pharma": ("GMP 合规检查", "药品注册申报"),
    "hospital": ("医疗器械质量控制", "等级医院评审"),
    "finance": ("金融监管检查",),
    "food": ("食品生产许可检查",),
}
DEADLINE_DEMANDS = {
    "lab": (
        "常规 5 个工作日出具报告",
        "常规 7 个工作日，紧急样品 48 小时",
        "要求 24 小时内出具报告",
        "随到随检，当天出具结果",
        "月底集中送检，月初 3 日内出具",
        "重大节假日前完成全部到期校准",
    ),
    "it": (
        "故障 2 小时内响应、4 小时到场",
        "7×24 小时响应，重大故障 30 分钟内到场",
        "工作日 8:30–17:30 驻场支持",
        "变更须提前 3 个工作日申请",
    ),
}
CLIENT_TAGS = (
    "CNAS",
    "出口业务",
    "加急需求多",
    "多地工厂",
    "重点保障",
    "集团客户",
    "价格敏感",
    "上市公司",
    "国企",
    "外资",
)
