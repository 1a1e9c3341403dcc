"""Generate the demo seed data deterministically: ``python -m carbonid_idnode.seed.generate [--out DIR]``.

48 fictional enterprises (names are invented; region and industry codes are real GB/T 2260 and
GB/T 4754-2017 codes) in 7 provinces and 9 industry classes, each under its own enterprise prefix, with an
enterprise basic-information record and 24 monthly energy-activity records, plus the two metadata templates
they follow. Magnitudes are plausible for each industry; within an industry each enterprise gets an
efficiency multiplier so that carbon intensities spread across the carbon-efficiency grades.

The 24 months are the ones ending with the last complete month when the data was generated (2026-10); they
are fixed here so that regenerating gives byte-identical files.
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from carbonid_contracts.codes.uscc import uscc_check_character

SEED_DIR = Path(__file__).parent
RNG_SEED = 20261101
FIRST_MONTH = (2024, 11)
MONTHS = 24
TEMPLATE_VERSION = "1.0"
PLATFORM_PREFIX = "88.118.1"
ENTERPRISE_TEMPLATE = f"{PLATFORM_PREFIX}/META.ENTERPRISE_INFO"
ACTIVITY_TEMPLATE = f"{PLATFORM_PREFIX}/META.ENERGY_ACTIVITY"
ADMIN_SUFFIX = "ADMIN"
ADMIN_INDEX = 300
ADMIN_PERMISSIONS = "111111111111"

# GB/T 2260 names of every code used below.
REGIONS: dict[str, str] = {
    "130000": "河北省", "130200": "唐山市", "130207": "丰南区", "130283": "迁安市",
    "130400": "邯郸市", "130406": "峰峰矿区", "130500": "邢台市", "130582": "沙河市",
    "320000": "江苏省", "320100": "南京市", "320116": "六合区", "320200": "无锡市", "320281": "江阴市",
    "320400": "常州市", "320412": "武进区", "320500": "苏州市", "320581": "常熟市", "320582": "张家港市",
    "321100": "镇江市", "321102": "京口区",
    "330000": "浙江省", "330100": "杭州市", "330110": "余杭区", "330200": "宁波市", "330211": "镇海区",
    "330400": "嘉兴市", "330482": "平湖市", "330500": "湖州市", "330502": "吴兴区", "330503": "南浔区",
    "330521": "德清县", "330522": "长兴县", "330523": "安吉县", "330600": "绍兴市", "330603": "柯桥区",
    "330800": "衢州市", "330802": "柯城区", "330881": "江山市",
    "340000": "安徽省", "340100": "合肥市", "340181": "巢湖市", "340500": "马鞍山市", "340503": "花山区",
    "340504": "雨山区", "341100": "滁州市", "341126": "凤阳县",
    "350000": "福建省", "350100": "福州市", "350181": "福清市", "350500": "泉州市", "350582": "晋江市",
    "350583": "南安市", "350700": "南平市", "350781": "邵武市",
    "370000": "山东省", "370300": "淄博市", "370305": "临淄区", "370700": "潍坊市", "370781": "青州市",
    "371100": "日照市", "371102": "东港区", "371600": "滨州市", "371602": "滨城区",
    "440000": "广东省", "440100": "广州市", "440115": "南沙区", "440600": "佛山市", "440605": "南海区",
    "440606": "顺德区",
}  # fmt: skip

# One secondary node (top prefix) per province; a "86." root shows that nothing may assume "88".
SECONDARY_NODES: dict[str, tuple[str, str, str]] = {
    # province: (top prefix, secondary node name, national top-level node)
    "330000": ("88.118", "浙江绿色低碳标识解析二级节点", "上海"),
    "320000": ("88.132", "江苏工业互联网标识解析二级节点", "上海"),
    "370000": ("88.137", "山东工业互联网标识解析二级节点", "北京"),
    "130000": ("88.113", "河北工业互联网标识解析二级节点", "北京"),
    "440000": ("88.144", "广东工业互联网标识解析二级节点", "广州"),
    "340000": ("88.134", "安徽工业互联网标识解析二级节点", "上海"),
    "350000": ("86.135", "福建工业互联网标识解析二级节点", "上海"),
}

NORTHERN_HEATING = frozenset({"130000", "370000"})


@dataclass(frozen=True)
class IndustryProfile:
    """GB/T 4754-2017 class with a reference enterprise's monthly quantities (size 1, efficiency 1)."""

    code: str
    section: str
    name: str
    words: tuple[str, ...]
    added_value: float  # 10^4 CNY per month
    energy: dict[str, float]
    seasonal: tuple[float, ...] = (0.9, 0.72, 0.95, 1.0, 1.02, 1.0, 0.97, 0.96, 1.02, 1.05, 1.06, 1.08)


