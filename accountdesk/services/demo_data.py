"""Tables the demo generator draws from: places, names, industries, the service catalogue.

Everything here is data (Simplified Chinese, as the users' own records would be), not user
interface text, so nothing is wrapped for translation. Pinyin is written out by hand where an
email address or a user name needs it.
"""

from __future__ import annotations

from typing import NamedTuple


class City(NamedTuple):
    province: str
    city: str
    #: GB/T 2260 administrative division code (positions 3–8 of a credit code).
    division: str
    #: Telephone area code without the leading 0.
    area: str
    #: Short pinyin used in domains.
    abbr: str
    districts: tuple[str, ...]
    weight: int


CITIES: tuple[City, ...] = (
    City("北京市", "北京市", "110108", "10", "bj", ("海淀区", "朝阳区", "亦庄经济技术开发区"), 9),
    City("上海市", "上海市", "310115", "21", "sh", ("浦东新区", "闵行区", "嘉定区", "松江区"), 10),
    City("天津市", "天津市", "120116", "22", "tj", ("滨海新区", "西青区"), 4),
    City("重庆市", "重庆市", "500112", "23", "cq", ("渝北区", "两江新区"), 4),
    City("广东省", "广州市", "440100", "20", "gz", ("天河区", "黄埔区", "番禺区"), 7),
    City("广东省", "深圳市", "440300", "755", "sz", ("南山区", "宝安区", "龙岗区"), 8),
    City("广东省", "东莞市", "441900", "769", "dg", ("松山湖高新区", "长安镇"), 5),
    City("广东省", "佛山市", "440600", "757", "fs", ("顺德区", "南海区"), 4),
    City("江苏省", "南京市", "320100", "25", "nj", ("江宁区", "鼓楼区", "浦口区"), 5),
    City("江苏省", "苏州市", "320500", "512", "su", ("工业园区", "高新区", "昆山市", "吴江区"), 8),
    City("江苏省", "无锡市", "320200", "510", "wx", ("新吴区", "滨湖区"), 4),
    City("江苏省", "常州市", "320400", "519", "cz", ("武进区", "新北区"), 3),
    City("江苏省", "南通市", "320600", "513", "nt", ("崇川区", "经济技术开发区"), 2),
    City("浙江省", "杭州市", "330100", "571", "hz", ("滨江区", "余杭区", "萧山区"), 6),
    City("浙江省", "宁波市", "330200", "574", "nb", ("北仑区", "鄞州区"), 4),
    City("浙江省", "温州市", "330300", "577", "wz", ("瓯海区", "乐清市"), 2),
    City("浙江省", "嘉兴市", "330400", "573", "jx", ("南湖区", "嘉善县"), 2),
    City("山东省", "济南市", "370100", "531", "jn", ("历下区", "高新区"), 3),
    City("山东省", "青岛市", "370200", "532", "qd", ("黄岛区", "城阳区", "崂山区"), 4),
    City("山东省", "烟台市", "370600", "535", "yt", ("芝罘区", "福山区"), 2),
    City("湖北省", "武汉市", "420100", "27", "wh", ("东湖高新区", "江夏区", "汉阳区"), 5),
    City("湖南省", "长沙市", "430100", "731", "cs", ("岳麓区", "雨花区"), 3),
    City("四川省", "成都市", "510100", "28", "cd", ("高新区", "双流区", "龙泉驿区"), 5),
    City("陕西省", "西安市", "610100", "29", "xa", ("雁塔区", "未央区", "长安区"), 3),
    City("辽宁省", "沈阳市", "210100", "24", "sy", ("浑南区", "铁西区"), 2),
    City("辽宁省", "大连市", "210200", "411", "dl", ("甘井子区", "金州区"), 2),
    City("河南省", "郑州市", "410100", "371", "zz", ("金水区", "经济技术开发区"), 3),
    City("河北省", "石家庄市", "130100", "311", "sjz", ("长安区", "高新区"), 2),
    City("安徽省", "合肥市", "340100", "551", "hf", ("蜀山区", "包河区", "经济技术开发区"), 3),
    City("安徽省", "芜湖市", "340200", "553", "wuh", ("鸠江区", "弋江区"), 1),
    City("福建省", "福州市", "350100", "591", "fz", ("鼓楼区", "仓山区"), 2),
    City("江西省", "南昌市", "360100", "791", "nc", ("红谷滩区", "青山湖区"), 2),
    City("云南省", "昆明市", "530100", "871", "km", ("五华区", "官渡区"), 1),
    City("贵州省", "贵阳市", "520100", "851", "gy", ("观山湖区", "南明区"), 1),
    City("吉林省", "长春市", "220100", "431", "cc", ("朝阳区", "汽车经济技术开发区"), 2),
    City("黑龙江省", "哈尔滨市", "230100", "451", "hrb", ("南岗区", "松北区"), 1),
    City("海南省", "海口市", "460100", "898", "hk", ("龙华区", "美兰区"), 1),
    City("甘肃省", "兰州市", "620100", "931", "lz", ("城关区", "安宁区"), 1),
)

