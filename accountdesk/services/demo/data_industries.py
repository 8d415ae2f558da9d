"""The industries the demo clients are in: their weights, the positions at such a client and the
equipment they hold (data in Simplified Chinese, not interface text)."""

from __future__ import annotations

from typing import NamedTuple


class Role(NamedTuple):
    """A position at a client: its place in the org chart and its part in buying from us."""

    title: str
    department: str
    level: int  # 0 top, 1 head of department, 2 staff
    buying_role: str
    relationship_role: str
    influence: tuple[int, int]


class Industry(NamedTuple):
    key: str
    label: str
    weight: int
    #: Name patterns: {brand}, {city} (city without 市), {n} (Chinese ordinal).
    patterns: tuple[str, ...]
    short_suffix: str
    domain_tag: str
    #: Credit-code prefix: registration authority + entity type ("91" companies, "12" public institutions).
    uscc_prefix: str
    #: "lab" (calibration and testing) or "it" (IT outsourcing): which offerings fit.
    focus: str
    roles: tuple[Role, ...]
    equipment: tuple[tuple[str, str, str], ...]  # name, model prefix, category
    employees: tuple[int, int]


def _r(title: str, department: str, level: int, buying: str, relation: str, lo: int, hi: int) -> Role:
    return Role(title, department, level, buying, relation, (lo, hi))


MANUFACTURING_ROLES = (
    _r("总经理", "总经办", 0, "economic_buyer", "executive_sponsor", 9, 10),
    _r("副总经理", "总经办", 1, "economic_buyer", "decision_maker", 8, 9),
    _r("质量总监", "质量部", 1, "technical", "decision_maker", 7, 9),
    _r("质量部经理", "质量部", 1, "technical", "influencer", 6, 8),
    _r("采购部经理", "采购部", 1, "economic_buyer", "influencer", 5, 8),
    _r("设备部主管", "设备部", 2, "user", "daily_contact", 4, 6),
    _r("计量室主任", "质量部", 2, "user", "daily_contact", 4, 7),
    _r("计量工程师", "质量部", 2, "user", "daily_contact", 2, 5),
    _r("实验室主管", "检测中心", 2, "technical", "daily_contact", 3, 6),
    _r("财务经理", "财务部", 1, "other", "finance", 4, 6),
    _r("生产部经理", "生产部", 1, "user", "influencer", 4, 7),
    _r("质量工程师", "质量部", 2, "coach", "daily_contact", 2, 5),
)
HOSPITAL_ROLES = (
    _r("院长", "院办", 0, "economic_buyer", "executive_sponsor", 9, 10),
    _r("副院长", "院办", 1, "economic_buyer", "decision_maker", 8, 9),
    _r("医学装备部主任", "医学装备部", 1, "technical", "decision_maker", 7, 9),
    _r("检验科主任", "检验科", 1, "technical", "influencer", 6, 8),
    _r("采购中心主任", "采购中心", 1, "economic_buyer", "influencer", 6, 8),
    _r("设备工程师", "医学装备部", 2, "user", "daily_contact", 3, 5),
    _r("信息科科长", "信息科", 1, "technical", "influencer", 5, 7),
    _r("护理部主任", "护理部", 1, "user", "influencer", 5, 7),
    _r("财务处处长", "财务处", 1, "other", "finance", 4, 6),
    _r("质控办主任", "质控办", 2, "coach", "daily_contact", 3, 6),
)
IT_ROLES = (
    _r("行长", "行领导", 0, "economic_buyer", "executive_sponsor", 9, 10),
    _r("分管副行长", "行领导", 1, "economic_buyer", "decision_maker", 8, 9),
    _r("信息科技部总经理", "信息科技部", 1, "technical", "decision_maker", 7, 9),
    _r("运维中心主任", "信息科技部", 2, "technical", "influencer", 6, 8),
    _r("系统管理员", "信息科技部", 2, "user", "daily_contact", 3, 5),
    _r("网络工程师", "信息科技部", 2, "user", "daily_contact", 2, 4),
    _r("采购部经理", "采购部", 1, "economic_buyer", "influencer", 5, 7),
    _r("风险合规部经理", "风险合规部", 1, "other", "influencer", 4, 6),
    _r("财务部经理", "财务部", 1, "other", "finance", 4, 6),
    _r("信息安全主管", "信息科技部", 2, "coach", "daily_contact", 3, 6),
)
TECH_ROLES = (
    _r("CEO", "总裁办", 0, "economic_buyer", "executive_sponsor", 9, 10),
    _r("CTO", "技术中心", 1, "technical", "decision_maker", 8, 9),
    _r("IT总监", "信息部", 1, "technical", "decision_maker", 7, 9),
    _r("运维经理", "信息部", 2, "technical", "influencer", 5, 7),
    _r("运维工程师", "信息部", 2, "user", "daily_contact", 2, 5),
    _r("采购经理", "采购部", 1, "economic_buyer", "influencer", 5, 7),
    _r("财务总监", "财务部", 1, "other", "finance", 5, 7),
    _r("行政经理", "行政部", 2, "user", "daily_contact", 2, 4),
    _r("安全合规经理", "信息部", 2, "coach", "influencer", 3, 6),
)
UTILITY_ROLES = (
    _r("董事长", "公司领导", 0, "economic_buyer", "executive_sponsor", 9, 10),
    _r("总经理", "公司领导", 1, "economic_buyer", "decision_maker", 8, 10),
    _r("总工程师", "技术部", 1, "technical", "decision_maker", 7, 9),
    _r("计量中心主任", "计量中心", 1, "technical", "influencer", 6, 8),
    _r("安全生产部经理", "安全生产部", 1, "user", "influencer", 5, 7),
    _r("物资部经理", "物资部", 1, "economic_buyer", "influencer", 5, 7),
    _r("计量专责", "计量中心", 2, "user", "daily_contact", 3, 5),
    _r("设备专工", "运维检修部", 2, "user", "daily_contact", 2, 5),
    _r("财务部主任", "财务部", 1, "other", "finance", 4, 6),
    _r("技术员", "技术部", 2, "coach", "daily_contact", 2, 4),
)