INDUSTRIES: dict[str, IndustryProfile] = {
    "3011": IndustryProfile(
        "3011", "C", "水泥制造", ("水泥", "建材"), 3000,
        {"electricityPurchased": 9000, "rawCoal": 14000, "diesel": 40, "gasoline": 3, "limestoneProcess": 150000},
        (0.88, 0.6, 0.95, 1.05, 1.05, 0.95, 0.88, 0.86, 1.0, 1.1, 1.12, 1.1),
    ),
    "3120": IndustryProfile(
        "3120", "C", "炼钢", ("钢铁", "特钢"), 5000,
        {"electricityPurchased": 40000, "naturalGas": 60, "coke": 1000, "limestoneProcess": 3000, "diesel": 20},
    ),
    "2211": IndustryProfile(
        "2211", "C", "木竹浆制造", ("浆纸", "纸业"), 2500,
        {"electricityPurchased": 6000, "electricityExported": 500, "rawCoal": 8000, "fuelOil": 150,
         "diesel": 25, "limestoneProcess": 600},
    ),
    "2614": IndustryProfile(
        "2614", "C", "有机化学原料制造", ("化工", "石化"), 4000,
        {"electricityPurchased": 8000, "naturalGas": 200, "anthracite": 3000, "purchasedSteam": 30000, "lpg": 5},
    ),
    "1713": IndustryProfile(
        "1713", "C", "棉印染精加工", ("印染", "纺织印染"), 800,
        {"electricityPurchased": 2000, "naturalGas": 20, "purchasedSteam": 15000, "diesel": 3},
        (0.95, 0.6, 1.0, 1.05, 1.05, 1.0, 0.95, 0.95, 1.05, 1.08, 1.08, 1.04),
    ),
    "3311": IndustryProfile(
        "3311", "C", "金属结构制造", ("钢结构", "金属结构"), 1500,
        {"electricityPurchased": 800, "naturalGas": 5, "diesel": 30, "gasoline": 4, "lpg": 8, "purchasedHeat": 1500},
    ),
    "4411": IndustryProfile(
        "4411", "D", "火力发电", ("发电", "能源"), 8000,
        {"electricityPurchased": 1500, "rawCoal": 180000, "diesel": 50, "limestoneProcess": 4000,
         "electricityGenerated": 600000},
        (1.12, 0.95, 0.92, 0.88, 0.92, 1.0, 1.15, 1.18, 1.0, 0.9, 0.95, 1.08),
    ),
    "3041": IndustryProfile(
        "3041", "C", "平板玻璃制造", ("玻璃", "新材料"), 800,
        {"electricityPurchased": 1500, "naturalGas": 300, "limestoneProcess": 1800, "diesel": 10},
        (1.0, 0.97, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0),
    ),
    "1011": IndustryProfile(
        "1011", "B", "石灰石、石膏开采", ("矿业", "石料"), 600,
        {"electricityPurchased": 1500, "diesel": 300, "gasoline": 5},
    ),
}  # fmt: skip

