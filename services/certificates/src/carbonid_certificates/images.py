"""Rendering the coloured code for downloads: the CJK label font, a bounded cache, and ETags.

The image depends only on the URL, the grade colour and the label, so its ETag is a hash of those (and of
the renderer's inputs), known without rendering: a revalidation costs no drawing at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from carbonid_certificates.config import DEFAULT_FONT_CANDIDATES, CertificatesSettings
from carbonid_certificates.domain.qrcode import render_qr_png, render_qr_svg

log = logging.getLogger(__name__)

ImageFormat = Literal["png", "svg"]
MEDIA_TYPES: dict[str, str] = {"png": "image/png", "svg": "image/svg+xml"}
_RENDERER_VERSION = "qr/1"
_SIMPLIFIED_CHINESE_FACE = 2  # Noto Sans CJK .ttc faces: JP, KR, SC, TC, HK


@dataclass(frozen=True, slots=True)
class LabelFont:
    data: bytes | None
    index: int
    name: str


def load_label_font(settings: CertificatesSettings) -> LabelFont:
    """The configured font, else the first of the Debian CJK fonts found; none: ASCII labels (logged)."""
    candidates = [settings.qr_font_path] if settings.qr_font_path else [Path(p) for p in DEFAULT_FONT_CANDIDATES]
    if not settings.qr_font_path:
        wqy = Path("/usr/share/fonts/truetype/wqy")
        if wqy.is_dir():
            candidates += sorted(p for p in wqy.iterdir() if p.suffix in {".ttc", ".ttf"})
    for path in candidates:
        try:
            data = path.read_bytes()
        except OSError:
            continue
        index = settings.qr_font_index
        if index is None:
            index = _SIMPLIFIED_CHINESE_FACE if path.name.startswith("NotoSansCJK") else 0
        log.info("QR label font loaded", extra={"font": str(path), "face": index})
        return LabelFont(data, index, f"{path.name}#{index}")
    log.warning(
        "no CJK font found for the QR label: PNG labels fall back to ASCII (install fonts-noto-cjk "
        "or set CARBONID_QR_FONT_PATH)",
        extra={"searched": [str(p) for p in candidates]},
    )
    return LabelFont(None, 0, "none")


def grade_label(grade: int) -> str:
    return f"{grade}级"


class CodeImages:
    """Renders PNG/SVG codes off the event loop and keeps the most recent ones."""

    def __init__(self, settings: CertificatesSettings, font: LabelFont) -> None:
        self.settings = settings
        self.font = font
        self._cache: OrderedDict[str, bytes] = OrderedDict()

    def etag(self, fmt: ImageFormat, url: str, colour: str, label: str) -> str:
        parts = [_RENDERER_VERSION, fmt, url, colour, label, self.font.name, str(self.settings.qr_min_size_px)]
        return '"' + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32] + '"'

    async def render(self, fmt: ImageFormat, url: str, colour: str, label: str) -> tuple[bytes, str]:
        tag = self.etag(fmt, url, colour, label)
        cached = self._cache.get(tag)
        if cached is not None:
            self._cache.move_to_end(tag)
            return cached, tag
        if fmt == "png":
            body = await asyncio.to_thread(
                render_qr_png,
                url,
                colour,
                label,
                min_size_px=self.settings.qr_min_size_px,
                font=self.font.data,
                font_index=self.font.index,
            )
        else:
            body = (await asyncio.to_thread(render_qr_svg, url, colour, label)).encode("utf-8")
        if self.settings.qr_cache_entries:
            self._cache[tag] = body
            while len(self._cache) > self.settings.qr_cache_entries:
                self._cache.popitem(last=False)
        return body, tag
