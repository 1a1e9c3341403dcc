"""The coloured code: decodes with a real decoder (zxing-cpp) to the exact URL, in the grade colour."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import zxingcpp
from certificates_builders import GRADE_COLOURS
from PIL import Image, ImageDraw

from carbonid_certificates.domain.qrcode import (
    BORDER_MODULES,
    label_box,
    qr_symbol,
    render_qr_png,
    render_qr_svg,
)

URL = "https://carbonid.example.cn/c/CE-330502-2025Q3-3-7C7PMMMW-T"
LONG_URL = URL + "?lang=zh-CN&source=qr&verify=" + "x" * 120
SVG = "{http://www.w3.org/2000/svg}"


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*rgb)


def _decode(image: Image.Image) -> zxingcpp.Barcode:
    results = zxingcpp.read_barcodes(image)
    assert len(results) == 1
    return results[0]


def _dominant_dark_colour(image: Image.Image) -> str:
    dark = [(n, rgb) for rgb, n in _colour_counts(image).items() if rgb != (255, 255, 255)]
    return _hex(max(dark)[1])


def _colour_counts(image: Image.Image) -> Counter[tuple[int, int, int]]:
    colours = image.convert("RGB").getcolors(maxcolors=1 << 24)
    assert colours is not None
    counts: Counter[tuple[int, int, int]] = Counter()
    for n, rgb in colours:
        assert isinstance(rgb, tuple)
        counts[(rgb[0], rgb[1], rgb[2])] = n
    return counts


@pytest.mark.parametrize("grade", [1, 2, 3, 4, 5])
def test_png_decodes_to_the_url_in_the_grade_colour(grade: int) -> None:
    colour = GRADE_COLOURS[grade]
    png = render_qr_png(URL, colour, f"{grade}级")
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert min(image.size) >= 1200
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.1)
    result = _decode(image)
    assert result.text == URL
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.ec_level == "H"
    assert _dominant_dark_colour(image) == colour


def test_png_centre_holds_a_white_box_with_the_label_in_the_grade_colour() -> None:
    colour = GRADE_COLOURS[3]
    image = Image.open(io.BytesIO(render_qr_png(URL, colour, "3级"))).convert("RGB")
    modules = int(qr_symbol(URL).symbol_size(scale=1, border=0)[0])
    scale = image.size[0] // (modules + 2 * BORDER_MODULES)
    box = label_box(modules)
    x0, y0 = (BORDER_MODULES + box.x) * scale, (BORDER_MODULES + box.y) * scale
    inside = image.crop((x0, y0, x0 + box.width * scale, y0 + box.height * scale))
    counts = _colour_counts(inside)
    assert counts[(255, 255, 255)] > 0.5 * inside.size[0] * inside.size[1]
    assert counts[(int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))] > 100  # the label's glyphs
    # the box edge is white all round (no module left half-covered)
    edge = [inside.getpixel((x, 0)) for x in range(inside.size[0])]
    assert set(edge) == {(255, 255, 255)}


def test_png_label_without_a_font_falls_back_to_ascii() -> None:
    with_fallback = render_qr_png(URL, GRADE_COLOURS[2], "2级")
    explicit = render_qr_png(URL, GRADE_COLOURS[2], "2级", fallback_label="2")
    plain = render_qr_png(URL, GRADE_COLOURS[2], "2")
    assert with_fallback == explicit == plain
    assert render_qr_png(URL, GRADE_COLOURS[2], "") != plain


def test_long_url_with_central_alignment_patterns_still_decodes() -> None:
    assert int(qr_symbol(LONG_URL).version) >= 10
    image = Image.open(io.BytesIO(render_qr_png(LONG_URL, GRADE_COLOURS[5], "5级", min_size_px=1500)))
    assert min(image.size) >= 1500
    assert _decode(image).text == LONG_URL


def test_error_correction_is_always_h() -> None:
    for url in (URL, LONG_URL, "https://x.cn/c/1"):
        assert qr_symbol(url).error == "H"
        assert not qr_symbol(url).is_micro


def test_invalid_colour_and_url_are_refused() -> None:
    with pytest.raises(ValueError, match="colour"):
        render_qr_png(URL, "green", "1级")
    with pytest.raises(ValueError, match="colour"):
        render_qr_svg(URL, "#12345", "1级")
    with pytest.raises(ValueError, match="URL"):
        render_qr_png("", "#1A7F37", "1级")


def _rasterise_segno_svg(svg: str, pixel: int = 4) -> Image.Image:
    """A minimal rasteriser for what render_qr_svg emits: segno's module path (M/m moves, h runs) under a
    scale transform, plus the label group's rect. Text glyphs are not drawn: they lie inside the white box."""
    root = ET.fromstring(svg)
    width = int(root.attrib["width"])
    group = root.find(f"{SVG}g")
    assert group is not None
    transform = re.fullmatch(r"scale\((\d+)\)", group.attrib["transform"])
    assert transform is not None
    module_size = int(transform[1])
    size = width // module_size
    image = Image.new("RGB", (size * pixel, size * pixel), "white")
    draw = ImageDraw.Draw(image)
    line = next(p for p in group.iter(f"{SVG}path") if "stroke" in p.attrib)
    colour = line.attrib["stroke"]
    x = y = 0.0
    for command, a, b in re.findall(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?", line.attrib["d"]):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:
            run = float(a)
            row = int(y - 0.5)
            draw.rectangle((int(x) * pixel, row * pixel, int(x + run) * pixel - 1, (row + 1) * pixel - 1), fill=colour)
            x += run
    label = root.find(f"{SVG}g[@id='carbonid-label']")
    assert label is not None
    rect = label.find(f"{SVG}rect")
    assert rect is not None
    rx, ry, rw, rh = (int(rect.attrib[k]) // module_size for k in ("x", "y", "width", "height"))
    draw.rectangle((rx * pixel, ry * pixel, (rx + rw) * pixel - 1, (ry + rh) * pixel - 1), fill=rect.attrib["fill"])
    return image


@pytest.mark.parametrize("grade", [1, 3, 5])
def test_svg_has_the_label_group_and_decodes_when_rasterised(grade: int) -> None:
    colour = GRADE_COLOURS[grade]
    svg = render_qr_svg(URL, colour, f"{grade}级")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    strokes = {p.attrib["stroke"].upper() for p in root.iter(f"{SVG}path") if "stroke" in p.attrib}
    assert strokes == {colour}
    label = root.find(f"{SVG}g[@id='carbonid-label']")
    assert label is not None
    rect, text = label.find(f"{SVG}rect"), label.find(f"{SVG}text")
    assert rect is not None
    assert text is not None
    assert rect.attrib["fill"] == "#FFFFFF"
    assert text.attrib["fill"] == colour
    assert text.attrib["text-anchor"] == "middle"
    assert text.text == f"{grade}级"
    # the label box sits in the middle of the symbol
    modules = int(qr_symbol(URL).symbol_size(scale=1, border=0)[0])
    box = label_box(modules)
    assert int(rect.attrib["x"]) == (BORDER_MODULES + box.x) * 10
    assert box.x * 2 + box.width == modules
    image = _rasterise_segno_svg(svg)
    assert _decode(image).text == URL
    assert _dominant_dark_colour(image) == colour


def test_svg_escapes_the_label() -> None:
    svg = render_qr_svg(URL, GRADE_COLOURS[1], "<1&级>")
    text = ET.fromstring(svg).find(f"{SVG}g[@id='carbonid-label']/{SVG}text")
    assert text is not None
    assert text.text == "<1&级>"