# (industry class, county) of each enterprise; the first one gets 88.118.8, the demo prefix.
ENTERPRISES: list[tuple[str, str]] = [
    ("3011", "330522"), ("3011", "330523"), ("3011", "330881"), ("3011", "340181"), ("3011", "370781"),
    ("3011", "350583"),
    ("3120", "320582"), ("3120", "320281"), ("3120", "130283"), ("3120", "130207"), ("3120", "340504"),
    ("2211", "330523"), ("2211", "330521"), ("2211", "371102"), ("2211", "350781"), ("2211", "321102"),
    ("2614", "330211"), ("2614", "370305"), ("2614", "320116"), ("2614", "440115"), ("2614", "330802"),
    ("1713", "330603"), ("1713", "330603"), ("1713", "330502"), ("1713", "350582"), ("1713", "440605"),
    ("1713", "320581"),
    ("3311", "330503"), ("3311", "330521"), ("3311", "330110"), ("3311", "320412"), ("3311", "440606"),
    ("3311", "340503"),
    ("4411", "330522"), ("4411", "330211"), ("4411", "371602"), ("4411", "130406"), ("4411", "440115"),
    ("3041", "130582"), ("3041", "130582"), ("3041", "350181"), ("3041", "330482"), ("3041", "341126"),
    ("1011", "330522"), ("1011", "330523"), ("1011", "330521"), ("1011", "340181"), ("1011", "370781"),
]  # fmt: skip

EFFICIENCY_SPREAD = {5: (0.5, 0.8, 1.15, 1.7, 3.0), 6: (0.45, 0.65, 0.9, 1.1, 1.6, 3.0)}

BRANDS = (
    "青山", "华达", "恒信", "宏远", "金鼎", "东方", "永盛", "瑞丰", "鑫源", "天成", "嘉禾", "博远", "新峰", "众诚",
    "海创", "通泰", "安泰", "昌盛", "润达", "长荣", "中联", "兴旺", "泰和", "盛世", "蓝天", "明珠", "富春", "汇丰",
    "凯盛", "信达", "三和", "鸿运", "方圆", "卓越", "银河", "远航", "福泰", "正大", "广源", "金桥", "华盛", "立信",
    "宝丰", "德润", "同创", "永安", "江南", "太湖", "北辰", "南华",
)  # fmt: skip
ROADS = ("工业大道", "经济开发区纬三路", "滨江路", "环城北路", "创业路", "园区大道", "兴业路", "新港路")


@dataclass(frozen=True)
class ActivityItem:
    """One attribute of the energy-activity template."""

    index: int
    code: str
    name: str
    en_name: str
    data_type: int  # 1 string, 2 number, 3 date
    unit: str | None = None
    accuracy: int | None = None
    required: bool = False
    date_format: str | None = None


ACTIVITY_ITEMS: tuple[ActivityItem, ...] = (
    ActivityItem(2000, "periodMonth", "统计月份", "Reporting month", 3, required=True, date_format="YYYY-MM"),
    ActivityItem(2001, "periodStart", "统计期开始日期", "Period start", 3, required=True, date_format="YYYY-MM-DD"),
    ActivityItem(2002, "periodEnd", "统计期结束日期", "Period end", 3, required=True, date_format="YYYY-MM-DD"),
    ActivityItem(2003, "enterpriseHandle", "企业基础信息标识", "Enterprise identifier", 1, required=True),
    ActivityItem(2004, "electricityPurchased", "外购电力", "Electricity purchased", 2, "MWh", 3, required=True),
    ActivityItem(2005, "electricityExported", "输出电力", "Electricity exported", 2, "MWh", 3),
    ActivityItem(2006, "rawCoal", "原煤（烟煤）", "Raw coal (bituminous)", 2, "t", 3),
    ActivityItem(2007, "anthracite", "无烟煤", "Anthracite", 2, "t", 3),
    ActivityItem(2008, "coke", "焦炭", "Coke", 2, "t", 3),
    ActivityItem(2009, "naturalGas", "天然气", "Natural gas", 2, "10^4 Nm3", 4),
    ActivityItem(2010, "diesel", "柴油", "Diesel", 2, "t", 3),
    ActivityItem(2011, "gasoline", "汽油", "Gasoline", 2, "t", 3),
    ActivityItem(2012, "fuelOil", "燃料油", "Fuel oil", 2, "t", 3),
    ActivityItem(2013, "lpg", "液化石油气", "Liquefied petroleum gas", 2, "t", 3),
    ActivityItem(2014, "purchasedHeat", "外购热力", "Purchased heat", 2, "GJ", 2),
    ActivityItem(2015, "purchasedSteam", "外购蒸汽", "Purchased steam", 2, "t", 2),
    ActivityItem(2016, "steamEnthalpy", "外购蒸汽焓值", "Purchased steam enthalpy", 2, "kJ/kg", 0),
    ActivityItem(2017, "limestoneProcess", "工艺用石灰石（CaCO3）", "Process limestone (CaCO3)", 2, "t", 3),
    ActivityItem(2018, "pvGeneration", "自有光伏发电量", "Own photovoltaic generation", 2, "MWh", 3),
    ActivityItem(2019, "electricityGenerated", "发电量", "Electricity generated", 2, "MWh", 3),
    ActivityItem(2020, "industrialAddedValue", "工业增加值", "Industrial added value", 2, "10^4 CNY", 2, required=True),
    ActivityItem(2021, "dataSource", "数据来源", "Data source (meter/invoice/estimate)", 1),
)
ITEM_BY_CODE = {item.code: item for item in ACTIVITY_ITEMS}