LAB_EQUIPMENT_GENERAL = (
    ("电子天平", "BS", "质量计量"),
    ("压力表", "YB", "压力计量"),
    ("数字温度计", "DT", "温度计量"),
    ("温湿度记录仪", "TH", "温度计量"),
    ("游标卡尺", "VC", "长度计量"),
    ("外径千分尺", "OM", "长度计量"),
)
INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "auto",
        "汽车零部件",
        12,
        (
            "{brand}汽车零部件有限公司",
            "{brand}汽车部件股份有限公司",
            "{city}{brand}汽车配件有限公司",
            "{brand}动力科技有限公司",
            "{city}{brand}车桥有限公司",
        ),
        "汽配",
        "auto",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("三坐标测量机", "CMM", "几何量"),
            ("扭力扳手", "TW", "力学计量"),
            ("洛氏硬度计", "HR", "力学计量"),
            ("盐雾试验箱", "SF", "环境试验"),
            ("高低温试验箱", "GD", "环境试验"),
        ),
        (300, 12000),
    ),
    Industry(
        "electronics",
        "电子制造",
        12,
        (
            "{brand}电子科技有限公司",
            "{brand}半导体有限公司",
            "{brand}精密电子有限公司",
            "{brand}光电科技股份有限公司",
            "{city}{brand}电子有限公司",
        ),
        "电子",
        "tech",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("数字示波器", "DSO", "电学计量"),
            ("数字万用表", "DMM", "电学计量"),
            ("信号发生器", "SG", "无线电计量"),
            ("频谱分析仪", "SA", "无线电计量"),
            ("静电测试仪", "ES", "电学计量"),
            ("直流稳压电源", "DP", "电学计量"),
        ),
        (200, 20000),
    ),
    Industry(
        "pharma",
        "生物医药",
        9,
        (
            "{brand}药业有限公司",
            "{brand}生物医药股份有限公司",
            "{brand}制药有限公司",
            "{brand}生物科技有限公司",
            "{city}{brand}医药有限公司",
        ),
        "药业",
        "pharma",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("高效液相色谱仪", "HPLC", "化学计量"),
            ("气相色谱仪", "GC", "化学计量"),
            ("紫外可见分光光度计", "UV", "光学计量"),
            ("生物安全柜", "BSC", "洁净设备"),
            ("压力蒸汽灭菌器", "ST", "热工计量"),
            ("pH计", "PH", "化学计量"),
        ),
        (150, 6000),
    ),
    Industry(
        "hospital",
        "医疗卫生",
        8,
        ("{city}第{n}人民医院", "{city}中心医院", "{city}中医医院", "{city}妇幼保健院", "{city}第{n}医院"),
        "医院",
        "hosp",
        "12",
        "lab",
        HOSPITAL_ROLES,
        (
            ("多参数监护仪", "PM", "医学计量"),
            ("呼吸机", "VT", "医学计量"),
            ("输液泵", "IP", "医学计量"),
            ("心脏除颤仪", "DF", "医学计量"),
            ("电子血压计", "BP", "医学计量"),
            ("心电图机", "ECG", "医学计量"),
            ("全自动生化分析仪", "BC", "医学计量"),
            ("压力蒸汽灭菌器", "ST", "热工计量"),
        ),
        (800, 6000),
    ),
    Industry(
        "utility",
        "电力与公用事业",
        7,
        (
            "{city}{brand}电力工程有限公司",
            "{city}水务集团有限公司",
            "{city}燃气集团有限公司",
            "{brand}新能源科技有限公司",
            "{city}热力有限公司",
            "{city}{brand}供水有限公司",
        ),
        "能源",
        "energy",
        "91",
        "lab",
        UTILITY_ROLES,
        (
            ("电能表检定装置", "EM", "电学计量"),
            ("绝缘电阻测试仪", "IR", "电学计量"),
            ("电流互感器", "CT", "电学计量"),
            ("压力变送器", "PT", "压力计量"),
            ("电磁流量计", "FM", "流量计量"),
            ("可燃气体检测仪", "GD", "化学计量"),
            ("压力表", "YB", "压力计量"),
        ),
        (200, 8000),
    ),
    Industry(
        "machinery",
        "机械制造",
        10,
        (
            "{brand}机械制造有限公司",
            "{brand}重工股份有限公司",
            "{brand}精密机械有限公司",
            "{brand}装备制造有限公司",
            "{city}{brand}机床有限公司",
        ),
        "机械",
        "mach",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("三坐标测量机", "CMM", "几何量"),
            ("万能材料试验机", "UT", "力学计量"),
            ("布氏硬度计", "HB", "力学计量"),
            ("激光跟踪仪", "LT", "几何量"),
        ),
        (150, 15000),
    ),
    Industry(
        "food",
        "食品饮料",
        6,
        (
            "{brand}食品有限公司",
            "{brand}乳业有限公司",
            "{brand}饮料股份有限公司",
            "{city}{brand}食品科技有限公司",
        ),
        "食品",
        "food",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("水分测定仪", "MA", "化学计量"),
            ("酸度计", "PH", "化学计量"),
            ("冷库温度记录仪", "CT", "温度计量"),
            ("电子汽车衡", "SCS", "质量计量"),
        ),
        (100, 5000),
    ),
    Industry(
        "chemical",
        "化工新材料",
        6,
        (
            "{brand}化工有限公司",
            "{brand}新材料股份有限公司",
            "{brand}涂料有限公司",
            "{city}{brand}化学有限公司",
        ),
        "化工",
        "chem",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("气相色谱仪", "GC", "化学计量"),
            ("旋转粘度计", "VS", "化学计量"),
            ("密度计", "DM", "化学计量"),
            ("可燃气体检测报警仪", "GA", "化学计量"),
        ),
        (100, 6000),
    ),
    Industry(
        "battery",
        "新能源电池",
        5,
        ("{brand}新能源电池有限公司", "{brand}动力电池股份有限公司", "{brand}储能科技有限公司"),
        "电池",
        "power",
        "91",
        "lab",
        MANUFACTURING_ROLES,
        LAB_EQUIPMENT_GENERAL
        + (
            ("电池充放电测试仪", "BT", "电学计量"),
            ("内阻测试仪", "RT", "电学计量"),
            ("高低温试验箱", "GD", "环境试验"),
            ("耐压绝缘测试仪", "HV", "电学计量"),
        ),
        (300, 15000),
    ),
    Industry(
        "finance",
        "金融",
        6,
        (
            "{city}农村商业银行股份有限公司",
            "{brand}证券股份有限公司",
            "{brand}人寿保险股份有限公司",
            "{city}{brand}村镇银行股份有限公司",
            "{brand}财产保险股份有限公司",
        ),
        "金融",
        "fin",
        "91",
        "it",
        IT_ROLES,
        (
            ("机架式服务器", "SRV", "服务器"),
            ("存储阵列", "STO", "存储"),
            ("核心交换机", "SW", "网络"),
            ("下一代防火墙", "FW", "安全"),
            ("UPS不间断电源", "UPS", "机房动力"),
            ("精密空调", "AC", "机房动力"),
        ),
        (300, 9000),
    ),
    Industry(
        "it",
        "信息技术",
        6,
        (
            "{brand}信息技术有限公司",
            "{brand}网络科技有限公司",
            "{brand}软件股份有限公司",
            "{brand}数据科技有限公司",
        ),
        "科技",
        "soft",
        "91",
        "it",
        TECH_ROLES,
        (
            ("机架式服务器", "SRV", "服务器"),
            ("存储阵列", "STO", "存储"),
            ("接入交换机", "SW", "网络"),
            ("负载均衡器", "LB", "网络"),
            ("UPS不间断电源", "UPS", "机房动力"),
        ),
        (80, 5000),
    ),
    Industry(
        "logistics",
        "物流与供应链",
        4,
        ("{brand}物流有限公司", "{brand}供应链管理有限公司", "{city}{brand}冷链物流有限公司"),
        "物流",
        "logi",
        "91",
        "it",
        TECH_ROLES,
        (
            ("电子汽车衡", "SCS", "质量计量"),
            ("冷链温度记录仪", "CT", "温度计量"),
            ("机架式服务器", "SRV", "服务器"),
            ("手持终端", "PDA", "终端"),
        ),
        (100, 8000),
    ),
)
