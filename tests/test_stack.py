"""The embedded stack comes up healthy, every installed service answers through its port, and stops cleanly."""

from __future__ import annotations

import httpx
import pytest

from carbonid_stack.__main__ import Stack
from carbonid_stack.components import SERVICES

pytestmark = pytest.mark.e2e


def test_every_service_is_ready(stack: Stack) -> None:
    started = {component.name for component, _ in stack.processes}
    assert started, "no service was started"
    for component in SERVICES:
        if component.name not in started:
            continue
        url = stack.config.url(component.port(stack.config)) + "/health/ready"
        response = httpx.get(url, timeout=5)
        assert response.status_code == 200, (component.name, response.text)
        metrics = httpx.get(stack.config.url(component.port(stack.config)) + "/metrics", timeout=5)
        assert "carbonid_http_requests_total" in metrics.text