ENTERPRISE_ITEMS: tuple[ActivityItem, ...] = (
    ActivityItem(2000, "orgName", "企业名称", "Organisation name", 1, required=True),
    ActivityItem(2001, "orgCrtCode", "统一社会信用代码", "Unified social credit code", 1, required=True),
    ActivityItem(2002, "orgCrtType", "证件类型", "Certificate type (1 = USCC)", 1, required=True),
    ActivityItem(2003, "orgAddrProvince", "所在省", "Province code (GB/T 2260)", 1, required=True),
    ActivityItem(2004, "orgAddrCity", "所在市", "City code (GB/T 2260)", 1, required=True),
    ActivityItem(2005, "orgAddrCounty", "所在区县", "County code (GB/T 2260)", 1, required=True),
    ActivityItem(2006, "industryCategory", "行业门类", "Industry section (GB/T 4754)", 1, required=True),
    ActivityItem(2007, "industrySpecific", "行业大类", "Industry division (GB/T 4754)", 1, required=True),
    ActivityItem(2008, "orgAddr", "企业地址", "Address", 1),
    ActivityItem(2009, "provinceName", "省名称", "Province name", 1),
    ActivityItem(2010, "cityName", "市名称", "City name", 1),
    ActivityItem(2011, "countyName", "区县名称", "County name", 1),
    ActivityItem(2012, "industryClass", "行业小类", "Industry class (GB/T 4754)", 1, required=True),
    ActivityItem(2013, "industryClassName", "行业小类名称", "Industry class name", 1),
    ActivityItem(2014, "establishDate", "成立日期", "Establishment date", 3, date_format="YYYY-MM-DD"),
    ActivityItem(2015, "activityHandlePattern", "能源活动数据标识模式", "Energy activity identifier pattern", 1),
)