ROADS = (
    "科技路", "创新大道", "工业大道", "人民路", "建设路", "长江路", "黄河路", "学府路", "滨江大道",
    "发展大道", "高新大道", "星湖街", "金融街", "中山路", "解放路", "和平路", "兴业路", "经五路",
    "纬二路", "新华路", "湖滨路", "东环路", "西环路", "北京路", "南京路", "光谷大道", "复兴路",
)

# Family names (hanzi, pinyin) with a rough frequency weight.
SURNAMES: tuple[tuple[str, str, int], ...] = (
    ("王", "wang", 72), ("李", "li", 70), ("张", "zhang", 66), ("刘", "liu", 53), ("陈", "chen", 45),
    ("杨", "yang", 34), ("黄", "huang", 25), ("赵", "zhao", 23), ("吴", "wu", 21), ("周", "zhou", 21),
    ("徐", "xu", 15), ("孙", "sun", 15), ("马", "ma", 13), ("朱", "zhu", 13), ("胡", "hu", 12),
    ("郭", "guo", 12), ("何", "he", 11), ("林", "lin", 10), ("高", "gao", 10), ("罗", "luo", 10),
    ("郑", "zheng", 9), ("梁", "liang", 9), ("谢", "xie", 8), ("宋", "song", 7), ("唐", "tang", 7),
    ("许", "xu", 7), ("韩", "han", 6), ("冯", "feng", 6), ("邓", "deng", 6), ("曹", "cao", 6),
    ("彭", "peng", 6), ("曾", "zeng", 5), ("肖", "xiao", 5), ("田", "tian", 5), ("董", "dong", 5),
    ("潘", "pan", 4), ("袁", "yuan", 4), ("蔡", "cai", 4), ("蒋", "jiang", 4), ("余", "yu", 4),
    ("于", "yu", 4), ("杜", "du", 4), ("叶", "ye", 4), ("程", "cheng", 4), ("魏", "wei", 4),
    ("苏", "su", 3), ("吕", "lv", 3), ("丁", "ding", 3), ("任", "ren", 3), ("卢", "lu", 3),
    ("姚", "yao", 3), ("沈", "shen", 3), ("钟", "zhong", 3), ("姜", "jiang", 3), ("崔", "cui", 3),
    ("谭", "tan", 3), ("陆", "lu", 3), ("范", "fan", 2), ("汪", "wang", 2), ("廖", "liao", 2),
    ("石", "shi", 2), ("金", "jin", 2), ("贾", "jia", 2), ("夏", "xia", 2), ("方", "fang", 2),
    ("邹", "zou", 2), ("熊", "xiong", 2), ("白", "bai", 2), ("孟", "meng", 2), ("秦", "qin", 2),
    ("邱", "qiu", 2), ("侯", "hou", 2), ("薛", "xue", 2), ("雷", "lei", 2), ("龙", "long", 2),
    ("史", "shi", 1), ("陶", "tao", 1), ("贺", "he", 1), ("毛", "mao", 1), ("郝", "hao", 1),
    ("顾", "gu", 1), ("龚", "gong", 1), ("邵", "shao", 1), ("钱", "qian", 1), ("戴", "dai", 1),
    ("严", "yan", 1), ("欧阳", "ouyang", 1), ("上官", "shangguan", 1),
)

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("勇", "yong"), ("杰", "jie"),
    ("涛", "tao"), ("斌", "bin"), ("超", "chao"), ("明", "ming"), ("刚", "gang"), ("平", "ping"),
    ("辉", "hui"), ("鹏", "peng"), ("飞", "fei"), ("鑫", "xin"), ("波", "bo"), ("宇", "yu"),
    ("浩", "hao"), ("凯", "kai"), ("健", "jian"), ("旭", "xu"), ("宁", "ning"), ("阳", "yang"),
    ("建国", "jianguo"), ("志强", "zhiqiang"), ("文博", "wenbo"), ("子豪", "zihao"), ("海峰", "haifeng"),
    ("振宇", "zhenyu"), ("国栋", "guodong"), ("晓东", "xiaodong"), ("立新", "lixin"), ("永刚", "yonggang"),
    ("宏伟", "hongwei"), ("志军", "zhijun"), ("俊杰", "junjie"), ("建华", "jianhua"), ("海涛", "haitao"),
    ("明辉", "minghui"), ("浩然", "haoran"), ("博文", "bowen"), ("家豪", "jiahao"), ("德明", "deming"),
    ("卫东", "weidong"), ("晨阳", "chenyang"), ("一鸣", "yiming"), ("思远", "siyuan"), ("承志", "chengzhi"),
    ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"), ("艳", "yan"),
    ("娟", "juan"), ("霞", "xia"), ("玲", "ling"), ("婷", "ting"), ("雪", "xue"), ("慧", "hui"),
    ("颖", "ying"), ("琳", "lin"), ("倩", "qian"), ("洁", "jie"), ("红梅", "hongmei"), ("秀英", "xiuying"),
    ("丽华", "lihua"), ("晓燕", "xiaoyan"), ("雅琴", "yaqin"), ("婉清", "wanqing"), ("思雨", "siyu"),
    ("欣怡", "xinyi"), ("梦琪", "mengqi"), ("佳怡", "jiayi"), ("子涵", "zihan"), ("诗琪", "shiqi"),
    ("雨桐", "yutong"), ("晓丽", "xiaoli"), ("春梅", "chunmei"), ("海燕", "haiyan"), ("玉兰", "yulan"),
    ("文静", "wenjing"), ("慧敏", "huimin"), ("静怡", "jingyi"), ("丹丹", "dandan"), ("晓雯", "xiaowen"),
)

