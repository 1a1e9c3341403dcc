"""Adapters against recorded Handle REST and SNMS response shapes (httpx MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from carbonid_resolver.adapters.handle_rest import HandleRestAdapter, handle_path
from carbonid_resolver.adapters.snms import SnmsAdapter
from carbonid_resolver.config import NodeRoute
from carbonid_resolver.domain.errors import (
    HandleNotFound,
    NodeBadResponse,
    NodeRefused,
    NodeTimeout,
    NodeUnavailable,
    ResolutionError,
    ValuesNotFound,
)

TIMEOUT = httpx.Timeout(1.0)
HANDLE = "88.118.8/ENTERPRISE"
Handler = Callable[[httpx.Request], httpx.Response]


def rest(handler: Handler) -> HandleRestAdapter:
    route = NodeRoute(prefix="88.", kind="handle", base_url="http://node")
    return HandleRestAdapter(route, httpx.AsyncClient(transport=httpx.MockTransport(handler), base_url="http://node"))


def answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Handler:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return lambda request: httpx.Response(status, content=content, headers=headers or {})


SUCCESS = {
    "responseCode": 1,
    "handle": HANDLE,
    "values": [
        {"index": 1000, "type": "TEMPLATE_ID", "data": {"format": "string", "value": "88.118.1/META"}, "ttl": 3600,
         "timestamp": "2024-01-01T00:00:00Z"},
        {"index": 2000, "type": "orgName", "data": "华达水泥", "ttl": "86400", "timestamp": "2024-01-01T00:00:00Z"},
        {"index": 100, "type": "HS_ADMIN", "data": {"format": "admin", "value": {"handle": "0.NA/88", "index": 200}},
         "ttl": 86400, "timestamp": "2024-01-01T00:00:00Z"},
    ],
}  # fmt: skip


async def test_success_parses_values_and_ttl() -> None:
    record = await rest(answer(200, SUCCESS)).resolve(HANDLE, timeout=TIMEOUT)
    assert record.by_type() == {"TEMPLATE_ID": "88.118.1/META", "orgName": "华达水泥"}
    assert record.ttl_seconds() == 3600


@pytest.mark.parametrize(
    ("status", "body", "error", "code"),
    [
        (404, {"responseCode": 100, "handle": HANDLE}, HandleNotFound, 100),
        (200, {"responseCode": 200, "handle": HANDLE, "values": []}, ValuesNotFound, 200),
        (400, {"responseCode": 301, "message": "That prefix doesn't live here", "handle": HANDLE}, HandleNotFound, 301),
        (503, {"responseCode": 3, "message": "busy"}, NodeUnavailable, 3),
        (503, {"responseCode": 7}, NodeUnavailable, 7),
        (500, {"responseCode": 2}, NodeUnavailable, 2),
        (400, {"responseCode": 102, "handle": HANDLE}, NodeRefused, 102),
        (403, {"responseCode": 401, "handle": HANDLE}, NodeRefused, 401),
        (502, b"<html>bad gateway</html>", NodeUnavailable, None),
        (200, b'{"responseCode": 1, "handle": "88.118', NodeBadResponse, 4),
        (200, {"responseCode": 1, "handle": "88.118.8/OTHER", "values": []}, NodeBadResponse, 4),
        (200, {"handle": HANDLE}, NodeBadResponse, 4),
    ],
)
async def test_every_answer_keeps_its_meaning(
    status: int, body: Any, error: type[ResolutionError], code: int | None
) -> None:
    with pytest.raises(error) as exc:
        await rest(answer(status, body)).resolve(HANDLE, timeout=TIMEOUT)
    assert exc.value.handle_response_code == code


async def test_retry_after_is_read() -> None:
    with pytest.raises(NodeUnavailable) as exc:
        await rest(answer(503, {"responseCode": 3}, {"Retry-After": "2"})).resolve(HANDLE, timeout=TIMEOUT)
    assert exc.value.retry_after_s == 2.0


@pytest.mark.parametrize(
    ("raised", "error"),
    [
        (httpx.ConnectError("refused"), NodeUnavailable),
        (httpx.ConnectTimeout("slow connect"), NodeUnavailable),
        (httpx.ReadTimeout("slow read"), NodeTimeout),
        (httpx.RemoteProtocolError("cut"), NodeUnavailable),
    ],
)
async def test_transport_failures_are_never_not_found(raised: Exception, error: type[ResolutionError]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    with pytest.raises(error):
        await rest(handler).resolve(HANDLE, timeout=TIMEOUT)


def test_suffix_is_percent_encoded() -> None:
    assert handle_path("88.118.8/能耗 2024-01#a?b") == "/api/handles/88.118.8/%E8%83%BD%E8%80%97%202024-01%23a%3Fb"


# -- SNMS -------------------------------------------------------------------------------------------------------


class SnmsNode:
    """A scripted SNMS node: issues tokens, can expire them, answers detail and prefix queries."""

    def __init__(self) -> None:
        self.tokens = 0
        self.valid: set[str] = set()
        value = {"index": 2000, "type": "orgName", "auth": "", "data": {"format": "string", "value": "华达"}}
        data = {"handle": HANDLE, "templateVersion": "1.0", "value": [value]}
        self.detail: dict[str, Any] = {"status": 1, "message": "success", "data": data}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/identity/token":
            assert json.loads(request.content) == {"username": "u", "password": "p"}
            self.tokens += 1
            token = f"t{self.tokens}"
            self.valid = {token}
            return httpx.Response(200, json={"status": 1, "message": "success", "data": {"token": token}})
        if request.headers.get("authorization", "").removeprefix("Bearer ") not in self.valid:
            return httpx.Response(200, json={"status": -1, "message": "未登录", "data": None})
        if request.url.path == "/identityv2/data/detail":
            return httpx.Response(200, json=self.detail)
        if request.url.path == "/snms/api/prefix/query":
            info = {"prefix": "88.118.8", "entNameCn": "华达水泥", "orgCrtCode": "91330522600871272Q", "nodeType": 2}
            return httpx.Response(200, json={"status": 1, "message": "success", "data": info})
        return httpx.Response(404)


def snms(node: SnmsNode) -> SnmsAdapter:
    route = NodeRoute(prefix="*", kind="snms", base_url="http://node", credentials={"username": "u", "password": "p"})
    return SnmsAdapter(route, httpx.AsyncClient(transport=httpx.MockTransport(node), base_url="http://node"))


async def test_snms_logs_in_once_and_again_when_the_token_expires() -> None:
    node = SnmsNode()
    adapter = snms(node)
    assert (await adapter.resolve(HANDLE, timeout=TIMEOUT)).by_type() == {"orgName": "华达"}
    await adapter.resolve(HANDLE, timeout=TIMEOUT)
    assert node.tokens == 1
    node.valid = set()  # the node forgot our token
    await adapter.resolve(HANDLE, timeout=TIMEOUT)
    assert node.tokens == 2


async def test_snms_prefix_query_becomes_enterprise_attributes() -> None:
    record = await snms(SnmsNode()).enterprise("88.118.8", HANDLE, timeout=TIMEOUT)
    attributes = record.by_type()
    assert attributes["orgName"] == "华达水泥"
    assert attributes["orgCrtCode"] == "91330522600871272Q"
    assert attributes["nodeType"] == "2"


@pytest.mark.parametrize(
    ("envelope", "error", "code"),
    [
        ({"status": -2, "message": "标识不存在 / identifier x does not exist", "data": None}, HandleNotFound, 100),
        ({"status": -2, "message": "前缀不在本节点 / prefix 88.1 is not served by this node"}, HandleNotFound, 301),
        ({"status": -4, "message": "服务器内部错误", "data": None}, NodeUnavailable, 2),
        ({"status": -3, "message": "无权限", "data": None}, NodeRefused, 401),
        ({"status": -2, "message": "缺少必要的请求参数: handle", "data": None}, NodeRefused, None),
    ],
)
async def test_snms_failures_keep_their_meaning(
    envelope: dict[str, Any], error: type[ResolutionError], code: int | None
) -> None:
    node = SnmsNode()
    node.detail = envelope
    with pytest.raises(error) as exc:
        await snms(node).resolve(HANDLE, timeout=TIMEOUT)
    assert exc.value.handle_response_code == code


async def test_snms_nginx_503_page_is_unavailable() -> None:
    route = NodeRoute(prefix="*", kind="snms", base_url="http://node", credentials={"username": "u", "password": "p"})
    html = httpx.MockTransport(lambda r: httpx.Response(503, text="<html>503</html>", headers={"Retry-After": "1"}))
    adapter = SnmsAdapter(route, httpx.AsyncClient(transport=html, base_url="http://node"))
    with pytest.raises(NodeUnavailable) as exc:
        await adapter.resolve(HANDLE, timeout=TIMEOUT)
    assert exc.value.retry_after_s == 1.0