_DATA_TYPE_NAMES = {1: "字符型", 2: "数值型", 3: "日期型"}
_PV_SEASON = (0.6, 0.7, 0.9, 1.0, 1.1, 1.05, 1.15, 1.2, 1.0, 0.9, 0.7, 0.6)
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def organisation_code(rng: random.Random) -> str:
    """A nine-character organisation code (GB 11714) with its own check character."""
    body = [rng.randrange(10) for _ in range(8)]
    check = 11 - sum(d * w for d, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return "".join(map(str, body)) + {10: "X", 11: "0"}.get(check, str(check))


def uscc_for(county: str, rng: random.Random) -> str:
    """``9`` (registered by market regulation) ``1`` (enterprise), the county, the organisation code, a check."""
    first17 = "91" + county + organisation_code(rng)
    return first17 + uscc_check_character(first17)


def months() -> list[tuple[int, int]]:
    year, month = FIRST_MONTH
    out = []
    for _ in range(MONTHS):
        out.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _admin_value(prefix: str) -> dict[str, Any]:
    admin = {"handle": f"{prefix}/{ADMIN_SUFFIX}", "index": ADMIN_INDEX, "permissions": ADMIN_PERMISSIONS}
    return {"index": 100, "type": "HS_ADMIN", "data": {"format": "admin", "value": admin}}


def _template_json(handle: str, name: str, description: str, items: tuple[ActivityItem, ...]) -> dict[str, Any]:
    def item_json(item: ActivityItem) -> dict[str, Any]:
        max_length = 38 if item.data_type == 2 else 255
        return {
            "name": item.name,
            "cnName": item.name,
            "enName": item.en_name,
            "idType": item.code,
            "idIndex": item.index,
            "itemCode": item.code,
            "required": item.required,
            "state": 1,
            "dataType": item.data_type,
            "dataTypeString": _DATA_TYPE_NAMES[item.data_type],
            "unit": item.unit,
            "accuracy": item.accuracy,
            "dateFormat": item.date_format,
            "metadata": {"type": "string", "minLength": 1 if item.required else 0, "maxLength": max_length},
        }

    prefix = handle.partition("/")[0]
    return {
        "handle": handle,
        "prefix": prefix,
        "version": TEMPLATE_VERSION,
        "name": name,
        "description": description,
        "industryCategory": None,
        "industrySpecific": None,
        "industryTrade": None,
        "industrySubclass": None,
        "type": 2,
        "state": 1,
        "publishedTime": "2024-10-15 10:00:00",
        "items": [item_json(i) for i in items],
    }


def _template_record(template: dict[str, Any]) -> dict[str, Any]:
    text = json.dumps(template, ensure_ascii=False, separators=(",", ":"))
    return {
        "handle": template["handle"],
        "timestamp": "2024-10-15T02:00:00Z",
        "values": [
            _admin_value(PLATFORM_PREFIX),
            [2, "templateName", template["name"]],
            [3, "templateVersion", template["version"]],
            [4, "TEMPLATE_DEFINITION", text],
        ],
    }


def _fmt(quantity: float, accuracy: int) -> str:
    return f"{max(quantity, 0.0):.{accuracy}f}"


@dataclass
class Enterprise:
    prefix: str
    industry: IndustryProfile
    county: str
    name: str
    uscc: str
    size: float
    efficiency: float
    pv_capacity: float  # MWh per month at the seasonal mean; 0 without rooftop PV
    steam_enthalpy: int
    node_type: int
    create_date: str
    establish_date: str
    address: str

    @property
    def province(self) -> str:
        return self.county[:2] + "0000"

    @property
    def city(self) -> str:
        return self.county[:4] + "00"


def _build_enterprises(rng: random.Random) -> list[Enterprise]:
    brands = list(BRANDS)
    rng.shuffle(brands)
    by_industry: dict[str, list[int]] = {}
    for i, (code, _) in enumerate(ENTERPRISES):
        by_industry.setdefault(code, []).append(i)
    efficiency: dict[int, float] = {}
    for members in by_industry.values():
        spread = list(EFFICIENCY_SPREAD[len(members)])
        rng.shuffle(spread)
        for i, e in zip(members, spread, strict=True):
            efficiency[i] = round(e * rng.uniform(0.95, 1.05), 4)
    next_local = {"88.118": 8}
    used_codes: set[str] = set()
    out = []
    for i, (code, county) in enumerate(ENTERPRISES):
        top, _, _ = SECONDARY_NODES[county[:2] + "0000"]
        if top in next_local:
            local = str(next_local[top])
            next_local[top] += 1
        else:
            local = str(rng.randrange(100, 9999))
            while f"{top}.{local}" in used_codes:
                local = str(rng.randrange(100, 9999))
        prefix = f"{top}.{local}"
        used_codes.add(prefix)
        industry = INDUSTRIES[code]
        place = REGIONS[county].removesuffix("县").removesuffix("区").removesuffix("市")
        province_short = REGIONS[county[:2] + "0000"].removesuffix("省")
        form = "股份有限公司" if rng.random() < 0.25 else "有限公司"
        name = f"{province_short}{place}{brands[i]}{rng.choice(industry.words)}{form}"
        address = (
            f"{REGIONS[county[:2] + '0000']}{REGIONS[county[:4] + '00']}{REGIONS[county]}"
            f"{rng.choice(ROADS)}{rng.randrange(1, 999)}号"
        )
        create = f"{rng.randrange(2019, 2024)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        out.append(
            Enterprise(
                prefix=prefix,
                industry=industry,
                county=county,
                name=name,
                uscc=uscc_for(county, rng),
                size=round(rng.uniform(0.4, 1.8), 3),
                efficiency=efficiency[i],
                pv_capacity=round(rng.uniform(40, 400), 1) if rng.random() < 0.45 else 0.0,
                steam_enthalpy=rng.randrange(2700, 3060, 10),
                node_type=1 if rng.random() < 0.35 else 2,
                create_date=f"{create} {rng.randrange(8, 18):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}",
                establish_date=f"{rng.randrange(1995, 2016)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                address=address,
            )
        )
    return out