# Brand words of fictitious companies (hanzi, pinyin).
BRANDS: tuple[tuple[str, str], ...] = (
    ("华信", "huaxin"), ("瑞丰", "ruifeng"), ("恒达", "hengda"), ("宏远", "hongyuan"), ("天成", "tiancheng"),
    ("博远", "boyuan"), ("金桥", "jinqiao"), ("新元", "xinyuan"), ("嘉和", "jiahe"), ("长盛", "changsheng"),
    ("鼎力", "dingli"), ("安泰", "antai"), ("同创", "tongchuang"), ("众联", "zhonglian"), ("立信", "lixin"),
    ("德润", "derun"), ("明阳", "mingyang"), ("远航", "yuanhang"), ("启明", "qiming"), ("卓越", "zhuoyue"),
    ("汇通", "huitong"), ("盛华", "shenghua"), ("永安", "yongan"), ("聚能", "juneng"), ("海川", "haichuan"),
    ("凯瑞", "kairui"), ("诚达", "chengda"), ("优联", "youlian"), ("宝丰", "baofeng"), ("伟业", "weiye"),
    ("华晨", "huachen"), ("东升", "dongsheng"), ("蓝海", "lanhai"), ("恒通", "hengtong"), ("中盛", "zhongsheng"),
    ("锦程", "jincheng"), ("华茂", "huamao"), ("精诚", "jingcheng"), ("鸿运", "hongyun"), ("润泽", "runze"),
    ("天宇", "tianyu"), ("万通", "wantong"), ("瑞康", "ruikang"), ("康泰", "kangtai"), ("和信", "hexin"),
    ("致远", "zhiyuan"), ("腾飞", "tengfei"), ("振华", "zhenhua"), ("兴业", "xingye"), ("鑫源", "xinyuan"),
    ("嘉盛", "jiasheng"), ("泰和", "taihe"), ("华宇", "huayu"), ("新锐", "xinrui"), ("惠民", "huimin"),
    ("安捷", "anjie"), ("荣昌", "rongchang"), ("广源", "guangyuan"), ("信达", "xinda"), ("晨光", "chenguang"),
    ("弘毅", "hongyi"), ("睿智", "ruizhi"), ("昊天", "haotian"), ("金鼎", "jinding"), ("银河", "yinhe"),
    ("星辰", "xingchen"), ("云帆", "yunfan"), ("昌盛", "changsheng"), ("富源", "fuyuan"), ("佳禾", "jiahe"),
    ("立德", "lide"), ("尚品", "shangpin"), ("同舟", "tongzhou"), ("合力", "heli"), ("中瑞", "zhongrui"),
    ("亿丰", "yifeng"), ("正和", "zhenghe"), ("宏图", "hongtu"), ("永信", "yongxin"), ("瀚海", "hanhai"),
    ("祥瑞", "xiangrui"), ("华贝", "huabei"), ("恒瑞达", "hengruida"), ("金科", "jinke"), ("天润", "tianrun"),
    ("博创", "bochuang"), ("赛威", "saiwei"), ("普瑞", "purui"), ("迈科", "maike"), ("联创", "lianchuang"),
    ("国科", "guoke"), ("华川", "huachuan"), ("三友", "sanyou"), ("九州", "jiuzhou"), ("万邦", "wanbang"),
    ("华泰", "huatai"), ("金盛", "jinsheng"), ("东华", "donghua"), ("远景", "yuanjing"), ("正源", "zhengyuan"),
)

