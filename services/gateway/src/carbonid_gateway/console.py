"""The web console's static files, with the single-page app's fallback to index.html."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request, Response
from fastapi.responses import FileResponse, HTMLResponse

from carbonid_gateway.config import GatewaySettings
from carbonid_kit.problems import Problem

PLACEHOLDER = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>CarbonID 绿色低碳标识服务平台</title></head>
<body><h1>绿色低碳标识服务平台 · CarbonID</h1>
<p>控制台尚未构建。The web console has not been built.</p>
<p>API: <a href="/api/openapi.json">/api/openapi.json</a></p></body></html>
"""


def _not_found() -> Problem:
    return Problem(404, "not-found", "资源不存在", "Not found")


def console_file(settings: GatewaySettings, path: str) -> Path | None:
    """The file to serve for ``path``: itself when it exists inside the console, else the SPA's index.html."""
    root = settings.console_dir
    if root is None or not root.is_dir():
        return None
    root = root.resolve()
    candidate = (root / path.lstrip("/")).resolve()
    if candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    index = root / "index.html"
    return index if index.is_file() else None


async def serve_console(request: Request) -> Response:
    path = str(request.path_params.get("path", ""))
    if path == "api" or path.startswith("api/"):
        raise _not_found()
    settings: GatewaySettings = request.app.state.settings
    file = console_file(settings, path)
    if file is None:
        return HTMLResponse(PLACEHOLDER, headers={"Cache-Control": "no-cache"})
    # Built assets carry content hashes in their names: cache them for good; index.html always revalidates.
    immutable = file.name != "index.html" and "/assets/" in file.as_posix()
    cache = "public, max-age=31536000, immutable" if immutable else "no-cache"
    return FileResponse(file, headers={"Cache-Control": cache})