def _enterprise_record(ent: Enterprise) -> dict[str, Any]:
    industry = ent.industry
    attributes = {
        "orgName": ent.name,
        "orgCrtCode": ent.uscc,
        "orgCrtType": "1",
        "orgAddrProvince": ent.province,
        "orgAddrCity": ent.city,
        "orgAddrCounty": ent.county,
        "industryCategory": industry.section,
        "industrySpecific": industry.code[:2],
        "orgAddr": ent.address,
        "provinceName": REGIONS[ent.province],
        "cityName": REGIONS[ent.city],
        "countyName": REGIONS[ent.county],
        "industryClass": industry.code,
        "industryClassName": industry.name,
        "establishDate": ent.establish_date,
        "activityHandlePattern": f"{ent.prefix}/energy.{{YYYY-MM}}",
    }
    values: list[Any] = [
        _admin_value(ent.prefix),
        [1000, "TEMPLATE_ID", ENTERPRISE_TEMPLATE],
        [1001, "TEMPLATE", TEMPLATE_VERSION],
    ]
    values += [[item.index, item.code, attributes[item.code]] for item in ENTERPRISE_ITEMS]
    stamp = ent.create_date.replace(" ", "T") + "Z"
    return {"handle": f"{ent.prefix}/ENTERPRISE", "timestamp": stamp, "values": values}


def _activity_record(ent: Enterprise, year: int, month: int, step: int, rng: random.Random) -> dict[str, Any]:
    industry = ent.industry
    production = industry.seasonal[month - 1] * (1 + 0.0025 * step) * rng.gauss(1.0, 0.035)
    added_value = industry.added_value * ent.size * production * rng.gauss(1.0, 0.03)
    quantities: dict[str, float] = {}
    for code, base in industry.energy.items():
        if code == "purchasedHeat" and (ent.province not in NORTHERN_HEATING or month not in (11, 12, 1, 2, 3)):
            continue
        scale = ent.size * production * rng.gauss(1.0, 0.04)
        # Generation and export follow output, not the plant's efficiency.
        efficiency = 1.0 if code in ("electricityGenerated", "electricityExported") else ent.efficiency
        quantities[code] = base * scale * efficiency
    if "purchasedSteam" in quantities:
        quantities["steamEnthalpy"] = ent.steam_enthalpy
    if ent.pv_capacity:
        quantities["pvGeneration"] = ent.pv_capacity * _PV_SEASON[month - 1] * rng.gauss(1.0, 0.06)
    last_day = calendar.monthrange(year, month)[1]
    attributes: dict[str, str] = {
        "periodMonth": f"{year}-{month:02d}",
        "periodStart": f"{year}-{month:02d}-01",
        "periodEnd": f"{year}-{month:02d}-{last_day:02d}",
        "enterpriseHandle": f"{ent.prefix}/ENTERPRISE",
    }
    for code, quantity in quantities.items():
        attributes[code] = _fmt(quantity, ITEM_BY_CODE[code].accuracy or 0)
    attributes["industrialAddedValue"] = _fmt(added_value, 2)
    attributes["dataSource"] = "meter" if rng.random() < 0.8 else "invoice"
    values: list[Any] = [
        _admin_value(ent.prefix),
        [1000, "TEMPLATE_ID", ACTIVITY_TEMPLATE],
        [1001, "TEMPLATE", TEMPLATE_VERSION],
    ]
    values += [[item.index, item.code, attributes[item.code]] for item in ACTIVITY_ITEMS if item.code in attributes]
    ny, nm = (year + 1, 1) if month == 12 else (year, month + 1)
    stamp = f"{ny}-{nm:02d}-{rng.randrange(3, 9):02d}T{rng.randrange(1, 10):02d}:{rng.randrange(60):02d}:00Z"
    return {"handle": f"{ent.prefix}/energy.{year}-{month:02d}", "timestamp": stamp, "values": values}


