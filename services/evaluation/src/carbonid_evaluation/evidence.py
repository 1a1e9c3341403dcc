"""Evidence files (佐证材料): type sniffed from the content, size capped, stored by sha256 (in the database or in
a files directory), each upload linked to one question of one evaluation."""

from __future__ import annotations

import asyncio
import hashlib
import os
import tempfile
from pathlib import Path

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from carbonid_evaluation.db import EvidenceBlob
from carbonid_kit.problems import Problem

ALLOWED_TYPES: dict[str, bytes] = {
    "application/pdf": b"%PDF-",
    "image/png": b"\x89PNG\r\n\x1a\n",
    "image/jpeg": b"\xff\xd8\xff",
}
EXTENSIONS = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}


def sniff_media_type(content: bytes) -> str | None:
    """The media type the content really is (PDF, PNG or JPEG), whatever the client declared."""
    return next((media for media, magic in ALLOWED_TYPES.items() if content.startswith(magic)), None)


def check_evidence(content: bytes, declared_type: str | None, max_bytes: int) -> str:
    """The media type of an acceptable evidence file; a problem for an empty, too large or unsupported one."""
    if not content:
        raise Problem(422, "evidence-empty", "佐证材料为空", "Empty evidence file", "文件没有内容", "The file is empty")
    if len(content) > max_bytes:
        mb = max_bytes // (1024 * 1024)
        raise Problem(
            413,
            "evidence-too-large",
            "佐证材料过大",
            "Evidence file too large",
            f"文件不能超过 {mb} MB",
            f"An evidence file may be at most {mb} MB",
        )
    sniffed = sniff_media_type(content)
    declared = (declared_type or "").split(";")[0].strip().lower()
    if declared == "image/jpg":
        declared = "image/jpeg"
    if sniffed is None or (declared not in ("", "application/octet-stream") and declared != sniffed):
        raise Problem(
            415,
            "evidence-type-unsupported",
            "不支持的佐证材料类型",
            "Unsupported evidence type",
            "仅接受 PDF、PNG 或 JPEG 文件，且文件内容须与声明的类型一致",
            "Only PDF, PNG or JPEG files are accepted, and the content must match the declared type",
        )
    return sniffed


class EvidenceStore:
    """Content-addressed storage: the database (default) or a directory ``<dir>/<aa>/<sha256>``."""

    def __init__(self, directory: Path | None) -> None:
        self.directory = directory

    def _path(self, sha256: str) -> Path:
        assert self.directory is not None
        return self.directory / sha256[:2] / sha256

    async def put(self, session: AsyncSession, content: bytes, media_type: str) -> str:
        sha256 = hashlib.sha256(content).hexdigest()
        if self.directory is not None:
            await asyncio.to_thread(self._write, sha256, content)
        await session.execute(
            insert(EvidenceBlob)
            .values(
                sha256=sha256,
                media_type=media_type,
                size_bytes=len(content),
                content=None if self.directory is not None else content,
            )
            .on_conflict_do_nothing()
        )
        return sha256

    def _write(self, sha256: str, content: bytes) -> None:
        path = self._path(sha256)
        if path.exists():
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            os.replace(tmp, path)  # atomic: a reader never sees half a file
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    async def get(self, session: AsyncSession, sha256: str) -> bytes:
        blob = await session.get(EvidenceBlob, sha256, options=[])
        content = None
        if blob is not None:
            await session.refresh(blob, ["content"])
            content = blob.content
        if content is None and self.directory is not None:
            path = self._path(sha256)
            if path.is_file():
                content = await asyncio.to_thread(path.read_bytes)
        if content is None or hashlib.sha256(content).hexdigest() != sha256:
            raise Problem(410, "evidence-missing", "佐证材料内容缺失", "Evidence content missing", sha256, sha256)
        return content
