"""Set-up of the certificates domain tests.

Until the service distribution is installed in the shared environment, its ``src`` folder is put on the path
so that the domain can be tested on its own; this folder is put on it for the shared builders module.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
if importlib.util.find_spec("carbonid_certificates") is None:  # pragma: no cover - depends on the environment
    sys.path.insert(0, str(_HERE.parents[1] / "src"))
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))
