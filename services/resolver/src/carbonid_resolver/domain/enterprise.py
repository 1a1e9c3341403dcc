"""The typed enterprise profile built from an enterprise basic-information record."""

from __future__ import annotations

import re
from dataclasses import dataclass

from carbonid_contracts.codes.region import region_level
from carbonid_contracts.codes.regions import is_known
from carbonid_contracts.codes.uscc import uscc_is_valid
from carbonid_resolver.domain.errors import InvalidTemplateData, ItemError
from carbonid_resolver.domain.records import NodeRecord

_SECTION = re.compile(r"^[A-T]$")
_NUMERIC_INDUSTRY = re.compile(r"^\d{2}(\d{1,2})?$")


@dataclass(frozen=True, slots=True)
class EnterpriseProfile:
    prefix: str
    name: str
    uscc: str
    province_code: str
    city_code: str | None
    county_code: str | None
    industry_code: str
    """The finest GB/T 4754 code the node publishes: class (4 digits), else division, else section."""
    industry_category: str | None
    industry_name: str | None
    address: str | None
    activity_handle_pattern: str | None
    node_type: str = "unknown"

    @property
    def region_code(self) -> str:
        """The finest region known: county, else city, else province."""
        return self.county_code or self.city_code or self.province_code


_NODE_TYPES = {"1": "enterprise", "2": "secondary"}


def _region(
    attrs: dict[str, str], key: str, level: str, *, errors: list[ItemError], handle: str, required: bool
) -> str | None:
    code = (attrs.get(key) or "").strip()
    pointer = f"/records/{handle}/{key}"
    if not code:
        if required:
            errors.append(ItemError(pointer, "required", f"缺少地区代码 {key}", f"region code {key} missing"))
        return None
    if not re.fullmatch(r"[1-9]\d{5}", code) or not is_known(code):
        errors.append(
            ItemError(pointer, "unknown-region", f"未知的地区代码 {code}", f"{code} is not a known GB/T 2260 code")
        )
        return None
    if region_level(code) != level:
        errors.append(
            ItemError(pointer, "region-level", f"{code} 不是{level}级代码", f"{code} is not a {level}-level code")
        )
        return None
    return code


def profile_from_record(prefix: str, record: NodeRecord) -> EnterpriseProfile:
    """Validate and type the enterprise basic information; every problem is reported, none silently fixed."""
    attrs = record.by_type()
    h = record.handle
    errors: list[ItemError] = []
    name = (attrs.get("orgName") or "").strip()
    if not name or len(name) > 200:
        errors.append(ItemError(f"/records/{h}/orgName", "required", "缺少企业名称", "organisation name missing"))
    uscc = (attrs.get("orgCrtCode") or "").strip().upper()
    crt_type = (attrs.get("orgCrtType") or "1").strip()
    if crt_type != "1":
        errors.append(
            ItemError(
                f"/records/{h}/orgCrtType",
                "not-uscc",
                "证件类型不是统一社会信用代码",
                "the certificate type is not a unified social credit code",
            )
        )
    elif not uscc_is_valid(uscc):
        errors.append(
            ItemError(
                f"/records/{h}/orgCrtCode",
                "invalid-uscc",
                f"统一社会信用代码 {uscc or '(空)'} 校验失败 (GB 32100-2015)",
                f"unified social credit code {uscc or '(empty)'} fails its check (GB 32100-2015)",
            )
        )
    province = _region(attrs, "orgAddrProvince", "province", errors=errors, handle=h, required=True)
    city = _region(attrs, "orgAddrCity", "city", errors=errors, handle=h, required=False)
    county = _region(attrs, "orgAddrCounty", "county", errors=errors, handle=h, required=False)
    if province and city and city[:2] != province[:2]:
        errors.append(
            ItemError(f"/records/{h}/orgAddrCity", "region-nesting", "市不在该省内", "the city is not in the province")
        )
    if province and county and county[:2] != province[:2]:
        errors.append(
            ItemError(
                f"/records/{h}/orgAddrCounty", "region-nesting", "区县不在该省内", "the county is not in the province"
            )
        )
    industry = ""
    for key in ("industryClass", "industrySubclass", "industryTrade", "industrySpecific"):
        candidate = (attrs.get(key) or "").strip()
        if candidate:
            if not _NUMERIC_INDUSTRY.match(candidate):
                errors.append(
                    ItemError(
                        f"/records/{h}/{key}",
                        "invalid-industry",
                        f"行业代码 {candidate} 无效",
                        f"{candidate} is not GB/T 4754",
                    )
                )
            industry = candidate
            break
    category = (attrs.get("industryCategory") or "").strip().upper() or None
    if category is not None and not _SECTION.match(category):
        errors.append(
            ItemError(
                f"/records/{h}/industryCategory",
                "invalid-industry",
                f"行业门类 {category} 无效",
                f"{category} is not a section",
            )
        )
        category = None
    if not industry:
        if category is None:
            errors.append(
                ItemError(f"/records/{h}/industryClass", "required", "缺少行业分类", "industry classification missing")
            )
        industry = category or ""
    if errors or province is None:
        raise InvalidTemplateData(h, errors)
    return EnterpriseProfile(
        prefix=prefix,
        name=name,
        uscc=uscc,
        province_code=province,
        city_code=city,
        county_code=county,
        industry_code=industry,
        industry_category=category,
        industry_name=(attrs.get("industryClassName") or None),
        address=(attrs.get("orgAddr") or None),
        activity_handle_pattern=(attrs.get("activityHandlePattern") or None),
        node_type=_NODE_TYPES.get((attrs.get("nodeType") or "").strip(), "unknown"),
    )


def activity_handle(pattern: str, prefix: str, month: str) -> str:
    """The monthly energy record of ``month`` (``2025-07``).

    ``{prefix}/energy.{YYYY-MM}`` gives ``88.118.8/energy.2025-07``; ``{YYYYMM}``, ``{YYYY}``, ``{MM}`` work too.
    """
    year, mm = month.split("-")
    return (
        pattern.replace("{prefix}", prefix)
        .replace("{YYYY-MM}", month)
        .replace("{YYYYMM}", year + mm)
        .replace("{YYYY}", year)
        .replace("{MM}", mm)
    )
