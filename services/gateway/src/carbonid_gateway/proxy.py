"""The streaming reverse proxy: ``/api/<service>/<path>`` → ``<upstream of service>/<path>``.

The request body is streamed to the service and the response streamed back (``aiter_raw``: bytes exactly as
the service sent them, compression included), so downloads and server-sent events pass without buffering.
The access token is checked once here (for the password-change rule and the per-user rate limit) and then
forwarded unchanged: every service verifies it again and decides what the caller may see. Headers a client
could use to pose as the platform (``X-Carbonid-*``, ``X-Forwarded-*``) are dropped on the way in.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import unquote

import httpx
from fastapi import Request, Response
from starlette.background import BackgroundTask
from starlette.responses import StreamingResponse

from carbonid_gateway.config import GatewaySettings
from carbonid_gateway.ratelimit import TokenBuckets
from carbonid_kit.addresses import client_address
from carbonid_kit.auth import PASSWORD_CHANGE_REQUIRED, Caller, JwksVerifier, bearer_token
from carbonid_kit.logging import request_id_var
from carbonid_kit.problems import Problem

log = logging.getLogger(__name__)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
    }
)
# Never taken from the client: the gateway sets them, or they belong to the platform's own calls.
CLIENT_HEADERS_DROPPED = frozenset({"host", "forwarded", "x-real-ip", "x-request-id", "traceparent", "tracestate"})
# The gateway's own middleware adds these; the service's copies would be duplicates.
UPSTREAM_HEADERS_DROPPED = frozenset({"x-request-id", "date", "server"})
TRACEPARENT = re.compile(r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")

# Identity endpoints that a user with a pending forced password change may still call, and that need no
# token check at the gateway (login and refresh work without a valid access token).
IDENTITY_OPEN_PREFIXES = ("auth/", ".well-known/")
IDENTITY_PENDING_CHANGE_PATHS = ("me",)


class Upstreams:
    """One HTTP client, with its own connection pool, per upstream service.

    httpcore scans its pool's connections on every request and response, so one pool shared by all services
    made each proxied call pay for every other service's connections (the largest cost in a profile of the
    gateway under load).
    """

    def __init__(self, settings: GatewaySettings) -> None:
        self.bases = dict(settings.upstreams)
        self._clients = {name: new_client(settings) for name in self.bases}

    def client(self, service: str) -> httpx.AsyncClient:
        return self._clients[service]

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()


@dataclass
class Gateway:
    settings: GatewaySettings
    upstreams: Upstreams
    jwks: JwksVerifier
    per_address: TokenBuckets
    per_user: TokenBuckets


def new_client(settings: GatewaySettings) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            connect=settings.connect_timeout_seconds,
            read=settings.read_timeout_seconds,
            write=settings.write_timeout_seconds,
            pool=settings.pool_timeout_seconds,
        ),
        # Idle connections expire before uvicorn's 5 s keep-alive closes them upstream, so the gateway never
        # reuses a connection the service has just closed (a 502 under load).
        limits=httpx.Limits(
            max_connections=settings.max_connections_per_upstream,
            max_keepalive_connections=settings.max_keepalive_per_upstream,
            keepalive_expiry=2.0,
        ),
        follow_redirects=False,
        trust_env=False,
    )


def _too_many(retry_after: float, zh: str, en: str) -> Problem:
    seconds = max(1, math.ceil(retry_after))
    return Problem(
        429, "too-many-requests", "请求过于频繁", "Too many requests", zh, en, headers={"Retry-After": str(seconds)}
    )


def _bad_path() -> Problem:
    return Problem(400, "bad-path", "请求路径无效", "Bad request path", "路径中不能含有 . 或 .. 段",
                   "The path may not contain . or .. segments")  # fmt: skip


def _unknown_service(service: str) -> Problem:
    return Problem(
        404,
        "unknown-service",
        "服务不存在",
        "Unknown service",
        f"没有名为 {service[:40]} 的服务",
        f"There is no service named {service[:40]}",
    )


def upstream_path(raw_path: bytes) -> str:
    """The path to request from the service (after ``/api/<service>``), percent-encoded as the client sent it."""
    text = raw_path.decode("latin-1").partition("?")[0]  # some ASGI servers leave the query on raw_path
    after_api = text.partition("/api/")[2]
    return "/" + after_api.partition("/")[2]


def _check_path(service: str, rest: str) -> None:
    segments = [unquote(s) for s in rest.split("/")]
    if any(s in (".", "..") or "/" in s or "\\" in s for s in segments):
        raise _bad_path()
    first = next((s for s in segments if s), "")
    if first == "internal":
        raise _unknown_route(service)


def _bad_gateway(service: str) -> Problem:
    return Problem(
        502, "bad-gateway", "上游服务错误", "Bad gateway", f"{service} 服务的响应无效",
        f"The {service} service gave no valid answer",
    )  # fmt: skip


def _unknown_route(service: str) -> Problem:
    return Problem(
        404, "not-found", "资源不存在", "Not found", f"{service} 服务没有此路径", f"{service} has no such path"
    )


def _forward_headers(request: Request, service: str, address: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in CLIENT_HEADERS_DROPPED or lower.startswith(("x-carbonid-", "x-forwarded-")):
            continue
        out.append((lower, value))
    rid = request_id_var.get()
    if rid:
        out.append(("x-request-id", rid))
    incoming = request.headers.get("traceparent", "")
    traceparent = incoming if TRACEPARENT.match(incoming) else f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-01"
    out.append(("traceparent", traceparent))
    if TRACEPARENT.match(incoming) and (state := request.headers.get("tracestate")):
        out.append(("tracestate", state))
    out.append(("x-forwarded-for", address))
    out.append(("x-forwarded-proto", request.url.scheme))
    if host := request.headers.get("host"):
        out.append(("x-forwarded-host", host))
    out.append(("x-forwarded-prefix", f"/api/{service}"))
    return out


async def _check_caller(gateway: Gateway, request: Request, service: str, rest: str) -> Caller | None:
    token = bearer_token(request)
    if service == "identity" and rest.lstrip("/").startswith(IDENTITY_OPEN_PREFIXES):
        return None  # identity judges its own login, refresh and logout calls
    if token is None:
        return None  # anonymous: the service decides what the public may see
    caller = await gateway.jwks.verify(token)
    pending_allowed = service == "identity" and rest.strip("/") in IDENTITY_PENDING_CHANGE_PATHS
    if caller.must_change_password and not pending_allowed:
        raise Problem(
            403,
            PASSWORD_CHANGE_REQUIRED,
            "请先修改初始密码",
            "Change your initial password first",
            "首次登录后必须修改密码",
            "The password must be changed after the first login",
        )
    return caller


async def proxy(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    service = str(request.path_params["service"])
    base = gateway.upstreams.bases.get(service)
    if base is None:
        raise _unknown_service(service)
    rest = upstream_path(request.scope.get("raw_path") or request.url.path.encode())
    _check_path(service, rest)

    peer = request.client.host if request.client else "unknown"
    address = client_address(peer, request.headers.get("x-forwarded-for", ""), gateway.settings.trusted_proxies)
    if (wait := gateway.per_address.take(address)) is not None:
        raise _too_many(wait, "来自该地址的请求过于频繁", "Too many requests from this address")
    caller = await _check_caller(gateway, request, service, rest)
    if caller is not None and (wait := gateway.per_user.take(str(caller.user_id))) is not None:
        raise _too_many(wait, "该用户的请求过于频繁", "Too many requests from this user")

    query = request.scope.get("query_string", b"").decode("latin-1")
    url = base.rstrip("/") + rest + (f"?{query}" if query else "")
    has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
    client = gateway.upstreams.client(service)
    upstream_request = client.build_request(
        request.method,
        url,
        headers=_forward_headers(request, service, address),
        content=request.stream() if has_body else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
        log.warning("upstream %s unavailable: %r", service, exc)
        raise Problem(
            503, "service-unavailable", "服务暂不可用", "Service unavailable",
            f"{service} 服务暂时无法访问，请稍后重试", f"The {service} service cannot be reached: retry later",
            headers={"Retry-After": "5"},
        ) from exc  # fmt: skip
    except (httpx.ReadTimeout, httpx.WriteTimeout) as exc:
        log.warning("upstream %s timed out: %r", service, exc)
        raise Problem(
            504, "gateway-timeout", "上游服务超时", "Upstream timeout", f"{service} 服务未在时限内响应",
            f"The {service} service did not answer in time",
        ) from exc  # fmt: skip
    except httpx.TransportError as exc:
        log.warning("upstream %s failed: %r", service, exc)
        raise _bad_gateway(service) from exc

    response: Response
    if _is_small(upstream):
        # Most API answers are a few kilobytes with a length: read them whole and answer in one piece, which
        # spares the streaming machinery (a generator and a background task per request).
        try:
            body = b"".join([chunk async for chunk in upstream.aiter_raw()])
        except httpx.TransportError as exc:
            log.warning("upstream %s broke off a response: %r", service, exc)
            raise _bad_gateway(service) from exc
        finally:
            await upstream.aclose()
        response = Response(body, status_code=upstream.status_code)
    else:
        response = StreamingResponse(
            _relay(upstream, service), status_code=upstream.status_code, background=BackgroundTask(upstream.aclose)
        )
    response.raw_headers = [
        (k, v)
        for k, v in upstream.headers.raw
        if k.lower().decode("latin-1") not in HOP_BY_HOP and k.lower().decode("latin-1") not in UPSTREAM_HEADERS_DROPPED
    ]
    return response


SMALL_RESPONSE_BYTES = 256 * 1024


def _is_small(upstream: httpx.Response) -> bool:
    """A response with a declared length of at most 256 KiB that is not an event stream."""
    length = upstream.headers.get("content-length", "")
    if not length.isdigit() or int(length) > SMALL_RESPONSE_BYTES:
        return False
    return not upstream.headers.get("content-type", "").startswith("text/event-stream")


async def _relay(upstream: httpx.Response, service: str) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_raw():
            yield chunk
    except httpx.TransportError as exc:
        # The status line is already sent: all that is left is to end the stream (the client sees it cut).
        log.warning("upstream %s broke off a streamed response: %r", service, exc)
    finally:
        await upstream.aclose()