CN_ORDINALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九")


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


def _r(title, department, level, buying, relation, lo, hi) -> Role:
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
    ("电子天平", "BS", "质量计量"), ("压力表", "YB", "压力计量"), ("数字温度计", "DT", "温度计量"),
    ("温湿度记录仪", "TH", "温度计量"), ("游标卡尺", "VC", "长度计量"), ("外径千分尺", "OM", "长度计量"),
)
INDUSTRIES: tuple[Industry, ...] = (
    Industry("auto", "汽车零部件", 12,
             ("{brand}汽车零部件有限公司", "{brand}汽车部件股份有限公司", "{city}{brand}汽车配件有限公司",
              "{brand}动力科技有限公司", "{city}{brand}车桥有限公司"),
             "汽配", "auto", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("三坐标测量机", "CMM", "几何量"), ("扭力扳手", "TW", "力学计量"),
                                      ("洛氏硬度计", "HR", "力学计量"), ("盐雾试验箱", "SF", "环境试验"),
                                      ("高低温试验箱", "GD", "环境试验")), (300, 12000)),
    Industry("electronics", "电子制造", 12,
             ("{brand}电子科技有限公司", "{brand}半导体有限公司", "{brand}精密电子有限公司",
              "{brand}光电科技股份有限公司", "{city}{brand}电子有限公司"),
             "电子", "tech", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("数字示波器", "DSO", "电学计量"), ("数字万用表", "DMM", "电学计量"),
                                      ("信号发生器", "SG", "无线电计量"), ("频谱分析仪", "SA", "无线电计量"),
                                      ("静电测试仪", "ES", "电学计量"), ("直流稳压电源", "DP", "电学计量")), (200, 20000)),
    Industry("pharma", "生物医药", 9,
             ("{brand}药业有限公司", "{brand}生物医药股份有限公司", "{brand}制药有限公司", "{brand}生物科技有限公司",
              "{city}{brand}医药有限公司"),
             "药业", "pharma", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("高效液相色谱仪", "HPLC", "化学计量"), ("气相色谱仪", "GC", "化学计量"),
                                      ("紫外可见分光光度计", "UV", "光学计量"), ("生物安全柜", "BSC", "洁净设备"),
                                      ("压力蒸汽灭菌器", "ST", "热工计量"), ("pH计", "PH", "化学计量")), (150, 6000)),
    Industry("hospital", "医疗卫生", 8,
             ("{city}第{n}人民医院", "{city}中心医院", "{city}中医医院", "{city}妇幼保健院", "{city}第{n}医院"),
             "医院", "hosp", "12", "lab", HOSPITAL_ROLES,
             (("多参数监护仪", "PM", "医学计量"), ("呼吸机", "VT", "医学计量"), ("输液泵", "IP", "医学计量"),
              ("心脏除颤仪", "DF", "医学计量"), ("电子血压计", "BP", "医学计量"), ("心电图机", "ECG", "医学计量"),
              ("全自动生化分析仪", "BC", "医学计量"), ("压力蒸汽灭菌器", "ST", "热工计量")), (800, 6000)),
    Industry("utility", "电力与公用事业", 7,
             ("{city}{brand}电力工程有限公司", "{city}水务集团有限公司", "{city}燃气集团有限公司",
              "{brand}新能源科技有限公司", "{city}热力有限公司", "{city}{brand}供水有限公司"),
             "能源", "energy", "91", "lab", UTILITY_ROLES,
             (("电能表检定装置", "EM", "电学计量"), ("绝缘电阻测试仪", "IR", "电学计量"), ("电流互感器", "CT", "电学计量"),
              ("压力变送器", "PT", "压力计量"), ("电磁流量计", "FM", "流量计量"), ("可燃气体检测仪", "GD", "化学计量"),
              ("压力表", "YB", "压力计量")), (200, 8000)),
    Industry("machinery", "机械制造", 10,
             ("{brand}机械制造有限公司", "{brand}重工股份有限公司", "{brand}精密机械有限公司", "{brand}装备制造有限公司",
              "{city}{brand}机床有限公司"),
             "机械", "mach", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("三坐标测量机", "CMM", "几何量"), ("万能材料试验机", "UT", "力学计量"),
                                      ("布氏硬度计", "HB", "力学计量"), ("激光跟踪仪", "LT", "几何量")), (150, 15000)),
    Industry("food", "食品饮料", 6,
             ("{brand}食品有限公司", "{brand}乳业有限公司", "{brand}饮料股份有限公司", "{city}{brand}食品科技有限公司"),
             "食品", "food", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("水分测定仪", "MA", "化学计量"), ("酸度计", "PH", "化学计量"),
                                      ("冷库温度记录仪", "CT", "温度计量"), ("电子汽车衡", "SCS", "质量计量")), (100, 5000)),
    Industry("chemical", "化工新材料", 6,
             ("{brand}化工有限公司", "{brand}新材料股份有限公司", "{brand}涂料有限公司", "{city}{brand}化学有限公司"),
             "化工", "chem", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("气相色谱仪", "GC", "化学计量"), ("旋转粘度计", "VS", "化学计量"),
                                      ("密度计", "DM", "化学计量"), ("可燃气体检测报警仪", "GA", "化学计量")), (100, 6000)),
    Industry("battery", "新能源电池", 5,
             ("{brand}新能源电池有限公司", "{brand}动力电池股份有限公司", "{brand}储能科技有限公司"),
             "电池", "power", "91", "lab", MANUFACTURING_ROLES,
             LAB_EQUIPMENT_GENERAL + (("电池充放电测试仪", "BT", "电学计量"), ("内阻测试仪", "RT", "电学计量"),
                                      ("高低温试验箱", "GD", "环境试验"), ("耐压绝缘测试仪", "HV", "电学计量")), (300, 15000)),
    Industry("finance", "金融", 6,
             ("{city}农村商业银行股份有限公司", "{brand}证券股份有限公司", "{brand}人寿保险股份有限公司",
              "{city}{brand}村镇银行股份有限公司", "{brand}财产保险股份有限公司"),
             "金融", "fin", "91", "it", IT_ROLES,
             (("机架式服务器", "SRV", "服务器"), ("存储阵列", "STO", "存储"), ("核心交换机", "SW", "网络"),
              ("下一代防火墙", "FW", "安全"), ("UPS不间断电源", "UPS", "机房动力"), ("精密空调", "AC", "机房动力")), (300, 9000)),
    Industry("it", "信息技术", 6,
             ("{brand}信息技术有限公司", "{brand}网络科技有限公司", "{brand}软件股份有限公司", "{brand}数据科技有限公司"),
             "科技", "soft", "91", "it", TECH_ROLES,
             (("机架式服务器", "SRV", "服务器"), ("存储阵列", "STO", "存储"), ("接入交换机", "SW", "网络"),
              ("负载均衡器", "LB", "网络"), ("UPS不间断电源", "UPS", "机房动力")), (80, 5000)),
    Industry("logistics", "物流与供应链", 4,
             ("{brand}物流有限公司", "{brand}供应链管理有限公司", "{city}{brand}冷链物流有限公司"),
             "物流", "logi", "91", "it", TECH_ROLES,
             (("电子汽车衡", "SCS", "质量计量"), ("冷链温度记录仪", "CT", "温度计量"), ("机架式服务器", "SRV", "服务器"),
              ("手持终端", "PDA", "终端")), (100, 8000)),
)


