"""Handle.Net v9 REST API: shapes, responseCode/HTTP mapping, filters, auth and write semantics."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from carbonid_idnode import create_app
from carbonid_idnode.records import HTTP_STATUS, ResponseCode, http_status
from carbonid_idnode.testing import TEST_ADMIN_SECRET as ADMIN_SECRET
from carbonid_idnode.testing import admin_of, basic_auth
from carbonid_idnode.testing import test_settings as make_settings

DEMO_PREFIX = "88.118.8"

ENTERPRISE = f"{DEMO_PREFIX}/ENTERPRISE"
ADMIN = admin_of(DEMO_PREFIX)

# Handle.Net 9 statusCodeFromResponse, restated independently of records.HTTP_STATUS.
EXPECTED_HTTP = {
    1: 200, 2: 500, 3: 503, 4: 400, 5: 501, 6: 500, 7: 503, 100: 404, 101: 409, 102: 400, 200: 400, 201: 409,
    202: 400, 300: 500, 301: 400, 302: 300, 303: 300, 400: 403, 401: 403, 402: 401, 403: 403, 404: 403, 405: 500,
    406: 500, 500: 500, 501: 500, 502: 500, 503: 500, 504: 500, 505: 500,
}  # fmt: skip


@pytest.mark.parametrize(("code", "status"), sorted(EXPECTED_HTTP.items()))
def test_response_code_maps_to_handle_net_http_status(code: int, status: int) -> None:
    assert http_status(ResponseCode(code)) == status


def test_mapping_table_covers_every_response_code() -> None:
    assert set(HTTP_STATUS) == set(ResponseCode)
    assert {int(c) for c in ResponseCode} == set(EXPECTED_HTTP)


def test_success_is_201_only_for_creation_and_empty_resolution_is_200() -> None:
    assert http_status(ResponseCode.SUCCESS, created=True) == 201
    assert http_status(ResponseCode.VALUES_NOT_FOUND, resolution=True) == 200
    assert http_status(ResponseCode.VALUES_NOT_FOUND) == 400


# -- resolution --------------------------------------------------------------------------------------------------


async def test_resolve_returns_every_value_normalised(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}")
    assert r.status_code == 200
    body = r.json()
    assert body["responseCode"] == 1
    assert body["handle"] == ENTERPRISE
    indices = [v["index"] for v in body["values"]]
    assert indices == sorted(indices)
    assert {100, 1000, 1001, 2000, 2001} <= set(indices)
    for value in body["values"]:
        assert set(value) >= {"index", "type", "data", "ttl", "timestamp"}
        assert set(value["data"]) == {"format", "value"}
        assert value["timestamp"].endswith("Z")
    by_index = {v["index"]: v for v in body["values"]}
    assert by_index[1000]["type"] == "TEMPLATE_ID"
    assert by_index[1001]["data"] == {"format": "string", "value": "1.0"}


async def test_requested_handle_is_echoed_exactly_and_lookup_ignores_ascii_case(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{DEMO_PREFIX}/enterprise")
    assert r.status_code == 200
    assert r.json()["handle"] == f"{DEMO_PREFIX}/enterprise"


async def test_not_found_is_404_with_code_100(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{DEMO_PREFIX}/NOPE")
    assert r.status_code == 404
    assert r.json()["responseCode"] == 100
    assert r.json()["handle"] == f"{DEMO_PREFIX}/NOPE"


async def test_prefix_not_homed_is_400_with_code_301(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/handles/hdl:88.118.8/ENTERPRISE")
    assert r.status_code == 400
    assert r.json() == {
        "responseCode": 301,
        "handle": "hdl:88.118.8/ENTERPRISE",
        "message": "That prefix doesn't live here",
    }
    assert (await client.get("/api/handles/10.5555/x")).json()["responseCode"] == 301


async def test_handle_without_suffix_separator_is_invalid(client: httpx.AsyncClient) -> None:
    r = await client.get("/api/handles/88.118.8")
    assert r.status_code == 400
    assert r.json()["responseCode"] == 102


async def test_hs_seckey_is_hidden_from_public_reads(client: httpx.AsyncClient) -> None:
    body = (await client.get(f"/api/handles/{DEMO_PREFIX}/ADMIN")).json()
    assert [v["type"] for v in body["values"]] == ["HS_ADMIN"]
    assert ADMIN_SECRET not in str(body)
    with_auth = await client.get(f"/api/handles/{DEMO_PREFIX}/ADMIN?publicOnly=false", headers=ADMIN)
    secret = next(v for v in with_auth.json()["values"] if v["type"] == "HS_SECKEY")
    assert secret["index"] == 300
    assert secret["permissions"] == "1100"


async def test_filter_by_index(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}?index=2000&index=1001")
    assert [v["index"] for v in r.json()["values"]] == [1001, 2000]


async def test_filter_by_type_is_case_insensitive_and_unions_with_index(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}?type=ORGNAME&type=orgCrtCode&index=1000")
    assert [v["type"] for v in r.json()["values"]] == ["TEMPLATE_ID", "orgName", "orgCrtCode"]


async def test_type_with_trailing_dot_matches_subtypes_only(client: httpx.AsyncClient) -> None:
    values = [
        {"index": 2, "type": "energy.coal", "data": "1"},
        {"index": 3, "type": "energy.gas", "data": "2"},
        {"index": 4, "type": "energyKwh", "data": "3"},
        {"index": 5, "type": "energy", "data": "4"},
    ]
    r = await client.put(f"/api/handles/{DEMO_PREFIX}/SUB", json=values, headers=ADMIN)
    assert r.status_code == 200
    got = await client.get(f"/api/handles/{DEMO_PREFIX}/SUB?type=energy.")
    assert [v["type"] for v in got.json()["values"]] == ["energy.coal", "energy.gas"]
    exact = await client.get(f"/api/handles/{DEMO_PREFIX}/SUB?type=energy")
    assert [v["type"] for v in exact.json()["values"]] == ["energy"]


async def test_no_matching_values_is_200_with_code_200(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}?index=9999")
    assert r.status_code == 200
    assert r.json() == {"responseCode": 200, "handle": ENTERPRISE, "values": []}


async def test_non_numeric_index_is_protocol_error(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}?index=abc")
    assert (r.status_code, r.json()["responseCode"]) == (400, 4)


async def test_unicode_suffix_round_trips(client: httpx.AsyncClient) -> None:
    handle = f"{DEMO_PREFIX}/能耗 2024-01"
    assert (
        await client.put(f"/api/handles/{handle}", json=[{"index": 2, "type": "x", "data": "y"}], headers=ADMIN)
    ).status_code == 200
    r = await client.get(f"/api/handles/{handle}")
    assert r.status_code == 200
    assert r.json()["handle"] == handle


# -- listing -----------------------------------------------------------------------------------------------------


async def test_prefixes_lists_every_homed_prefix(client: httpx.AsyncClient) -> None:
    body = (await client.get("/api/prefixes")).json()
    assert body["responseCode"] == 1
    assert DEMO_PREFIX in body["prefixes"]
    assert len(body["prefixes"]) == 49
    assert any(not p.startswith("88.") for p in body["prefixes"])


async def test_list_handles_needs_the_prefix_admin(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles?prefix={DEMO_PREFIX}")
    assert (r.status_code, r.json()["responseCode"]) == (401, 402)
    other = await client.get(f"/api/handles?prefix={DEMO_PREFIX}", headers=admin_of("88.118.9"))
    assert (other.status_code, other.json()["responseCode"]) == (403, 401)


async def test_list_handles_counts_as_string_and_pages(client: httpx.AsyncClient) -> None:
    full = (await client.get(f"/api/handles?prefix={DEMO_PREFIX}", headers=ADMIN)).json()
    assert full["responseCode"] == 1
    assert full["totalCount"] == "29"  # ADMIN, ENTERPRISE, 24 months and 3 meters
    assert len(full["handles"]) == 29
    assert f"{DEMO_PREFIX}/energy.2024-11" in full["handles"]
    page = (await client.get(f"/api/handles?prefix={DEMO_PREFIX}&page=1&pageSize=10", headers=ADMIN)).json()
    assert (page["page"], page["pageSize"], page["totalCount"]) == (1, 10, "29")
    assert page["handles"] == full["handles"][10:20]
    count_only = (await client.get(f"/api/handles?prefix={DEMO_PREFIX}&pageSize=0", headers=ADMIN)).json()
    assert count_only["handles"] == []
    assert count_only["totalCount"] == "29"


async def test_list_handles_errors(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/handles", headers=ADMIN)
    assert (missing.status_code, missing.json()["responseCode"]) == (400, 4)
    elsewhere = await client.get("/api/handles?prefix=10.5555", headers=ADMIN)
    assert (elsewhere.status_code, elsewhere.json()["responseCode"]) == (400, 301)


async def test_list_handles_open_when_configured(client_for: Callable[[FastAPI], httpx.AsyncClient]) -> None:
    async with client_for(create_app(make_settings(list_requires_auth=False))) as client:
        r = await client.get(f"/api/handles?prefix={DEMO_PREFIX}")
    assert r.json()["totalCount"] == "29"


# -- authentication ----------------------------------------------------------------------------------------------

NEW = f"{DEMO_PREFIX}/ACT-2024-01"
BODY = {"values": [{"index": 2, "type": "energyKwh", "data": "12345"}]}


async def test_write_without_credentials_is_401_code_402(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=BODY)
    assert (r.status_code, r.json()["responseCode"], r.json()["handle"]) == (401, 402, NEW)
    assert (await client.delete(f"/api/handles/{ENTERPRISE}")).status_code == 401
    assert (await client.get(f"/api/handles/{ENTERPRISE}")).status_code == 200


async def test_write_with_wrong_secret_is_403_code_403(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=BODY, headers=admin_of(DEMO_PREFIX, "wrong"))
    assert (r.status_code, r.json()["responseCode"]) == (403, 403)
    assert (await client.get(f"/api/handles/{NEW}")).status_code == 404


@pytest.mark.parametrize(
    "headers",
    [
        basic_auth("300:88.118.8/NOBODY", ADMIN_SECRET),
        basic_auth("301:88.118.8/ADMIN", ADMIN_SECRET),
        {"Authorization": "Basic !!!not-base64"},
        {"Authorization": "Basic " + "bm9jb2xvbg=="},
    ],
    ids=["unknown-handle", "index-without-seckey", "not-base64", "no-colon"],
)
async def test_write_with_invalid_credential_is_403_code_404(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=BODY, headers=headers)
    assert (r.status_code, r.json()["responseCode"]) == (403, 404)


async def test_other_scheme_needs_authentication(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=BODY, headers={"Authorization": 'Handle clientCert="true"'})
    assert (r.status_code, r.json()["responseCode"]) == (401, 402)


async def test_admin_of_another_prefix_lacks_permission(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=BODY, headers=admin_of("88.118.9"))
    assert (r.status_code, r.json()["responseCode"]) == (403, 401)


async def test_hs_admin_naming_another_admin_grants_it(client: httpx.AsyncClient) -> None:
    foreign_admin = {"index": 100, "type": "HS_ADMIN",
                     "data": {"format": "admin", "value": {"handle": "88.118.9/ADMIN", "index": "300"}}}  # fmt: skip
    await client.put(f"/api/handles/{NEW}", json=[foreign_admin, BODY["values"][0]], headers=ADMIN)
    r = await client.put(
        f"/api/handles/{NEW}?index=3", json=[{"index": 3, "type": "t", "data": "v"}], headers=admin_of("88.118.9")
    )
    assert r.status_code == 201 or r.status_code == 200
    assert r.json()["responseCode"] == 1


async def test_unencoded_identity_is_accepted(client: httpx.AsyncClient) -> None:
    import base64

    raw = base64.b64encode(f"300:{DEMO_PREFIX}/ADMIN:{ADMIN_SECRET}".encode()).decode()
    r = await client.put(f"/api/handles/{NEW}", json=BODY, headers={"Authorization": f"Basic {raw}"})
    assert r.json()["responseCode"] == 1


async def test_https_required_when_configured(client_for: Callable[[FastAPI], httpx.AsyncClient]) -> None:
    app = create_app(make_settings(require_https_for_writes=True))
    async with client_for(app) as client:
        r = await client.put(f"/api/handles/{NEW}", json=BODY, headers=ADMIN)
        assert (r.status_code, r.json()["responseCode"]) == (403, 401)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://idnode.test") as tls:
        assert (await tls.put(f"/api/handles/{NEW}", json=BODY, headers=ADMIN)).json()["responseCode"] == 1


# -- writes ------------------------------------------------------------------------------------------------------


async def test_create_with_overwrite_false_is_201_and_normalises_values(client: httpx.AsyncClient) -> None:
    body = {"values": [
        {"index": 100, "type": "HS_ADMIN",
         "data": {"value": {"index": "200", "handle": f"0.NA/{DEMO_PREFIX}", "permissions": "011111110011"},
                  "format": "admin"}},
        {"index": 1, "type": "URL", "data": "http://127.0.0.1/a"},
        {"index": "2", "type": "energyKwh", "data": "12345", "ttl": 3600},
    ]}  # fmt: skip
    r = await client.put(f"/api/handles/{NEW}?overwrite=false", json=body, headers=ADMIN)
    assert r.status_code == 201
    assert r.json() == {"responseCode": 1, "handle": NEW}
    values = {v["index"]: v for v in (await client.get(f"/api/handles/{NEW}")).json()["values"]}
    assert values[1]["data"] == {"format": "string", "value": "http://127.0.0.1/a"}
    assert values[1]["ttl"] == 86400
    assert values[2]["ttl"] == 3600
    assert values[100]["data"]["value"]["index"] == 200
    assert all(v["timestamp"] for v in values.values())


async def test_create_existing_with_overwrite_false_is_409_code_101(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{ENTERPRISE}?overwrite=false", json=BODY, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (409, 101)
    assert len((await client.get(f"/api/handles/{ENTERPRISE}")).json()["values"]) > 3


async def test_put_without_overwrite_replaces_the_whole_record(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{ENTERPRISE}", json=BODY, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (200, 1)
    values = (await client.get(f"/api/handles/{ENTERPRISE}")).json()["values"]
    assert [(v["index"], v["type"]) for v in values] == [(2, "energyKwh"), (100, "HS_ADMIN")]
    assert values[1]["data"]["value"] == {"handle": f"{DEMO_PREFIX}/ADMIN", "index": 300, "permissions": "111111111111"}


@pytest.mark.parametrize(
    "body",
    [
        [{"index": 2, "type": "a", "data": "b"}],
        {"values": [{"index": 2, "type": "a", "data": "b"}]},
        {"handle": NEW.lower(), "values": [{"index": 2, "type": "a", "data": "b"}]},
        {"index": 2, "type": "a", "data": {"format": "string", "value": "b"}},
    ],
    ids=["array", "values-object", "values-with-handle", "single-value"],
)
async def test_put_body_forms(client: httpx.AsyncClient, body: object) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=body, headers=ADMIN)
    assert r.json()["responseCode"] == 1
    got = (await client.get(f"/api/handles/{NEW}?index=2")).json()["values"]
    assert got[0]["data"] == {"format": "string", "value": "b"}


@pytest.mark.parametrize(
    ("content", "content_type", "query"),
    [
        (b"{not json", "application/json", ""),
        (b'[{"index": 2, "type": "a", "data": "b"}]', "text/plain", ""),
        (b'{"handle": "88.118.8/OTHER", "values": []}', "application/json", ""),
        (b'"just a string"', "application/json", ""),
        (b'[{"index": 3, "type": "a", "data": "b"}]', "application/json", "?index=2"),
    ],
    ids=["bad-json", "content-type", "handle-mismatch", "not-values", "index-mismatch"],
)
async def test_protocol_errors_are_400_code_4(
    client: httpx.AsyncClient, content: bytes, content_type: str, query: str
) -> None:
    headers = {**ADMIN, "Content-Type": content_type}
    r = await client.put(f"/api/handles/{ENTERPRISE}{query}", content=content, headers=headers)
    assert (r.status_code, r.json()["responseCode"]) == (400, 4)
    assert (await client.get(f"/api/handles/{ENTERPRISE}?index=2000")).json()["responseCode"] == 1


@pytest.mark.parametrize(
    "values",
    [
        [{"index": 2, "data": "b"}],
        [{"index": 2, "type": "a", "data": {"format": "nonsense", "value": "b"}}],
        [{"index": 2, "type": "a", "data": "b"}, {"index": 2, "type": "c", "data": "d"}],
        [{"index": -1, "type": "a", "data": "b"}],
        [{"index": 2, "type": "a", "data": {"format": "base64", "value": "%%%"}}],
        [{"index": 2, "type": "a", "data": "b", "permissions": "11"}],
        [{"index": 100, "type": "HS_ADMIN", "data": {"format": "admin", "value": {"index": 200}}}],
        [],
    ],
    ids=[
        "no-type",
        "bad-format",
        "duplicate-index",
        "negative-index",
        "bad-base64",
        "bad-permissions",
        "bad-admin",
        "empty",
    ],
)
async def test_invalid_values_are_400_code_202(client: httpx.AsyncClient, values: list[object]) -> None:
    r = await client.put(f"/api/handles/{NEW}", json=values, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (400, 202)
    assert (await client.get(f"/api/handles/{NEW}")).status_code == 404


async def test_put_values_by_index_add_modify_and_conflict(client: httpx.AsyncClient) -> None:
    await client.put(f"/api/handles/{NEW}", json=BODY, headers=ADMIN)
    added = await client.put(
        f"/api/handles/{NEW}?index=3&overwrite=false", json=[{"index": 3, "type": "t", "data": "v"}], headers=ADMIN
    )
    assert (added.status_code, added.json()["responseCode"]) == (201, 1)
    clash = await client.put(
        f"/api/handles/{NEW}?index=2&overwrite=false",
        json=[{"index": 2, "type": "energyKwh", "data": "1"}],
        headers=ADMIN,
    )
    assert (clash.status_code, clash.json()["responseCode"]) == (409, 201)
    modified = await client.put(
        f"/api/handles/{NEW}?index=2&overwrite=true",
        json=[{"index": 2, "type": "energyKwh", "data": "999"}],
        headers=ADMIN,
    )
    assert (modified.status_code, modified.json()["responseCode"]) == (200, 1)
    various = await client.put(
        f"/api/handles/{NEW}?index=various", json=[{"index": 4, "type": "u", "data": "w"}], headers=ADMIN
    )
    assert various.json()["responseCode"] == 1
    values = {v["index"]: v["data"]["value"] for v in (await client.get(f"/api/handles/{NEW}")).json()["values"]}
    assert values[2] == "999"
    assert values[3] == "v"
    assert values[4] == "w"


async def test_put_values_on_missing_handle_is_404(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{NEW}?index=2", json=BODY, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (404, 100)


async def test_mint_new_suffix_creates_a_fresh_handle(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{DEMO_PREFIX}/?mintNewSuffix=true", json=BODY, headers=ADMIN)
    assert r.status_code == 201
    minted = r.json()["handle"]
    assert minted.startswith(f"{DEMO_PREFIX}/")
    assert len(minted) > len(DEMO_PREFIX) + 1
    assert (await client.get(f"/api/handles/{minted}")).status_code == 200


async def test_put_without_suffix_is_invalid_handle(client: httpx.AsyncClient) -> None:
    r = await client.put(f"/api/handles/{DEMO_PREFIX}/", json=BODY, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (400, 102)


async def test_write_to_foreign_prefix_is_301(client: httpx.AsyncClient) -> None:
    r = await client.put("/api/handles/10.5555/x", json=BODY, headers=ADMIN)
    assert (r.status_code, r.json()["responseCode"]) == (400, 301)


async def test_delete_record_and_values(client: httpx.AsyncClient) -> None:
    await client.put(
        f"/api/handles/{NEW}",
        json=[{"index": 2, "type": "a", "data": "1"}, {"index": 3, "type": "b", "data": "2"}],
        headers=ADMIN,
    )
    missing_value = await client.delete(f"/api/handles/{NEW}?index=3&index=9", headers=ADMIN)
    assert (missing_value.status_code, missing_value.json()["responseCode"]) == (400, 200)
    assert [v["index"] for v in (await client.get(f"/api/handles/{NEW}")).json()["values"]] == [2, 3, 100]
    removed = await client.delete(f"/api/handles/{NEW}?index=3", headers=ADMIN)
    assert (removed.status_code, removed.json()) == (200, {"responseCode": 1, "handle": NEW})
    assert [v["index"] for v in (await client.get(f"/api/handles/{NEW}")).json()["values"]] == [2, 100]
    deleted = await client.delete(f"/api/handles/{NEW}", headers=ADMIN)
    assert (deleted.status_code, deleted.json()["responseCode"]) == (200, 1)
    assert (await client.get(f"/api/handles/{NEW}")).status_code == 404
    again = await client.delete(f"/api/handles/{NEW}", headers=ADMIN)
    assert (again.status_code, again.json()["responseCode"]) == (404, 100)


async def test_writes_are_case_insensitive_and_keep_the_first_spelling(client: httpx.AsyncClient) -> None:
    await client.put(f"/api/handles/{DEMO_PREFIX}/MixedCase", json=BODY, headers=ADMIN)
    await client.put(
        f"/api/handles/{DEMO_PREFIX}/MIXEDCASE?index=3", json=[{"index": 3, "type": "t", "data": "v"}], headers=ADMIN
    )
    listed = (await client.get(f"/api/handles?prefix={DEMO_PREFIX}", headers=ADMIN)).json()["handles"]
    assert f"{DEMO_PREFIX}/MixedCase" in listed
    assert f"{DEMO_PREFIX}/MIXEDCASE" not in listed


async def test_pretty_output(client: httpx.AsyncClient) -> None:
    r = await client.get(f"/api/handles/{ENTERPRISE}?index=2000&pretty")
    assert "\n  " in r.text


async def test_writes_persist_across_restarts(
    tmp_path: Path, client_for: Callable[[FastAPI], httpx.AsyncClient]
) -> None:
    settings = make_settings(persist_path=tmp_path / "journal.json")
    async with client_for(create_app(settings)) as client:
        await client.put(f"/api/handles/{NEW}", json=BODY, headers=ADMIN)
        await client.delete(f"/api/handles/{ENTERPRISE}", headers=ADMIN)
    async with client_for(create_app(settings)) as client:
        kept = await client.get(f"/api/handles/{NEW}")
        assert kept.json()["values"][0]["data"]["value"] == "12345"
        assert (await client.get(f"/api/handles/{ENTERPRISE}")).status_code == 404
        assert (await client.get(f"/api/handles/{DEMO_PREFIX}/energy.2025-07")).status_code == 200
