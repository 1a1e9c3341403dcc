"""Finding a CJK font for reports. Without one the PDF would print boxes, so reports are refused instead."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from carbonid_kit.app import Degradation
from carbonid_kit.problems import Problem

PREFERRED = (
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJKsc-Regular.otf",
    "NotoSansSC-Regular.otf",
    "NotoSansSC-Regular.ttf",
    "NotoSerifCJK-Regular.ttc",
    "wqy-microhei.ttc",
    "wqy-zenhei.ttc",
)


@dataclass(frozen=True)
class CjkFont:
    path: Path
    collection_index: int  # face of a .ttc collection (the Simplified Chinese one where there is one)


def _face_index(path: Path) -> int:
    if path.suffix.lower() != ".ttc":
        return 0
    from fontTools.ttLib import TTCollection  # type: ignore[import-untyped]

    collection = TTCollection(str(path), lazy=True)
    try:
        names = [str(font["name"].getDebugName(4) or "") for font in collection.fonts]
    finally:
        collection.close()
    for wanted in (" SC", "SC", "GB", ""):
        for index, name in enumerate(names):
            if wanted in name and "Mono" not in name:
                return index
    return 0


@lru_cache(maxsize=8)
def find_cjk_font(configured: Path | None, search_dirs: tuple[str, ...]) -> CjkFont | None:
    """The configured font if it exists, else the first preferred CJK font found under ``search_dirs``."""
    candidates: list[Path] = []
    if configured is not None:
        candidates.append(configured)
    for directory in search_dirs:
        base = Path(directory)
        candidates += [base / name for name in PREFERRED]
        if base.is_dir():
            candidates += sorted(p for p in base.rglob("*") if p.name in PREFERRED)
    for path in candidates:
        if path.is_file():
            return CjkFont(path, _face_index(path))
    return None


def require_cjk_font(configured: Path | None, search_dirs: tuple[str, ...]) -> CjkFont:
    font = find_cjk_font(configured, search_dirs)
    if font is None:
        raise Problem(
            503,
            "report-font-missing",
            "报告字体缺失",
            "Report font missing",
            "服务器未安装中文字体（如 fonts-noto-cjk），无法生成报告；请设置 CARBONID_REPORT_FONT_PATH",
            "No CJK font is installed (e.g. fonts-noto-cjk), so no report can be rendered; "
            "set CARBONID_REPORT_FONT_PATH",
        )
    return font


def missing_font(configured: Path | None, search_dirs: tuple[str, ...]) -> Degradation | None:
    """What the service reports at start and in ``/health/ready`` when reports cannot be rendered."""
    if find_cjk_font(configured, search_dirs) is not None:
        return None
    return Degradation(
        "reports",
        "未找到中文字体：PDF 报告将返回 503 report-font-missing；"
        "请安装 fonts-noto-cjk 或设置 CARBONID_REPORT_FONT_PATH",
        "no CJK font: PDF reports answer 503 report-font-missing; install fonts-noto-cjk "
        "or set CARBONID_REPORT_FONT_PATH",
    )