DEVICE_TEMPLATE = f"{PLATFORM_PREFIX}/META.METER_DEVICE"
# Active identifier carriers (meters) per energy item of the monthly record: (activity item, carrier, emission
# source, device unit, register kind, multiplier / CT ratio, rollover of the register, name). A device's rated
# maximum per hour is three times its enterprise's mean hourly use, in the device's unit after the multiplier.
_DEVICE_KINDS: tuple[tuple[str, str, str, str, str, int, str | None, str], ...] = (
    ("electricityPurchased", "electricity", "electricity.purchased", "kWh", "cumulative", 200, "99999999", "电能表"),
    ("naturalGas", "natural_gas", "fuel.natural_gas", "m3", "cumulative", 1, "99999999", "天然气流量计"),
    ("purchasedSteam", "steam", "steam.purchased", "t", "interval", 1, None, "蒸汽流量计"),
    ("rawCoal", "coal", "fuel.bituminous_coal", "t", "interval", 1, None, "皮带秤"),
    ("diesel", "diesel", "fuel.diesel", "kg", "cumulative", 1, "9999999", "柴油流量计"),
    ("purchasedHeat", "heat", "heat.purchased", "GJ", "cumulative", 1, "9999999", "热量表"),
)
_HOURS_PER_MONTH = 730
_DEVICE_UNIT_SCALE = {"kWh": 1000, "m3": 10_000, "kg": 1000, "t": 1, "GJ": 1}


def _device_records(ent: Enterprise) -> list[dict[str, Any]]:
    """The enterprise's meters: each an identifier ``{prefix}/MTR-000n`` whose record says what it measures.

    Deterministic without the shared generator (so that adding devices left every other record unchanged).
    """
    records = []
    number = 0
    for item, carrier, source, unit, kind, multiplier, register_max, name in _DEVICE_KINDS:
        base = ent.industry.energy.get(item)
        if base is None:
            continue
        number += 1
        # the month's totals are in MWh, 10^4 Nm3, t and GJ; the meters count kWh, m3, kg, t and GJ
        rated = 3 * base * ent.size / _HOURS_PER_MONTH * _DEVICE_UNIT_SCALE[unit]
        attributes = {
            "deviceName": name,
            "deviceKind": "meter",
            "energyCarrier": carrier,
            "sourceCode": source,
            "unit": unit,
            "multiplier": str(multiplier),
            "registerKind": kind,
            "registerMax": register_max,
            "ratedMaxPerHour": f"{rated:.3f}",
            "intervalSeconds": "900",
            "enterpriseHandle": f"{ent.prefix}/ENTERPRISE",
            "status": "enabled",
        }
        values: list[Any] = [
            _admin_value(ent.prefix),
            [1000, "TEMPLATE_ID", DEVICE_TEMPLATE],
            [1001, "TEMPLATE", TEMPLATE_VERSION],
        ]
        values += [[2000 + i, key, value] for i, (key, value) in enumerate(attributes.items()) if value is not None]
        stamp = ent.create_date.replace(" ", "T") + "Z"
        records.append({"handle": f"{ent.prefix}/MTR-{number:04d}", "timestamp": stamp, "values": values})
    return records


