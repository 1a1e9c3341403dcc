"""Charts of a report (matplotlib, Agg): sources by category (pie) and energy structure in tce (bar)."""

from __future__ import annotations

import io
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")

from matplotlib import font_manager
from matplotlib.figure import Figure

from carbonid_calculator.report.fonts import CjkFont
from carbonid_calculator.report.model import ReportModel

PALETTE = ("#1A7F37", "#57AB5A", "#D4A72C", "#E16F24", "#CF222E", "#0969DA", "#8250DF")


def _font(font: CjkFont) -> font_manager.FontProperties:
    return font_manager.FontProperties(fname=str(font.path), size=9)


def _render(figure: Figure, fmt: str) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight")
    return buffer.getvalue()


def category_pie(model: ReportModel, font: CjkFont, fmt: str = "png") -> bytes:
    """Share of each category in the gross total (categories with a positive figure only)."""
    items = [(name, Decimal(value)) for name, value in model.by_category if Decimal(value) > 0]
    figure = Figure(figsize=(4.8, 3.2))
    axes = figure.subplots()
    prop = _font(font)
    if items:
        _, texts, autotexts = axes.pie(
            [float(v) for _, v in items],  # plotting only: the figures printed beside the chart are decimals
            labels=[name for name, _ in items],
            autopct="%1.1f%%",
            colors=PALETTE[: len(items)],
            startangle=90,
        )
        for t in [*texts, *autotexts]:
            t.set_fontproperties(prop)
    else:
        axes.text(0.5, 0.5, "无排放", ha="center", va="center", fontproperties=prop)
    axes.set_title("排放构成（按类别）", fontproperties=prop)
    axes.axis("equal")
    return _render(figure, fmt)


def energy_bar(model: ReportModel, font: CjkFont, fmt: str = "png") -> bytes:
    """Energy structure: standard coal of each carrier (tce)."""
    items = [(name, Decimal(tce)) for name, _, tce in model.by_carrier if Decimal(tce) != 0]
    figure = Figure(figsize=(4.8, 3.2))
    axes = figure.subplots()
    prop = _font(font)
    names = [name for name, _ in items]
    axes.bar(range(len(items)), [float(v) for _, v in items], color=PALETTE[: len(items)] or PALETTE[0])
    axes.set_xticks(range(len(items)), names)
    for label in axes.get_xticklabels():
        label.set_fontproperties(prop)
    axes.set_ylabel("tce", fontproperties=prop)
    axes.set_title("能源结构（折标准煤）", fontproperties=prop)
    return _render(figure, fmt)
