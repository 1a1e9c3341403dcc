"""``carbonid-stack up --demo/--no-demo``: parsed into the configuration, with the marker in the data directory."""

from __future__ import annotations

from pathlib import Path

from carbonid_stack.__main__ import Stack, parse_args
from carbonid_stack.components import demo_accounts_file


def test_demo_is_on_by_default_and_can_be_turned_off(tmp_path: Path) -> None:
    _, config = parse_args(["up", "--data-dir", str(tmp_path)])
    assert config.demo is True
    assert config.demo_marker == tmp_path.resolve() / "demo-loaded.json"
    _, config = parse_args(["up", "--data-dir", str(tmp_path), "--no-demo"])
    assert config.demo is False


def test_no_loader_when_the_marker_exists_or_demo_is_off(tmp_path: Path) -> None:
    _, config = parse_args(["up", "--data-dir", str(tmp_path)])
    config.demo_marker.write_text("{}\n", encoding="utf-8")
    assert Stack(config).start_demo_loader() is False
    _, config = parse_args(["up", "--data-dir", str(tmp_path / "other"), "--no-demo"])
    assert Stack(config).start_demo_loader() is False


def test_identity_seed_file_is_found() -> None:
    seed = demo_accounts_file()
    assert seed is not None
    assert seed.name == "demo-accounts.json"
