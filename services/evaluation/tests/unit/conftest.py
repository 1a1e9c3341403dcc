"""The domain tests' builders are shared with these tests."""

from __future__ import annotations

import sys
from pathlib import Path

_DOMAIN_TESTS = Path(__file__).resolve().parents[1] / "domain"
if str(_DOMAIN_TESTS) not in sys.path:
    sys.path.insert(0, str(_DOMAIN_TESTS))
