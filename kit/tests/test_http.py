"""The HTTP side of the kit: settings, problem+json, request ids, body limits, token verification."""

from __future__ import annotations

import uuid
from datetime import timedelta

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field, ValidationError

from carbonid_contracts.codes.uscc import USCC
from carbonid_kit.app import Degradation, NotReadyError, create_service_app
from carbonid_kit.auth import CurrentCaller
from carbonid_kit.settings import ServiceSettings
from carbonid_kit.testing_tokens import TestTokens


def test_default_secrets_refused_outside_development() -> None:
    assert ServiceSettings(environment="development").service_token.get_secret_value().startswith("dev-insecure-")
    with pytest.raises(ValidationError, match="CARBONID_SERVICE_TOKEN"):
        ServiceSettings(environment="production")
    ServiceSettings(environment="production", service_token="a-real-secret-from-the-vault")  # type: ignore[arg-type]


def test_idempotent_producer_follows_the_broker() -> None:
    assert ServiceSettings(kafka_flavour="tansu").idempotent_producer is False
    assert ServiceSettings(kafka_flavour="apache").idempotent_producer is True
    assert ServiceSettings(kafka_flavour="apache", kafka_idempotent_producer=False).idempotent_producer is False


class Registration(BaseModel):
    name: str = Field(min_length=2, max_length=10)
    uscc: USCC


def build_app(tokens: TestTokens) -> FastAPI:
    router = APIRouter()

    @router.post("/things")
    async def create(body: Registration) -> dict[str, str]:
        return {"name": body.name}

    @router.get("/me")
    async def me(caller: CurrentCaller) -> dict[str, str]:
        return {"role": caller.role, "region": caller.region_scope or ""}

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("bug")

    app = create_service_app(
        ServiceSettings(service_name="kit-test", log_json=False), None, title="t", routers=[router], max_body_bytes=1024
    )
    app.state.jwks.load_jwks(tokens.jwks)
    return app


@pytest.fixture
def tokens() -> TestTokens:
    return TestTokens()


@pytest.fixture
async def client(tokens: TestTokens) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(tokens), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://kit")


