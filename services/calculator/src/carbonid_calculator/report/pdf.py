"""The report as a PDF (fpdf2 with an embedded CJK font; charts as PNG)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from fpdf import FPDF
from fpdf.fonts import FontFace

from carbonid_calculator.report.fonts import CjkFont
from carbonid_calculator.report.model import ReportModel, operands_text

FAMILY = "cjk"


class ReportPdf(FPDF):
    def __init__(self, model: ReportModel) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.model = model

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FAMILY, size=7)
        self.cell(0, 6, f"{self.model.enterprise_name} · {self.model.period} · 第 {self.page_no()} 页", align="C")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font(FAMILY, size=12)
    pdf.set_text_color(26, 127, 55)
    pdf.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(31, 35, 40)
    pdf.set_font(FAMILY, size=8)


def _table(pdf: FPDF, head: tuple[str, ...], rows: Sequence[tuple[str, ...]], widths: tuple[int, ...]) -> None:
    pdf.set_font(FAMILY, size=7.5)
    with pdf.table(
        col_widths=widths,
        headings_style=FontFace(fill_color=(246, 248, 250)),
        line_height=4.2,
        text_align="LEFT",
        first_row_as_headings=True,
    ) as table:
        table.row(head)
        for row in rows:
            table.row(row)


def render_pdf(model: ReportModel, font: CjkFont, pie_png: bytes, bar_png: bytes) -> bytes:
    r = model.result
    pdf = ReportPdf(model)
    pdf.add_font(FAMILY, "", str(font.path), collection_font_number=font.collection_index)
    pdf.set_title(f"碳排放报告 {model.enterprise_name} {model.period}")
    pdf.set_author("CarbonID")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FAMILY, size=18)
    pdf.cell(0, 12, "碳排放报告", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, size=8)
    pdf.cell(0, 5, f"计算编号 {model.calculation_id}", align="C", new_x="LMARGIN", new_y="NEXT")

    _heading(pdf, "一、基本信息")
    info = model.basic_information
    _table(pdf, ("项目", "内容"), info, (45, 135))

    _heading(pdf, "二、核算结果")
    _table(pdf, ("指标", "数值"), model.headline, (90, 90))
    pdf.ln(2)
    _table(pdf, ("范围", "排放量（tCO2）"), model.by_scope, (90, 90))
    pdf.ln(2)
    _table(pdf, ("类别", "排放量（tCO2）"), model.by_category, (90, 90))
    pdf.ln(2)
    _table(pdf, ("能源品种", "排放量（tCO2）", "折标准煤（tce）"), model.by_carrier, (60, 60, 60))
    pdf.ln(2)
    if pdf.get_y() > 200:
        pdf.add_page()
    y = pdf.get_y()
    pdf.image(io.BytesIO(pie_png), x=12, y=y, w=88)
    pdf.image(io.BytesIO(bar_png), x=108, y=y, w=88)
    pdf.set_y(y + 62)

    _heading(pdf, "三、活动数据")
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
    _table(
        pdf,
        ("序号", "排放源", "来源", "填报量", "核算量", "排放量 tCO2", "折标煤 tce", "实测"),
        lines,
        (10, 26, 18, 28, 28, 32, 28, 10),
    )

    _heading(pdf, "四、计算过程")
    trace = [
        (str(s["seq"]), s["label_zh"], s["formula"], operands_text(s), f"{s['result']} {s['result_unit']}")
        for s in r["trace"]
    ]
    _table(pdf, ("步骤", "说明", "公式", "参数", "结果"), trace, (10, 40, 35, 60, 35))

    _heading(pdf, "五、排放因子来源")
    _table(
        pdf,
        ("文件", "表", "版本"),
        [(f["document"], f["table"], f["version"]) for f in r["factor_sources"]],
        (85, 65, 30),
    )
    if r["warnings"]:
        _heading(pdf, "提示")
        _table(pdf, ("代码", "说明"), [(w["code"], w["message_zh"]) for w in r["warnings"]], (50, 130))

    _heading(pdf, "六、声明与签章")
    pdf.multi_cell(0, 5, "本企业承诺所填报数据真实、准确、完整。", new_x="LMARGIN", new_y="NEXT")
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(14)
    pdf.set_font(FAMILY, size=10)
    y = pdf.get_y()
    for i, label in enumerate(("企业盖章", "负责人签字", "日期")):
        x = 15 + i * 63
        pdf.line(x, y, x + 52, y)
        pdf.set_xy(x, y + 1)
        pdf.cell(52, 6, label, align="C")
    return bytes(pdf.output())
