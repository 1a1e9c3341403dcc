"""Evidence files: type decided by content (magic bytes), never by name or declared type; stored by sha256.

Allowed: PDF, PNG, JPEG and OFD (China's fixed-layout e-document format, GB/T 33190: a ZIP whose root holds
``OFD.xml``), which is what CCER registry extracts, green-certificate receipts and invoices come as.
Content is stored once per sha256, in the database or, when configured, in a files directory.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import tempfile
import zipfile
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_calculator.db import EvidenceFile

ALLOWED_MEDIA_TYPES = ("application/pdf", "image/png", "image/jpeg", "application/ofd")


def sniff_media_type(content: bytes) -> str | None:
    """The media type of ``content`` if it is one of the allowed kinds, else None."""
    if content.startswith(b"%PDF-"):
        return "application/pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = {n.lower() for n in archive.namelist()}
        except (zipfile.BadZipFile, ValueError):
            return None
        return "application/ofd" if "ofd.xml" in names else None
    return None


def sha256_hex(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class EvidenceStore:
    """Content-addressed: the same bytes uploaded twice (by anyone) are stored once."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _path(self, sha: str) -> Path:
        assert self.directory is not None
        return self.directory / sha[:2] / sha

    async def put(self, session: AsyncSession, content: bytes, media_type: str) -> str:
        sha = sha256_hex(content)
        if self.directory is not None:
            await asyncio.to_thread(self._write, sha, content)
        await session.execute(
            insert(EvidenceFile)
            .values(
                sha256=sha,
                media_type=media_type,
                size_bytes=len(content),
                content=None if self.directory is not None else content,
            )
            .on_conflict_do_nothing(index_elements=[EvidenceFile.sha256])
        )
        return sha

    def _write(self, sha: str, content: bytes) -> None:
        path = self._path(sha)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename: a reader never sees a half-written file under its final name.
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        Path(tmp).replace(path)

    def read(self, record: EvidenceFile) -> bytes:
        if record.content is not None:
            return record.content
        return self._path(record.sha256).read_bytes()
