"""Generate the JSON Schema of every event and the AsyncAPI 3 document; check freshness and compatibility.

carbonid-contracts generate   # write contracts/schemas/*.json and contracts/asyncapi.yaml
carbonid-contracts check      # fail when they are stale, or when an event is not backward compatible
                              # with its released baseline in contracts/baseline/
carbonid-contracts release    # copy the current schemas to the baseline (a deliberate act, reviewed)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped,unused-ignore]

from carbonid_contracts.compat import breaking_changes
from carbonid_contracts.events import EVENT_MODELS
from carbonid_contracts.topics import EventType, dead_letter_topic, topic_for

CONTRACTS_DIR = Path(__file__).resolve().parents[2]
SCHEMAS_DIR = CONTRACTS_DIR / "schemas"
BASELINE_DIR = CONTRACTS_DIR / "baseline"
ASYNCAPI_FILE = CONTRACTS_DIR / "asyncapi.yaml"

PRODUCERS: dict[EventType, str] = {
    EventType.ENTERPRISE_RESOLVED: "resolver",
    EventType.ACTIVITY_RESOLVED: "resolver",
    EventType.EMISSION_CALCULATED: "calculator",
    EventType.EVALUATION_COMPLETED: "evaluation",
    EventType.CERTIFICATE_ISSUED: "certificates",
    EventType.BENCHMARK_PUBLISHED: "analytics",
    EventType.METER_READING: "collection gateways",
    EventType.ACTIVITY_METERED: "metering",
}
# Producers that write straight into the topic rather than through a CarbonID outbox.
PUBLISH_SUMMARIES: dict[EventType, str] = {
    EventType.METER_READING: "produced by collection gateways straight into the topic, keyed by device identifier",
}
CONSUMERS: dict[EventType, list[str]] = {
    EventType.ENTERPRISE_RESOLVED: ["calculator", "analytics"],
    EventType.ACTIVITY_RESOLVED: ["calculator"],
    EventType.EMISSION_CALCULATED: ["evaluation", "analytics"],
    EventType.EVALUATION_COMPLETED: ["certificates", "analytics", "gateway"],
    EventType.CERTIFICATE_ISSUED: ["analytics"],
    EventType.BENCHMARK_PUBLISHED: ["evaluation"],
    EventType.METER_READING: ["metering"],
    EventType.ACTIVITY_METERED: ["analytics"],
}

CE_HEADERS: dict[str, Any] = {
    "type": "object",
    "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "content-type"],
    "properties": {
        "ce_specversion": {"type": "string", "const": "1.0"},
        "ce_id": {"type": "string", "format": "uuid", "description": "unique event id (consumers deduplicate on it)"},
        "ce_source": {"type": "string", "description": "urn:carbonid:<service>:<region code>"},
        "ce_type": {"type": "string"},
        "ce_subject": {"type": "string", "description": "enterprise id; also the Kafka key"},
        "ce_time": {"type": "string", "format": "date-time"},
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context"},
    },
}


def event_schemas() -> dict[str, dict[str, Any]]:
    """``{"emission.calculated.v1": schema, ...}``: the JSON Schema of each payload as it travels."""
    out: dict[str, dict[str, Any]] = {}
    for event_type, model in EVENT_MODELS.items():
        schema = model.model_json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"urn:carbonid:event:{event_type.short_name}"
        schema["x-cloudevents-type"] = event_type.value
        out[event_type.short_name] = schema
    return out


def asyncapi_document(schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type in EventType:
        name = event_type.short_name
        key = name.replace(".", "_")
        schema = dict(schemas[name])
        schema.pop("$schema", None)
        messages[key] = {
            "name": event_type.value,
            "title": (EVENT_MODELS[event_type].__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "headers": CE_HEADERS,
            "payload": schema,
            "bindings": {
                "kafka": {"key": {"type": "string", "description": "enterprise id"}, "bindingVersion": "0.5.0"}
            },
        }
        channels[key] = {
            "address": topic_for(event_type, "{prefix}"),
            "parameters": {"prefix": {"description": "the deployment's topic prefix", "default": "carbonid."}},
            "messages": {key: {"$ref": f"#/components/messages/{key}"}},
        }
        operations[f"publish_{key}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": PUBLISH_SUMMARIES.get(
                event_type, f"published by {PRODUCERS[event_type]} through its transactional outbox"
            ),
        }
        operations[f"consume_{key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": "consumed by " + ", ".join(CONSUMERS[event_type]) + " (inbox-deduplicated)",
        }
    channels["dead_letters"] = {
        "address": dead_letter_topic("{group}", "{prefix}"),
        "description": "records a consumer group could not apply; headers carbonid_dlq_reason/detail/topic/offset",
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "CarbonID events",
            "version": "1.0.0",
            "description": "Events between CarbonID services and to regulators' systems. CloudEvents 1.0 in Kafka "
            "binary mode; one topic per event type; keyed by enterprise id.",
        },
        "defaultContentType": "application/json",
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "variables": {
                    "bootstrap": {
                        "default": "127.0.0.1:59092",
                        "description": "the deployment's Kafka bootstrap address",
                    }
                },
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def rendered() -> dict[Path, str]:
    schemas = event_schemas()
    files = {
        SCHEMAS_DIR / f"{name}.json": json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
        for name, schema in schemas.items()
    }
    files[ASYNCAPI_FILE] = yaml.safe_dump(asyncapi_document(schemas), allow_unicode=True, sort_keys=False, width=120)
    return files


def generate() -> None:
    SCHEMAS_DIR.mkdir(exist_ok=True)
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")


def check() -> list[str]:
    problems: list[str] = []
    for path, text in rendered().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            problems.append(f"stale: {path.relative_to(CONTRACTS_DIR)} (run `carbonid-contracts generate`)")
    for name, schema in event_schemas().items():
        baseline = BASELINE_DIR / f"{name}.json"
        if not baseline.exists():
            problems.append(f"no released baseline for {name} (run `carbonid-contracts release` once)")
            continue
        for change in breaking_changes(json.loads(baseline.read_text(encoding="utf-8")), schema):
            problems.append(f"breaking change in {name}: {change} (publish a new event version instead)")
    return problems


def release() -> None:
    BASELINE_DIR.mkdir(exist_ok=True)
    for name, schema in event_schemas().items():
        (BASELINE_DIR / f"{name}.json").write_text(
            json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="carbonid-contracts")
    parser.add_argument("command", choices=["generate", "check", "release"])
    args = parser.parse_args(argv)
    if args.command == "generate":
        generate()
    elif args.command == "release":
        release()
    else:
        problems = check()
        for p in problems:
            print(p, file=sys.stderr)  # noqa: T201 - a command-line tool
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
