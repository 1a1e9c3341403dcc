"""Sample templates and records in the shapes the identifier node publishes (unit tests need no node)."""

from __future__ import annotations

from typing import Any

from carbonid_resolver.domain.records import NodeRecord, RecordValue

ACTIVITY_TEMPLATE = "88.118.1/META.ENERGY_ACTIVITY"


def item(index: int, code: str, data_type: int, *, unit: str | None = None, accuracy: int | None = None,
         required: bool = False, date_format: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "name": code, "cnName": code, "enName": code, "idType": code, "idIndex": index, "required": required,
        "state": 1, "dataType": data_type, "unit": unit, "accuracy": accuracy, "dateFormat": date_format,
        "metadata": {"type": "string", "minLength": 1 if required else 0, "maxLength": 38 if data_type == 2 else 255},
    }  # fmt: skip


def activity_template_document() -> dict[str, Any]:
    return {
        "handle": ACTIVITY_TEMPLATE,
        "prefix": "88.118.1",
        "version": "1.0",
        "name": "企业月度能源活动数据",
        "items": [
            item(2000, "periodMonth", 3, required=True, date_format="YYYY-MM"),
            item(2003, "enterpriseHandle", 1, required=True),
            item(2004, "electricityPurchased", 2, unit="MWh", accuracy=3, required=True),
            item(2006, "rawCoal", 2, unit="t", accuracy=3),
            item(2015, "purchasedSteam", 2, unit="t", accuracy=2),
            item(2016, "steamEnthalpy", 2, unit="kJ/kg", accuracy=0),
            item(2019, "electricityGenerated", 2, unit="MWh", accuracy=3),
            item(2020, "industrialAddedValue", 2, unit="10^4 CNY", accuracy=2, required=True),
        ],
    }


def record(handle: str, attributes: dict[str, str], *, template: str = ACTIVITY_TEMPLATE, version: str = "1.0",
           ttl: float | None = 86400) -> NodeRecord:  # fmt: skip
    indices = {i["idType"]: i["idIndex"] for i in activity_template_document()["items"]}
    values = [RecordValue(1000, "TEMPLATE_ID", template, ttl), RecordValue(1001, "TEMPLATE", version, ttl)]
    values += [RecordValue(indices.get(k, 2900 + n), k, v, ttl) for n, (k, v) in enumerate(attributes.items())]
    return NodeRecord(handle, tuple(values))


def month_record(month: str, **numbers: str) -> NodeRecord:
    attributes = {"periodMonth": month, "enterpriseHandle": "88.118.8/ENTERPRISE"}
    attributes.update({"electricityPurchased": "100.000", "industrialAddedValue": "10.00"})
    attributes.update(numbers)
    return record(f"88.118.8/energy.{month}", attributes)


def enterprise_record(**overrides: str) -> NodeRecord:
    attributes = {
        "orgName": "浙江长兴华达水泥股份有限公司",
        "orgCrtCode": "91330522600871272Q",
        "orgCrtType": "1",
        "orgAddrProvince": "330000",
        "orgAddrCity": "330500",
        "orgAddrCounty": "330522",
        "industryCategory": "C",
        "industrySpecific": "30",
        "industryClass": "3011",
        "industryClassName": "水泥制造",
        "activityHandlePattern": "88.118.8/energy.{YYYY-MM}",
    }
    attributes.update(overrides)
    values = tuple(RecordValue(2000 + n, k, v, 86400) for n, (k, v) in enumerate(attributes.items()) if v != "")
    return NodeRecord("88.118.8/ENTERPRISE", values)
