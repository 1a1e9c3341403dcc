"""The kit's tests: the fixtures come from the kit's pytest plugin (``carbonid_kit.testing``); this folder goes
on ``sys.path`` so that the tests import their shared samples from ``kit_samples``."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
