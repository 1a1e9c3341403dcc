"""The install step of the two commands (``scripts/system-packages.sh``), in a scratch environment without the font.

The scratch environment is a private mount namespace with an empty tmpfs over the Noto CJK directory: there,
and only there, the font is absent, while dpkg still lists it (the case of a font removed by hand). As root the
step must put it back (and the calculator must then find it); as an unprivileged user it must say, in one line,
which package is missing and how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "system-packages.sh"
FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
NOBODY = "65534"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(tool) for tool in ("unshare", "setpriv", "apt-get", "dpkg-query")),
    reason="a scratch mount namespace needs root, unshare, setpriv and a Debian system",
)

CALCULATOR_VERDICT = (
    "from carbonid_calculator.config import CalculatorSettings; "
    "from carbonid_calculator.report.fonts import missing_font; "
    "s = CalculatorSettings(); m = missing_font(s.report_font_path, s.report_font_dirs); "
    "print('CALCULATOR', 'degraded' if m else 'font-found')"
)


def in_scratch(commands: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run ``commands`` (bash) in a private mount namespace where the font directory is an empty tmpfs."""
    if not FONT.is_file():
        pytest.fail(f"{FONT} is absent outside the scratch environment: `make test` installs it first")
    script = (
        f"set -e; mount --make-rprivate / ; mount -t tmpfs scratch {FONT.parent}; "
        f"test ! -e {FONT} && echo FONT-ABSENT; {commands}; test -e {FONT} && echo FONT-PRESENT || true"
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("CARBONID_")}
    env["HOME"] = str(tmp_path / "home")
    return subprocess.run(
        ["unshare", "--mount", "bash", "-c", script],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )


def test_unprivileged_user_is_told_in_one_line_which_package_is_missing(tmp_path: Path) -> None:
    # The checkout and pytest's tmp_path may sit where the unprivileged user cannot enter: a copy in a fresh,
    # world-readable directory of /tmp.
    readable = Path(tempfile.mkdtemp(prefix="carbonid-system-packages-", dir="/tmp"))
    try:
        readable.chmod(0o755)
        copy = readable / "system-packages.sh"
        shutil.copy(SCRIPT, copy)
        copy.chmod(0o755)
        done = in_scratch(
            f"setpriv --reuid={NOBODY} --regid={NOBODY} --clear-groups env HOME=/nonexistent bash {copy} up",
            tmp_path,
        )
    finally:
        shutil.rmtree(readable)
    assert done.returncode == 0, done.stderr
    assert "FONT-ABSENT" in done.stdout
    assert "FONT-PRESENT" not in done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "fonts-noto-cjk" in lines[0]
    assert "apt-get install fonts-noto-cjk" in lines[0]


def test_root_gets_the_font_installed_and_the_calculator_finds_it(tmp_path: Path) -> None:
    python = sys.executable
    verdict = f'{python} -c "{CALCULATOR_VERDICT}"'
    done = in_scratch(f"{verdict}; bash {SCRIPT} up; {verdict}", tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "FONT-ABSENT" in out
    assert out.index("CALCULATOR degraded") < out.index("carbonid: installing Debian packages: fonts-noto-cjk")
    assert "carbonid: installed fonts-noto-cjk" in out
    assert out.rstrip().endswith("FONT-PRESENT"), out
    assert "CALCULATOR font-found" in out.split("carbonid: installed fonts-noto-cjk", 1)[1]


def test_nothing_to_do_when_everything_is_there() -> None:
    done = subprocess.run(["bash", str(SCRIPT), "up"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr == ""


def test_a_wrong_argument_is_refused() -> None:
    done = subprocess.run(["bash", str(SCRIPT), "deploy"], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "usage" in done.stderr
