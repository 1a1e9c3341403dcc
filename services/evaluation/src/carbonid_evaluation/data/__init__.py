"""Versioned data shipped with the evaluation service: published rule sets (``rule-sets/<id>.<version>.json``)."""

from __future__ import annotations

from importlib import resources

from carbonid_evaluation.domain.rule_set import RuleSet, rule_set_from_json

DEFAULT_RULE_SET = "zhejiang-2022/v1"
"""The rule set a deployment uses until an operator publishes another one."""

_RULE_SET_DIR = "rule-sets"


def _file_name(key: str) -> str:
    rule_set_id, sep, version = key.partition("/")
    if not sep or not rule_set_id or not version or "/" in version or ".." in key:
        raise ValueError(f"rule set key must look like 'zhejiang-2022/v1', got {key!r} / 规则集标识格式无效")
    return f"{rule_set_id}.{version}.json"


def bundled_rule_set_keys() -> list[str]:
    """Keys (``id/version``) of the rule sets shipped in this package, sorted."""
    folder = resources.files(__name__).joinpath(_RULE_SET_DIR)
    keys = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".json"):
            stem = name.removesuffix(".json")
            rule_set_id, _, version = stem.rpartition(".")
            keys.append(f"{rule_set_id}/{version}")
    return sorted(keys)


def load_bundled_rule_set(key: str = DEFAULT_RULE_SET) -> RuleSet:
    """Parse and validate a rule set shipped with the package, e.g. ``load_bundled_rule_set("zhejiang-2022/v1")``."""
    resource = resources.files(__name__).joinpath(_RULE_SET_DIR, _file_name(key))
    if not resource.is_file():
        raise LookupError(f"no bundled rule set {key!r} / 未找到规则集 {key}")
    rule_set = rule_set_from_json(resource.read_bytes())
    if rule_set.key != key:
        raise ValueError(f"file for {key!r} declares {rule_set.key!r} / 规则集文件与其标识不符")
    return rule_set
