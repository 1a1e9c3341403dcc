"""SNMS-compatible enterprise-node API: token, identifier detail, templates, prefix information."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from carbonid_contracts.codes.uscc import uscc_is_valid
from carbonid_idnode.snms_api import hashed_password
from carbonid_idnode.testing import TEST_SNMS_SECRET, admin_of

DEMO_PREFIX = "88.118.8"
ACTIVITY_TEMPLATE = "88.118.1/META.ENERGY_ACTIVITY"


async def token(client: httpx.AsyncClient) -> dict[str, str]:
    r = await client.post("/identity/token", json={"username": "carbonid-dev", "password": TEST_SNMS_SECRET})
    body = r.json()
    assert (r.status_code, body["status"], body["message"]) == (200, 1, "success")
    return {"Authorization": f"Bearer {body['data']['token']}"}


async def test_token_accepts_username_or_client_id(client: httpx.AsyncClient) -> None:
    r = await client.post("/identity/token", json={"clientId": "carbonid-dev", "clientSecret": TEST_SNMS_SECRET})
    assert r.json()["status"] == 1
    assert len(r.json()["data"]["token"]) >= 32
    assert r.json()["data"]["expiresIn"] == 86400


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"username": "carbonid-dev", "password": "wrong"}, "用户名或密码错误 / wrong username or password"),
        ({"username": "someone", "password": TEST_SNMS_SECRET}, "用户名或密码错误 / wrong username or password"),
        ({"password": TEST_SNMS_SECRET}, "缺少必要的请求参数: username"),
        ({"username": "carbonid-dev"}, "缺少必要的请求参数: password"),
    ],
)
async def test_token_failures_use_status_minus_2(client: httpx.AsyncClient, body: dict[str, str], message: str) -> None:
    r = await client.post("/identity/token", json=body)
    assert r.status_code == 200
    assert r.json() == {"status": -2, "message": message, "data": None}


async def test_hashed_token_uses_the_china_date(client: httpx.AsyncClient) -> None:
    day = (datetime.now(UTC) + timedelta(hours=8)).strftime("%Y-%m-%d")
    password = hashed_password(TEST_SNMS_SECRET, day)
    ok = await client.post("/identity/token/v1", json={"username": "carbonid-dev", "password": password})
    assert ok.json()["status"] == 1
    stale = hashed_password(TEST_SNMS_SECRET, "2001-01-01")
    refused = await client.post("/identity/token/v1", json={"username": "carbonid-dev", "password": stale})
    assert refused.json()["status"] == -2
    plain = await client.post("/identity/token/v1", json={"username": "carbonid-dev", "password": TEST_SNMS_SECRET})
    assert plain.json()["status"] == -2


@pytest.mark.parametrize(
    "path",
    ["/identityv2/data/detail?handle=88.118.8/ENTERPRISE", "/snms/api/v5/template", "/snms/api/v5/template/list",
     "/snms/api/prefix/query?prefix=88.118.8"],
)  # fmt: skip
async def test_every_data_endpoint_needs_a_token(client: httpx.AsyncClient, path: str) -> None:
    r = await client.get(path)
    assert r.json() == {"status": -1, "message": "未登录或登录已过期 / not logged in or token expired", "data": None}
    forged = await client.get(path, headers={"Authorization": "Bearer forged"})
    assert forged.json()["status"] == -1


async def test_detail_returns_the_record_in_snms_shape(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/identityv2/data/detail", params={"handle": f"{DEMO_PREFIX}/ENTERPRISE"}, headers=await token(client)
    )
    body = r.json()
    assert (body["status"], body["message"]) == (1, "success")
    data = body["data"]
    assert set(data) == {"code", "prefix", "handle", "templateVersion", "value"}
    assert (data["prefix"], data["handle"], data["templateVersion"]) == (
        DEMO_PREFIX,
        f"{DEMO_PREFIX}/ENTERPRISE",
        "1.0",
    )
    first = data["value"][0]
    assert first == {"index": 1000, "type": "TEMPLATE_ID", "auth": "1",
                     "data": {"format": "string", "value": "88.118.1/META.ENTERPRISE_INFO"}}  # fmt: skip
    by_type = {v["type"]: v["data"]["value"] for v in data["value"]}
    assert "HS_ADMIN" not in by_type
    assert by_type["orgAddrCity"] == "330500"
    assert uscc_is_valid(by_type["orgCrtCode"])
    assert all(v["index"] >= 2000 for v in data["value"][2:])


async def test_detail_of_an_activity_record(client: httpx.AsyncClient) -> None:
    r = await client.get(
        "/identityv2/data/detail", params={"handle": f"{DEMO_PREFIX}/energy.2025-07"}, headers=await token(client)
    )
    by_type = {v["type"]: v["data"]["value"] for v in r.json()["data"]["value"]}
    assert by_type["TEMPLATE_ID"] == ACTIVITY_TEMPLATE
    assert by_type["periodMonth"] == "2025-07"
    assert float(by_type["electricityPurchased"]) > 0
    assert float(by_type["industrialAddedValue"]) > 0


async def test_detail_errors(client: httpx.AsyncClient) -> None:
    auth = await token(client)
    missing = await client.get("/identityv2/data/detail", headers=auth)
    assert missing.json() == {"message": "缺少必要的请求参数: handle", "status": -2, "data": None}
    unknown = await client.get("/identityv2/data/detail", params={"handle": f"{DEMO_PREFIX}/NOPE"}, headers=auth)
    assert (unknown.json()["status"], unknown.json()["data"]) == (-2, None)
    assert "标识不存在" in unknown.json()["message"]
    foreign = await client.get("/identityv2/data/detail", params={"handle": "10.5555/x"}, headers=auth)
    assert foreign.json()["status"] == -2


async def test_detail_sees_handle_api_writes(client: httpx.AsyncClient) -> None:
    value = [{"index": 2000, "type": "orgName", "data": "改名后的公司"}]
    r = await client.put(f"/api/handles/{DEMO_PREFIX}/ENTERPRISE?index=2000", json=value, headers=admin_of(DEMO_PREFIX))
    assert r.json()["responseCode"] == 1
    detail = await client.get(
        "/identityv2/data/detail", params={"handle": f"{DEMO_PREFIX}/ENTERPRISE"}, headers=await token(client)
    )
    assert {v["type"]: v["data"]["value"] for v in detail.json()["data"]["value"]}["orgName"] == "改名后的公司"
    info = await client.get("/snms/api/prefix/query", params={"prefix": DEMO_PREFIX}, headers=await token(client))
    assert info.json()["data"]["entNameCn"] == "改名后的公司"


async def test_template_list_and_get(client: httpx.AsyncClient) -> None:
    auth = await token(client)
    listed = (await client.get("/snms/api/v5/template/list", headers=auth)).json()
    assert listed["status"] == 1
    assert sorted(t["handle"] for t in listed["data"]) == [
        "88.118.1/META.ENERGY_ACTIVITY",
        "88.118.1/META.ENTERPRISE_INFO",
    ]
    same = (await client.get("/snms/api/v5/template", params={"prefix": "88.118.1"}, headers=auth)).json()
    assert same["data"] == listed["data"]
    assert (await client.get("/snms/api/v5/template", params={"prefix": "88.118.9"}, headers=auth)).json()["data"] == []
    got = (
        await client.get("/snms/api/v5/template", params={"handle": ACTIVITY_TEMPLATE, "version": "1.0"}, headers=auth)
    ).json()
    template = got["data"]
    assert (template["handle"], template["prefix"], template["version"]) == (ACTIVITY_TEMPLATE, "88.118.1", "1.0")
    items = {i["idType"]: i for i in template["items"]}
    assert items["periodMonth"]["dataType"] == 3
    electricity = items["electricityPurchased"]
    assert (electricity["idIndex"], electricity["dataType"], electricity["unit"], electricity["required"]) == (
        2004,
        2,
        "MWh",
        True,
    )
    assert electricity["name"] == "外购电力"
    assert electricity["metadata"]["type"] == "string"
    assert items["naturalGas"]["unit"] == "10^4 Nm3"
    assert items["steamEnthalpy"]["unit"] == "kJ/kg"
    assert items["industrialAddedValue"]["unit"] == "10^4 CNY"
    assert items["enterpriseHandle"]["dataType"] == 1
    assert min(i["idIndex"] for i in template["items"]) == 2000
    by_id = (await client.get("/snms/api/v5/template", params={"id": ACTIVITY_TEMPLATE.lower()}, headers=auth)).json()
    assert by_id["data"]["handle"] == ACTIVITY_TEMPLATE


async def test_template_errors(client: httpx.AsyncClient) -> None:
    auth = await token(client)
    version = await client.get(
        "/snms/api/v5/template", params={"handle": ACTIVITY_TEMPLATE, "version": "9.9"}, headers=auth
    )
    assert (version.json()["status"], version.json()["data"]) == (-2, None)
    unknown = await client.get("/snms/api/v5/template", params={"handle": "88.118.1/META.NOPE"}, headers=auth)
    assert unknown.json()["status"] == -2


async def test_prefix_query(client: httpx.AsyncClient) -> None:
    r = await client.get("/snms/api/prefix/query", params={"prefix": DEMO_PREFIX}, headers=await token(client))
    body = r.json()
    assert (body["status"], body["message"]) == (1, "success")
    data = body["data"]
    for key in (
        "prefix",
        "createDate",
        "ghrName",
        "status",
        "entNameCn",
        "entSite",
        "entIndustry",
        "entAddrCn",
        "entDesc",
    ):
        assert key in data
    assert data["prefix"] == DEMO_PREFIX
    assert data["status"] == 1
    assert data["entIndustry"] == "C"
    assert (data["orgAddrProvince"], data["orgAddrCity"], data["orgAddrCounty"]) == ("330000", "330500", "330522")
    assert (data["industryCategory"], data["industrySpecific"], data["industryClass"]) == ("C", "30", "3011")
    assert uscc_is_valid(data["orgCrtCode"])
    assert data["nodeType"] in (1, 2)
    assert data["parentPrefix"] == "88.118"
    assert data["enterpriseHandle"] == f"{DEMO_PREFIX}/ENTERPRISE"
    assert data["ghrName"].startswith("工业互联网标识解析国家顶级节点")


async def test_prefix_query_errors(client: httpx.AsyncClient) -> None:
    auth = await token(client)
    unknown = await client.get("/snms/api/prefix/query", params={"prefix": "88.999.1"}, headers=auth)
    assert (unknown.json()["status"], unknown.json()["data"]) == (-2, None)
    missing = await client.get("/snms/api/prefix/query", headers=auth)
    assert missing.json() == {"status": -2, "message": "缺少必要的请求参数: prefix", "data": None}
