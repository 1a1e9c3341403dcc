"""Prometheus metrics: HTTP request counts and latencies, and a ``/metrics`` endpoint."""

from __future__ import annotations

from fastapi import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "carbonid_http_requests_total", "HTTP requests", ["service", "method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "carbonid_http_request_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    registry=REGISTRY,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
EVENTS_PUBLISHED = Counter(
    "carbonid_events_published_total", "Events published by the outbox relay", ["service", "topic"], registry=REGISTRY
)
EVENTS_CONSUMED = Counter(
    "carbonid_events_consumed_total", "Events consumed", ["service", "topic", "outcome"], registry=REGISTRY
)
OUTBOX_PENDING = Histogram(
    "carbonid_outbox_publish_delay_seconds",
    "Delay from commit to publish",
    ["service"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
CONSUMER_LAG_SECONDS = Histogram(
    "carbonid_consumer_event_age_seconds",
    "Age of events when their effect commits (projection lag)",
    ["service", "topic"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)


def metrics_endpoint() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