class Offering(NamedTuple):
    code: str
    name: str
    category: str
    focus: str  # lab | it | any
    description: str
    value_range: tuple[int, int]  # yuan per year


OFFERINGS: tuple[Offering, ...] = (
    Offering("CAL-STD", "校准服务", "standard", "lab",
             "计量器具周期校准，出具带 CNAS 标识的校准证书。", (20_000, 600_000)),
    Offering("CAL-ONSITE", "现场校准", "standard", "lab",
             "大型或不便搬运设备的现场校准，工程师携标准器上门。", (30_000, 400_000)),
    Offering("TST-STD", "检测服务", "standard", "lab",
             "产品与材料检测，出具 CMA/CNAS 检测报告。", (30_000, 1_200_000)),
    Offering("TST-ENV", "环境与可靠性试验", "standard", "lab",
             "高低温、湿热、盐雾、振动等环境与可靠性试验。", (20_000, 500_000)),
    Offering("EQP-MAINT", "设备维护保养", "standard", "any",
             "按计划对设备进行预防性维护与保养。", (15_000, 300_000)),
    Offering("ITO-OPS", "IT 系统运维", "standard", "it",
             "服务器、存储、网络与数据库的日常运维与巡检。", (80_000, 2_000_000)),
    Offering("ITO-DESK", "桌面运维服务", "standard", "it",
             "终端、打印与办公网络的桌面支持。", (40_000, 600_000)),
    Offering("VAS-247", "7×24 远程支持", "value_added", "any",
             "全天候热线与远程诊断，重大故障即时响应。", (20_000, 300_000)),
    Offering("VAS-ONSITE", "驻场服务", "value_added", "any",
             "工程师常驻客户现场，负责日常服务与应急处理。", (150_000, 900_000)),
    Offering("VAS-TRAIN", "培训", "value_added", "any",
             "计量、质量与信息系统相关的专题培训与考核。", (5_000, 80_000)),
    Offering("VAS-ANNUAL", "年度体检报告", "value_added", "any",
             "年度设备与系统健康评估，给出风险清单与改进建议。", (10_000, 120_000)),
    Offering("VAS-FAST", "加急报告服务", "value_added", "lab",
             "24/48 小时加急出具检测或校准报告。", (10_000, 200_000)),
    Offering("VAS-LEDGER", "仪器设备台账托管", "value_added", "lab",
             "代管计量器具台账，到期前主动提醒并安排送检。", (10_000, 150_000)),
    Offering("VAS-PT", "能力验证辅导", "value_added", "lab",
             "协助客户实验室参加能力验证与 CNAS 评审准备。", (15_000, 100_000)),
    Offering("VAS-PICKUP", "上门取送样", "value_added", "lab",
             "专人定期上门取样、送还设备与报告。", (5_000, 60_000)),
    Offering("VAS-DR", "灾备演练", "value_added", "it",
             "每年组织容灾切换演练并出具演练报告。", (30_000, 250_000)),
)

