"""The coloured carbon-efficiency code (碳效码): a QR code of the public certificate URL in the grade colour.

- Error correction H (about 30 % of codewords recoverable), never a Micro QR, the version the URL needs.
- Every dark module, finder patterns included, is drawn in the grade colour on white.
- A white box in the middle holds the grade label (e.g. ``3级``) in the grade colour. The box covers
  ``LABEL_WIDTH`` × ``LABEL_HEIGHT`` of the symbol (≈ 5 % of its modules), well inside what level H corrects.
- PNG: at least ``min_size_px`` pixels a side (1200 by default, i.e. 4 in at 300 dpi), the label composited
  with Pillow. Pillow's embedded font has no CJK glyphs, so without a ``font`` (TrueType/OpenType bytes, e.g.
  Noto Sans CJK supplied by the service's configuration) a non-ASCII label is replaced by ``fallback_label``
  (by default its ASCII characters: ``3级`` → ``3``).
- SVG: segno's SVG with a ``<g id="carbonid-label">`` holding a white ``rect`` and a ``text`` appended.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import segno
from PIL import Image, ImageDraw, ImageFont

BORDER_MODULES = 4
LABEL_WIDTH = 0.30
LABEL_HEIGHT = 0.18
_COLOUR = re.compile(r"^#[0-9A-Fa-f]{6}$")
SVG_FONT_FAMILY = "'Noto Sans CJK SC','Source Han Sans SC','PingFang SC','Microsoft YaHei',sans-serif"


@dataclass(frozen=True, slots=True)
class LabelBox:
    """The label box in modules, measured from the symbol's top-left corner (border excluded)."""

    x: int
    y: int
    width: int
    height: int


def qr_symbol(url: str) -> segno.QRCode:
    """The QR symbol of ``url``: error correction H, no Micro QR, no boosting (so the level is always H)."""
    if not url or len(url) > 1000:
        raise ValueError("the certificate URL must have 1–1000 characters / 证书地址长度无效")
    return segno.make(url, error="h", micro=False, boost_error=False)


def label_box(modules: int) -> LabelBox:
    """The centred box, aligned to whole modules, of about LABEL_WIDTH × LABEL_HEIGHT of the symbol."""
    width = max(3, round(modules * LABEL_WIDTH))
    height = max(3, round(modules * LABEL_HEIGHT))
    width += (modules - width) % 2  # same margin on both sides
    height += (modules - height) % 2
    return LabelBox((modules - width) // 2, (modules - height) // 2, width, height)


def _check_colour(colour: str) -> str:
    if not _COLOUR.fullmatch(colour):
        raise ValueError(f"colour must be #RRGGBB, got {colour!r} / 颜色格式应为 #RRGGBB")
    return colour.upper()


def _fit_font(
    draw: ImageDraw.ImageDraw, text: str, font: bytes | None, max_w: float, max_h: float, *, index: int = 0
) -> ImageFont.FreeTypeFont:
    size = max(8, int(max_h))
    while True:
        face = ImageFont.truetype(io.BytesIO(font), size, index=index) if font else ImageFont.load_default(size=size)
        if not isinstance(face, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow without FreeType
            raise TypeError("Pillow needs FreeType support to draw the label")
        left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
        if (right - left <= max_w and bottom - top <= max_h) or size <= 8:
            return face
        size = int(size * 0.9)


def render_qr_png(
    url: str,
    colour: str,
    label: str,
    *,
    min_size_px: int = 1200,
    font: bytes | None = None,
    font_index: int = 0,
    fallback_label: str | None = None,
    dpi: int = 300,
) -> bytes:
    """PNG bytes of the coloured code, at least ``min_size_px`` a side, with the centre label.

    ``font_index`` picks the face of a font collection (``.ttc``): Noto Sans CJK SC is face 2 of Debian's
    ``NotoSansCJK-Regular.ttc`` (face 0 is the Japanese variant, whose glyph shapes differ for some hanzi).
    """
    colour = _check_colour(colour)
    qr = qr_symbol(url)
    modules = int(qr.symbol_size(scale=1, border=0)[0])
    side_modules = modules + 2 * BORDER_MODULES
    scale = math.ceil(min_size_px / side_modules)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=BORDER_MODULES, dark=colour, light="#FFFFFF")
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")

    box = label_box(modules)
    x0 = (BORDER_MODULES + box.x) * scale
    y0 = (BORDER_MODULES + box.y) * scale
    x1, y1 = x0 + box.width * scale - 1, y0 + box.height * scale - 1
    draw = ImageDraw.Draw(image)
    draw.rectangle((x0, y0, x1, y1), fill="#FFFFFF")
    text = label
    if font is None and not label.isascii():
        text = fallback_label if fallback_label is not None else "".join(c for c in label if c.isascii()).strip()
    if text:
        face = _fit_font(draw, text, font, box.width * scale * 0.85, box.height * scale * 0.7, index=font_index)
        draw.text(((x0 + x1) / 2, (y0 + y1) / 2), text, fill=colour, font=face, anchor="mm")
    out = io.BytesIO()
    image.save(out, format="PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()


def render_qr_svg(url: str, colour: str, label: str, *, module_size: int = 10) -> str:
    """SVG text of the coloured code with the centre label group (``<g id="carbonid-label">``)."""
    colour = _check_colour(colour)
    qr = qr_symbol(url)
    modules = int(qr.symbol_size(scale=1, border=0)[0])
    buffer = io.BytesIO()
    qr.save(
        buffer,
        kind="svg",
        scale=module_size,
        border=BORDER_MODULES,
        dark=colour,
        light="#FFFFFF",
        xmldecl=False,
        title="carbon-efficiency code / 碳效码",
    )
    svg = buffer.getvalue().decode("utf-8")
    box = label_box(modules)
    x = (BORDER_MODULES + box.x) * module_size
    y = (BORDER_MODULES + box.y) * module_size
    w, h = box.width * module_size, box.height * module_size
    font_size = round(h * 0.6)
    group = (
        f'<g id="carbonid-label">'
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#FFFFFF"/>'
        f'<text x="{x + w / 2:g}" y="{y + h / 2:g}" fill="{colour}" font-size="{font_size}" font-weight="bold"'
        f" font-family={quoteattr(SVG_FONT_FAMILY)}"
        f' text-anchor="middle" dominant-baseline="central">{escape(label)}</text>'
        f"</g>"
    )
    end = svg.rindex("</svg>")
    return svg[:end] + group + svg[end:]