async def test_validation_errors_are_bilingual_problems_with_pointers(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/things", json={"name": "x", "uscc": "91330500MA2B3C4D5X"}, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["type"] == "urn:carbonid:problem:validation-error"
    assert body["title"] == "Validation failed"
    pointers = {e["pointer"]: e for e in body["errors"]}
    assert set(pointers) == {"/name", "/uscc"}
    assert "统一社会信用代码" in pointers["/uscc"]["message_zh"]
    assert "unified social credit code" in pointers["/uscc"]["message_en"]
    assert body["i18n"]["zh"]["title"] == "输入校验失败"


@pytest.mark.parametrize(
    ("content", "headers", "status"),
    [
        (b"{not json", {"content-type": "application/json"}, 422),
        (b"name=x", {"content-type": "application/x-www-form-urlencoded"}, 422),
        (b"x" * 2048, {"content-type": "application/json"}, 413),
        ('{"name": "\udcff"}'.encode("utf-8", "surrogatepass"), {"content-type": "application/json"}, 422),
        (b'{"name": "\\u0000\\u0000", "uscc": "\xe4\xb8\xad"}', {"content-type": "application/json"}, 422),
    ],
)
async def test_bad_bodies_are_4xx_problems(
    client: httpx.AsyncClient, content: bytes, headers: dict[str, str], status: int
) -> None:
    r = await client.post("/things", content=content, headers=headers)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"


async def test_errors_never_leak_and_carry_the_request_id(client: httpx.AsyncClient) -> None:
    r = await client.get("/boom", headers={"X-Request-ID": "req-123"})
    assert r.status_code == 500
    assert r.json()["type"] == "urn:carbonid:problem:internal-error"
    assert r.json()["request_id"] == "req-123"
    assert r.headers["x-request-id"] == "req-123"
    assert "bug" not in r.text
    r = await client.get("/nowhere")
    assert r.status_code == 404
    assert r.json()["type"] == "urn:carbonid:problem:not-found"
    assert len(r.headers["x-request-id"]) == 32


async def test_tokens_are_verified_offline(client: httpx.AsyncClient, tokens: TestTokens) -> None:
    r = await client.get("/me", headers=tokens.headers("government", region="330500"))
    assert r.json() == {"role": "government", "region": "330500"}
    assert (await client.get("/me")).status_code == 401
    expired = tokens.mint("enterprise", ttl=timedelta(seconds=-60))  # beyond the 30 s clock-skew leeway
    r = await client.get("/me", headers={"Authorization": f"Bearer {expired}"})
    assert (r.status_code, r.json()["type"]) == (401, "urn:carbonid:problem:token-expired")
    forced = tokens.headers("enterprise", must_change_password=True)
    r = await client.get("/me", headers=forced)
    assert (r.status_code, r.json()["type"]) == (403, "urn:carbonid:problem:password-change-required")
    stranger = TestTokens()  # same kid space, different key: must be refused
    stranger.kid = tokens.kid
    r = await client.get("/me", headers=stranger.headers("operator"))
    assert r.status_code == 401
    r = await client.get("/me", headers={"Authorization": "Bearer " + "a.b.c"})
    assert r.status_code == 401


async def test_health_and_metrics(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json()["status"] == "ok"
    assert (await client.get("/health/ready")).json()["status"] == "ready"
    await client.get("/me")
    text = (await client.get("/metrics")).text
    assert 'carbonid_http_requests_total{method="GET",route="/me",service="kit-test",status="401"}' in text
    assert "degraded" not in (await client.get("/health/ready")).json()


async def test_readiness_names_the_degraded_parts() -> None:
    font = Degradation("report-font", "缺少中文字体", "no CJK font")
    present: list[Degradation] = [font]
    app = create_service_app(
        ServiceSettings(service_name="kit-test", log_json=False),
        None,
        title="t",
        degraded=[lambda: present[0] if present else None, lambda: None],
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kit") as client:
        ready = (await client.get("/health/ready")).json()
        assert ready["status"] == "ready"
        assert ready["degraded"] == [{"part": "report-font", "detail_zh": "缺少中文字体", "detail_en": "no CJK font"}]
        present.clear()  # checked on every call: a font installed later is seen without a restart
        assert "degraded" not in (await client.get("/health/ready")).json()


def test_caller_visibility_rule() -> None:
    from carbonid_kit.auth import Caller

    ent = uuid.uuid4()
    assert Caller(uuid.uuid4(), "e", "enterprise", enterprise_id=ent).may_see(enterprise_id=ent, region_code="330502")
    assert not Caller(uuid.uuid4(), "e", "enterprise", enterprise_id=ent).may_see(enterprise_id=uuid.uuid4())
    assert not Caller(uuid.uuid4(), "e", "enterprise").may_see(enterprise_id=ent)
    gov_city = Caller(uuid.uuid4(), "g", "government", region_scope="330500")
    assert gov_city.may_see(region_code="330502")
    assert not gov_city.may_see(region_code="330600")
    assert not gov_city.may_see(region_code="330000")
    assert Caller(uuid.uuid4(), "g", "government", region_scope="330000").may_see(region_code="330502")
    assert not Caller(uuid.uuid4(), "g", "government").may_see(region_code="330502")
    assert Caller(uuid.uuid4(), "o", "operator").may_see(region_code="110101")


async def test_readiness_never_shows_what_a_failed_check_said() -> None:
    async def database() -> None:
        raise OSError("connection to postgres://carbonid:secret@db.internal:5432 refused")

    async def upstreams() -> None:
        raise NotReadyError("upstreams not ready: identity: unreachable")

    for check, shown in ((database, "A dependency is unavailable"), (upstreams, "identity: unreachable")):
        app = create_service_app(
            ServiceSettings(service_name="kit-ready", log_json=False, environment="test"),
            None,
            title="t",
            readiness=[check],
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://kit") as client:
            response = await client.get("/health/ready", headers={"Accept-Language": "en"})
        assert response.status_code == 503
        assert shown in response.json()["detail"]
        assert "secret" not in response.text
        assert "db.internal" not in response.text