STAFF_TEAMS_MANAGERS = ("华东大客户部", "华南大客户部", "华北大客户部", "中西部大客户部")
STAFF_TEAMS_FIELD = ("计量校准服务组", "检测服务组", "IT 运维服务组")
STAFF_EMAIL_DOMAIN = "zhongheng-service.com.cn"
TEAM_ROLES_FIELD = ("驻场工程师", "计量工程师", "实施工程师", "检测工程师", "运维工程师")

REPORT_USAGE = {
    "lab": ("内部质量控制", "客户验厂与第二方审核", "产品出口认证", "监管部门备案", "招投标资质证明",
            "内部质量控制；偶尔用于诉讼举证", "CNAS 实验室认可评审"),
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
    "lab": ("常规 5 个工作日出具报告", "常规 7 个工作日，紧急样品 48 小时", "要求 24 小时内出具报告",
            "随到随检，当天出具结果", "月底集中送检，月初 3 日内出具", "重大节假日前完成全部到期校准"),
    "it": ("故障 2 小时内响应、4 小时到场", "7×24 小时响应，重大故障 30 分钟内到场", "工作日 8:30–17:30 驻场支持",
           "变更须提前 3 个工作日申请"),
}
CLIENT_TAGS = ("CNAS", "出口业务", "加急需求多", "多地工厂", "重点保障", "集团客户", "价格敏感", "上市公司", "国企", "外资")
