"""The report as one self-contained HTML page (inline PNG charts, inline CSS, no external assets)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from html import escape

from carbonid_calculator.report.model import ReportModel, operands_text


def _rows(rows: Sequence[tuple[str, ...]]) -> str:
    return "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in rows)


def _table(head: tuple[str, ...], rows: Sequence[tuple[str, ...]], cls: str = "") -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f'<table class="{cls}"><thead><tr>{header}</tr></thead><tbody>{_rows(rows)}</tbody></table>'


def _img(png: bytes, alt: str) -> str:
    return f'<img alt="{escape(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


CSS = """
body{font-family:"Noto Sans CJK SC","Noto Sans SC","Microsoft YaHei",sans-serif;margin:2rem auto;max-width:60rem;
color:#1f2328;line-height:1.5}
h1{font-size:1.6rem;border-bottom:3px solid #1A7F37;padding-bottom:.3rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.85rem}
th,td{border:1px solid #d0d7de;padding:.25rem .45rem;text-align:left;vertical-align:top}th{background:#f6f8fa}
.charts{display:flex;gap:1rem;flex-wrap:wrap}.charts img{max-width:28rem;width:100%}
.trace td:nth-child(4){font-size:.75rem}.sign{display:flex;justify-content:space-between;margin-top:3rem}
.sign div{width:30%;border-top:1px solid #1f2328;padding-top:.4rem}.meta{color:#57606a;font-size:.8rem}
"""


def render_html(model: ReportModel, pie_png: bytes, bar_png: bytes) -> str:
    r = model.result
    lines = [
        (
            str(line["index"] + 1),
            line["source_name_zh"],
            "标识解析" if line["origin"] == "resolved" else "手工填报",
            f"{line['entered']['value']} {line['entered']['unit']}",
            f"{line['activity']['value']} {line['activity']['unit']}",
            line["emissions_tco2"],
            line["energy_tce"],
            "是" if line["measured"] else "否",
        )
        for line in r["lines"]
    ]
    trace = [
        (str(s["seq"]), s["label_zh"], s["formula"], operands_text(s), f"{s['result']} {s['result_unit']}")
        for s in r["trace"]
    ]
    sources = [(f["document"], f["table"], f["version"]) for f in r["factor_sources"]]
    warnings = [(w["code"], w["message_zh"]) for w in r["warnings"]]
    info = model.basic_information
    parts = [
        "<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>碳排放报告 — {escape(model.enterprise_name)} {escape(model.period)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>碳排放报告</h1><p class='meta'>计算编号 {escape(model.calculation_id)}</p>",
        "<h2>一、基本信息</h2>",
        _table(("项目", "内容"), info),
        "<h2>二、核算结果</h2>",
        _table(("指标", "数值"), model.headline),
        _table(("范围", "排放量（tCO2）"), model.by_scope),
        _table(("类别", "排放量（tCO2）"), model.by_category),
        _table(("能源品种", "排放量（tCO2）", "折标准煤（tce）"), model.by_carrier),
        "<div class='charts'>",
        _img(pie_png, "排放构成"),
        _img(bar_png, "能源结构"),
        "</div>",
        "<h2>三、活动数据</h2>",
        _table(("序号", "排放源", "来源", "填报量", "核算量", "排放量（tCO2）", "折标煤（tce）", "实测参数"), lines),
        "<h2>四、计算过程</h2>",
        _table(("步骤", "说明", "公式", "参数（值、单位、来源标注）", "结果"), trace, "trace"),
        "<h2>五、排放因子来源</h2>",
        _table(("文件", "表", "版本"), sources),
    ]
    if warnings:
        parts += ["<h2>提示</h2>", _table(("代码", "说明"), warnings)]
    parts += [
        "<h2>六、声明与签章</h2><p>本企业承诺所填报数据真实、准确、完整。</p>",
        "<div class='sign'><div>企业盖章</div><div>负责人签字</div><div>日期</div></div>",
        "</body></html>",
    ]
    return "".join(parts)
