"""Fixtures: an app per test (fresh in-memory store) and an httpx client over ASGITransport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from fastapi import FastAPI

from carbonid_idnode import NodeSettings, create_app
from carbonid_idnode.testing import test_settings


@pytest.fixture
def settings() -> NodeSettings:
    return test_settings()


@pytest.fixture
def app(settings: NodeSettings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://idnode.test") as c:
        yield c


@pytest.fixture
def client_for() -> Callable[[FastAPI], httpx.AsyncClient]:
    def make(app: FastAPI) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://idnode.test")

    return make
