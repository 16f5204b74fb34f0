"""What a rendering process pays before its first PDF: WeasyPrint's libraries found without a lookup per name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import json, subprocess, sys, ctypes.util
runs = []
original_init = subprocess.Popen.__init__
def spy(self, args, *a, **k):
    runs.append(args if isinstance(args, str) else list(map(str, args)))
    original_init(self, args, *a, **k)
subprocess.Popen.__init__ = spy
before = ctypes.util.find_library
if sys.argv[1] == "qms":
    from qms.render.pdf import load_weasyprint
    load_weasyprint()
else:
    import weasyprint
libs = sorted({line.split()[-1] for line in open("/proc/self/maps")
               if any(k in line for k in ("gobject", "pango", "harfbuzz", "fontconfig"))})
print(json.dumps({"runs": runs, "libs": libs, "restored": ctypes.util.find_library is before}))
"""


def probe(how: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", PROBE, how], cwd=ROOT, capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_weasyprint_loads_the_same_libraries_with_one_loader_cache_read() -> None:
    plain, quick = probe("plain"), probe("qms")
    # The plain import runs ldconfig, gcc and ld for every library name that does not open.
    assert len(plain["runs"]) > 10  # type: ignore[arg-type]
    assert quick["runs"] == [["/sbin/ldconfig", "-p"]]
    assert quick["libs"] == plain["libs"]
    assert any("libharfbuzz-subset" in lib for lib in quick["libs"])  # type: ignore[union-attr]
    assert quick["restored"] is True