def _prefix_info(ent: Enterprise) -> dict[str, Any]:
    top, node_name, ghr = SECONDARY_NODES[ent.province]
    return {
        "prefix": ent.prefix,
        "role": "enterprise",
        "parentPrefix": top,
        "secondaryNodeName": node_name,
        "ghrName": f"工业互联网标识解析国家顶级节点--{ghr}",
        "createDate": ent.create_date,
        "status": 1,
        "nodeType": ent.node_type,
        "nodeTypeName": "企业自建节点" if ent.node_type == 1 else "二级节点托管",
        "enterpriseHandle": f"{ent.prefix}/ENTERPRISE",
        "entDesc": f"{ent.industry.name}企业",
        "industryClass": ent.industry.code,
        "orgAddrCounty": ent.county,
    }


def build() -> tuple[dict[str, Any], dict[str, Any]]:
    rng = random.Random(RNG_SEED)  # noqa: S311 - reproducible demo data, not secrets
    enterprises = _build_enterprises(rng)
    records: list[dict[str, Any]] = [
        _template_record(
            _template_json(ENTERPRISE_TEMPLATE, "企业基础信息", "标识解析企业基础信息模板", ENTERPRISE_ITEMS)
        ),
        _template_record(
            _template_json(
                ACTIVITY_TEMPLATE, "企业月度能源活动数据", "规上工业企业月度能源消费与工业增加值", ACTIVITY_ITEMS
            )
        ),
        {"handle": f"{PLATFORM_PREFIX}/{ADMIN_SUFFIX}", "timestamp": "2024-10-15T02:00:00Z",
         "values": [_admin_value(PLATFORM_PREFIX)]},
    ]  # fmt: skip
    for ent in enterprises:
        records.append({"handle": f"{ent.prefix}/{ADMIN_SUFFIX}", "timestamp": ent.create_date.replace(" ", "T") + "Z",
                        "values": [_admin_value(ent.prefix)]})  # fmt: skip
        records.append(_enterprise_record(ent))
        for step, (year, month) in enumerate(months()):
            records.append(_activity_record(ent, year, month, step, rng))
        records += _device_records(ent)
    prefixes = [
        {
            "prefix": PLATFORM_PREFIX,
            "role": "metadata-publisher",
            "parentPrefix": "88.118",
            "secondaryNodeName": SECONDARY_NODES["330000"][1],
            "ghrName": "工业互联网标识解析国家顶级节点--上海",
            "createDate": "2024-09-01 09:00:00",
            "status": 1,
            "nodeType": 2,
            "nodeTypeName": "二级节点托管",
            "enterpriseHandle": None,
            "entDesc": "绿色低碳标识服务平台元数据模板发布前缀",
        },
        *(_prefix_info(e) for e in enterprises),
    ]
    summary = {
        "enterprises": len(enterprises),
        "provinces": len({e.province for e in enterprises}),
        "industries": len({e.industry.code for e in enterprises}),
        "months": [f"{y}-{m:02d}" for y, m in (months()[0], months()[-1])],
        "records": len(records),
    }
    return {"summary": summary, "prefixes": prefixes}, {"records": records}


def _dump_lines(key: str, items: list[Any], head: dict[str, Any] | None = None) -> str:
    lines = [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items]
    prologue = "".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},\n" for k, v in (head or {}).items())
    return "{\n" + prologue + f'"{key}": [\n' + ",\n".join(lines) + "\n]}\n"


def render() -> dict[str, str]:
    """File name → content of every seed file."""
    prefixes, records = build()
    return {
        "prefixes.json": _dump_lines("prefixes", prefixes["prefixes"], {"summary": prefixes["summary"]}),
        "records.json": _dump_lines("records", records["records"]),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Generate the identifier node's demo seed data")
    parser.add_argument("--out", type=Path, default=SEED_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, content in render().items():
        (args.out / name).write_text(content, encoding="utf-8")


if __name__ == "__main__":
    main()
