"""What a report shows, assembled once from a stored calculation; the HTML and the PDF render the same model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from carbonid_calculator.db import Calculation, EnterpriseView

STATE_ZH = {"draft": "草稿", "computed": "已计算（未确认）", "confirmed": "已确认"}
CATEGORY_ZH = {
    "combustion": "化石燃料燃烧",
    "process": "工业生产过程",
    "electricity": "净购入电力",
    "heat": "净购入热力",
}
SCOPE_ZH = {"scope1": "范围一（直接排放）", "scope2": "范围二（外购电力、热力）"}
CARRIER_ZH = {
    "coal": "煤炭",
    "oil": "石油",
    "gas": "天然气",
    "electricity": "电力",
    "heat": "热力",
    "process": "工业过程",
    "other": "其他",
}


@dataclass(frozen=True)
class ReportModel:
    calculation_id: str
    state: str
    enterprise_name: str
    uscc: str
    identifier_prefix: str
    region_code: str
    sub_industry: str
    period: str
    added_value: str
    factor_set_id: str
    input_hash: str
    computed_at: str
    confirmed_at: str
    summary: dict[str, Any]
    result: dict[str, Any]
    reductions_note: str | None

    @property
    def basic_information(self) -> list[tuple[str, str]]:
        """一、基本信息: the same rows in the HTML page and the PDF."""
        grid, r = self.result["grid_factor"], self.result
        return [
            ("企业名称", self.enterprise_name),
            ("统一社会信用代码", self.uscc),
            ("企业标识前缀", self.identifier_prefix),
            ("行政区划代码", self.region_code),
            ("细分行业", self.sub_industry),
            ("核算周期", self.period),
            ("排放因子集", self.factor_set_id),
            ("电网排放因子", f"{grid['tco2_per_mwh']} tCO2/MWh：{grid['explanation_zh']}"),
            ("电力折标", r["electricity_convention_zh"]),
            ("计算状态", self.state),
            ("计算时间 / 确认时间", f"{self.computed_at} / {self.confirmed_at}"),
            ("输入哈希（SHA-256）", self.input_hash),
        ]

    @property
    def headline(self) -> list[tuple[str, str]]:
        s, n = self.summary, self.result["neutralisation"]
        rate = s.get("neutralisation_rate", "0")
        return [
            ("碳排放总量（tCO2）", s["total_emissions_tco2"]),
            ("净排放量（tCO2）", s["net_emissions_tco2"]),
            ("碳中和量（tCO2）", s["reductions"]["neutralisation_tco2"]),
            ("碳中和率", f"{rate}（{_percent(rate)}）"),
            ("碳排放强度（tCO2/万元）", s["intensity_tco2_per_10k_cny"]),
            ("综合能源消费量（tce）", s["energy_tce"]),
            ("生物质燃烧 CO2（单独报告，tCO2）", s["biomass_emissions_tco2"]),
            ("工业增加值（万元）", self.added_value),
            ("自建可再生能源计入电量（MWh）", n["own_renewable_credited_mwh"]),
        ]

    @property
    def by_scope(self) -> list[tuple[str, str]]:
        return [(SCOPE_ZH.get(k, k), v) for k, v in self.summary["by_scope"].items()]

    @property
    def by_category(self) -> list[tuple[str, str]]:
        return [(CATEGORY_ZH.get(k, k), v) for k, v in self.summary["by_category"].items()]

    @property
    def by_carrier(self) -> list[tuple[str, str, str]]:
        return [
            (CARRIER_ZH.get(c["carrier"], c["carrier"]), c["emissions_tco2"], c["energy_tce"])
            for c in self.summary["by_carrier"]
            if c["emissions_tco2"] not in ("0", "0.00") or c["energy_tce"] not in ("0", "0.00")
        ]


def _percent(rate: str) -> str:
    from decimal import ROUND_HALF_UP, Decimal

    return f"{(Decimal(rate) * 100).quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}%"


def report_model(calc: Calculation, enterprise: EnterpriseView | None, industry_name: str | None) -> ReportModel:
    assert calc.result is not None
    return ReportModel(
        calculation_id=str(calc.id),
        state=STATE_ZH.get(calc.state, calc.state),
        enterprise_name=enterprise.name if enterprise else str(calc.enterprise_id),
        uscc=enterprise.uscc if enterprise else "—",
        identifier_prefix=calc.identifier_prefix or "—",
        region_code=calc.region_code,
        sub_industry=f"{calc.sub_industry_code} {industry_name or ''}".strip(),
        period=calc.period,
        added_value=format(calc.added_value_10k_cny, "f"),
        factor_set_id=calc.factor_set_id,
        input_hash=calc.input_hash or "",
        computed_at=calc.computed_at.isoformat(timespec="seconds") if calc.computed_at else "—",
        confirmed_at=calc.confirmed_at.isoformat(timespec="seconds") if calc.confirmed_at else "—",
        summary=calc.result["summary"],
        result=calc.result,
        reductions_note=(calc.reductions or {}).get("note"),
    )


def operands_text(step: dict[str, Any]) -> str:
    """Operands of a trace step in one line: ``NCV=23.204 GJ/t [实测]``."""
    parts = []
    for o in step["operands"]:
        mark = "［实测］" if o["measured"] else ("［假设］" if o["assumption"] else "")
        parts.append(f"{o['name']}={o['value']} {o['unit']}{mark}".strip())
    return "；".join(parts)
