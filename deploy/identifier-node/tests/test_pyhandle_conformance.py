"""Conformance with an independent Handle REST client (pyhandle) against a real uvicorn server.

Runs twice: over plain HTTP, and over HTTPS with a self-signed certificate and HTTPS required for writes
(as real Handle servers do). pyhandle sets no HTTP timeouts, so every test has a pytest-timeout.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from pyhandle.client.resthandleclient import RESTHandleClient
from pyhandle.handleexceptions import (
    GenericHandleError,
    HandleAlreadyExistsException,
    HandleAuthenticationError,
    HandleNotFoundException,
)

from carbonid_idnode.testing import TEST_ADMIN_SECRET, RunningNode, running_node, test_settings

pytestmark = [
    pytest.mark.timeout(60),
    pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning"),
]

PREFIX = "88.118.8"
ENTERPRISE = f"{PREFIX}/ENTERPRISE"
USERNAME = f"300:{PREFIX}/ADMIN"


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "node.crt", directory / "node.key"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certfile, keyfile


@pytest.fixture(scope="module", params=["http", "https"])
def node(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningNode]:
    with pytest.MonkeyPatch.context() as mp:
        # Loopback must never go through a proxy from the environment.
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.setenv("no_proxy", "127.0.0.1,localhost")
        if request.param == "https":
            certfile, keyfile = self_signed_certificate(tmp_path_factory.mktemp("tls"))
            settings = test_settings(require_https_for_writes=True)
            with running_node(settings, certfile=certfile, keyfile=keyfile) as running:
                yield running
        else:
            with running_node(test_settings()) as running:
                yield running


@pytest.fixture
def reader(node: RunningNode) -> Any:
    return RESTHandleClient.instantiate_for_read_access(handle_server_url=node.url, HTTPS_verify=False)


@pytest.fixture
def writer(node: RunningNode) -> Any:
    return RESTHandleClient.instantiate_with_username_and_password(
        node.url, USERNAME, TEST_ADMIN_SECRET, HTTPS_verify=False
    )


def test_read_whole_record(reader: Any) -> None:
    record = reader.retrieve_handle_record_json(ENTERPRISE)
    assert record["responseCode"] == 1
    assert record["handle"] == ENTERPRISE
    assert {1000, 1001, 2000} <= {v["index"] for v in record["values"]}
    assert reader.get_value_from_handle(ENTERPRISE, "orgAddrCounty") == "330522"
    simple = reader.retrieve_handle_record(ENTERPRISE)
    assert simple["TEMPLATE_ID"] == "88.118.1/META.ENTERPRISE_INFO"


def test_read_filtered_by_index(reader: Any) -> None:
    record = reader.retrieve_handle_record_json(ENTERPRISE, indices=[2001, 1000])
    assert [v["index"] for v in record["values"]] == [1000, 2001]


def test_read_filtered_by_type(reader: Any) -> None:
    record = reader.retrieve_handle_record_json(ENTERPRISE, type=["orgName", "TEMPLATE"])
    assert [v["type"] for v in record["values"]] == ["TEMPLATE", "orgName"]


def test_read_authoritative(reader: Any) -> None:
    assert (
        reader.retrieve_handle_record_json(f"{PREFIX}/energy.2026-10", auth=True)["handle"]
        == f"{PREFIX}/energy.2026-10"
    )


def test_not_found(reader: Any) -> None:
    assert reader.retrieve_handle_record_json(f"{PREFIX}/NOPE") is None
    assert reader.retrieve_handle_record(f"{PREFIX}/NOPE") is None
    with pytest.raises(HandleNotFoundException):
        reader.get_value_from_handle(f"{PREFIX}/NOPE", "URL")


def test_create_modify_delete_cycle(reader: Any, writer: Any) -> None:
    handle = f"{PREFIX}/ACT-2024-01"
    assert writer.register_handle_kv(handle, URL="http://127.0.0.1/a", energyKwh="12345") == handle
    assert reader.get_value_from_handle(handle, "energyKwh") == "12345"
    admin = next(v for v in reader.retrieve_handle_record_json(handle)["values"] if v["type"] == "HS_ADMIN")
    assert admin["data"]["value"] == {"handle": f"0.NA/{PREFIX}", "index": 200, "permissions": "011111110011"}
    with pytest.raises(HandleAlreadyExistsException):
        writer.register_handle_kv(handle, URL="http://127.0.0.1/b")

    writer.modify_handle_value(handle, energyKwh="999", unit="kWh")
    assert reader.get_value_from_handle(handle, "energyKwh") == "999"
    assert reader.get_value_from_handle(handle, "unit") == "kWh"
    assert reader.get_value_from_handle(handle, "URL") == "http://127.0.0.1/a"

    assert writer.delete_handle_value(handle, "energyKwh") == handle
    assert reader.get_value_from_handle(handle, "energyKwh") is None
    assert reader.get_value_from_handle(handle, "unit") == "kWh"

    assert writer.delete_handle(handle) == handle
    assert reader.retrieve_handle_record_json(handle) is None
    with pytest.raises(HandleNotFoundException):
        writer.delete_handle(handle)


def test_register_with_overwrite_replaces(reader: Any, writer: Any) -> None:
    handle = f"{PREFIX}/OVERWRITE-ME"
    writer.register_handle_kv(handle, first="1")
    writer.register_handle_kv(handle, overwrite=True, second="2")
    record = reader.retrieve_handle_record(handle)
    assert "first" not in record
    assert record["second"] == "2"


def test_unicode_suffix(reader: Any, writer: Any) -> None:
    handle = f"{PREFIX}/能耗 2024-01"
    writer.register_handle_kv(handle, energyKwh="1")
    assert reader.retrieve_handle_record_json(handle)["handle"] == handle


def test_wrong_secret_cannot_write(node: RunningNode, reader: Any) -> None:
    intruder = RESTHandleClient.instantiate_with_username_and_password(node.url, USERNAME, "wrong", HTTPS_verify=False)
    with pytest.raises((GenericHandleError, HandleAuthenticationError)):
        intruder.register_handle_kv(f"{PREFIX}/INTRUDER", URL="http://127.0.0.1/x")
    assert reader.retrieve_handle_record_json(f"{PREFIX}/INTRUDER") is None


def test_unknown_admin_handle_is_refused_at_instantiation(node: RunningNode) -> None:
    with pytest.raises(HandleNotFoundException):
        RESTHandleClient.instantiate_with_username_and_password(
            node.url, f"300:{PREFIX}/NOBODY", "x", HTTPS_verify=False
        )


def test_https_node_serves_tls_and_accepts_writes_over_it(node: RunningNode, writer: Any) -> None:
    # The HTTPS variant requires HTTPS for writes, so the cycle above passing proves TLS reached the app.
    assert node.url.startswith("https") == node.settings.require_https_for_writes
    assert writer.register_handle_kv(f"{PREFIX}/TLS-CHECK", URL="http://127.0.0.1/tls") == f"{PREFIX}/TLS-CHECK"


def test_hung_request_times_out_the_client(node: RunningNode) -> None:
    with httpx.Client(verify=False, timeout=5) as control:
        control.post(
            f"{node.url}/_faults", json={"timeout": True, "timeout_max_ms": 20000, "only_paths": ["/api/handles"]}
        )
        try:
            with httpx.Client(verify=False, timeout=0.5) as impatient, pytest.raises(httpx.ReadTimeout):
                impatient.get(f"{node.url}/api/handles/{ENTERPRISE}")
        finally:
            control.delete(f"{node.url}/_faults")
        assert control.get(f"{node.url}/api/handles/{ENTERPRISE}").status_code == 200
