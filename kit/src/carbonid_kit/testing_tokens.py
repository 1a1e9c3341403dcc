"""Access tokens for tests: an Ed25519 key, its JWKS, and tokens shaped exactly as identity issues them."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from jwt.algorithms import OKPAlgorithm

from carbonid_kit.auth import Role


class TestTokens:
    """``tokens.jwks`` goes into ``app.state.jwks.load_jwks``; ``tokens.mint(...)`` makes a bearer token."""

    __test__ = False  # not a pytest test class

    def __init__(self, *, issuer: str = "carbonid-identity", audience: str = "carbonid") -> None:
        self.key = Ed25519PrivateKey.generate()
        self.kid = uuid.uuid4().hex[:16]
        self.issuer = issuer
        self.audience = audience
        public = json.loads(OKPAlgorithm.to_jwk(self.key.public_key()))
        self.jwks: dict[str, Any] = {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "EdDSA"}]}

    def mint(
        self,
        role: Role,
        *,
        user_id: uuid.UUID | None = None,
        username: str = "tester01",
        region: str | None = None,
        enterprise_id: uuid.UUID | None = None,
        must_change_password: bool = False,
        ttl: timedelta = timedelta(minutes=15),
    ) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {
            "sub": str(user_id or uuid.uuid4()),
            "name": username,
            "role": role,
            "typ": "access",
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + ttl,
            "pwd_change": must_change_password,
        }
        if region:
            claims["region"] = region
        if enterprise_id:
            claims["ent"] = str(enterprise_id)
        return jwt.encode(claims, self.key, algorithm="EdDSA", headers={"kid": self.kid})

    def headers(self, role: Role, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.mint(role, **kwargs)}"}


class JwksServer:
    """Serves one JWKS document on ``/.well-known/jwks.json`` from a thread, as identity does for real: for
    services run as processes (fault suite, load and benchmark scripts) that fetch ``CARBONID_JWKS_URL``."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        body = json.dumps(jwks).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/.well-known/jwks.json"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
