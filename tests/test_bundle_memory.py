"""A bundle's sizes are checked while it is read: peak memory stays under 150 MB whatever the
file unpacks to. Each crafted file (small on disk: repeated gzip members) is checked in its own
process, which reports its peak resident memory; the process runs with 1 GB of address space at most, so a
reader that takes a whole line at once fails there instead of filling the machine."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

PEAK_LIMIT_MB = 150
MB = 1024 * 1024

CHECK = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))
sys.path.insert(0, {root!r})
from lmcself.central.bundle import BundleError, check_bundle, read_submissions
from lmcself.core.instrument import default_instrument
instrument = default_instrument()
try:
    check_bundle({path!r}, instrument, keys={{}})
    for _ in read_submissions({path!r}, instrument):
        pass
    message = "accepted"
except BundleError as exc:
    message = str(exc)
except MemoryError:
    message = "MemoryError"
# The peak of this process's own memory (VmHWM, in kB). Not getrusage's ru_maxrss: that is kept
# across fork and exec, so it would report the test runner's size when that is larger.
status = open("/proc/self/status").read()
print(int(next(x for x in status.splitlines() if x.startswith("VmHWM:")).split()[1]) // 1024)
print(message)
"""


def repeated(path: Path, head: bytes, piece: bytes, times: int, tail: bytes = b"") -> Path:
    """A gzip file that unpacks to head + piece * times + tail, written one small member per
    part: a 2 GB unpacking from a few MB on disk, never held whole anywhere."""
    member = gzip.compress(piece, compresslevel=9)
    with path.open("wb") as out:
        out.write(gzip.compress(head))
        for _ in range(times):
            out.write(member)
        if tail:
            out.write(gzip.compress(tail))
    return path


def peak_and_message(path: Path) -> tuple[int, str]:
    root = str(Path(__file__).resolve().parent.parent)
    code = CHECK.format(root=root, path=str(path))
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600
    )
    peak, message = done.stdout.strip().split("\n", 1)
    return int(peak), message


HEADER = json.dumps({"format": "lmcself-bundle", "version": 2, "instrument": "x"}).encode()


@pytest.mark.parametrize(
    "case",
    ["one 2 GB line with no newline", "a header line of 2 GB", "many lines past the limit"],
)
def test_peak_memory_stays_small_whatever_a_bundle_unpacks_to(tmp_path, case):
    if case == "one 2 GB line with no newline":
        path = repeated(tmp_path / "bomb.lmcself", HEADER + b"\n", b"A" * MB, 2048)
        words = "line 2: longer than"
    elif case == "a header line of 2 GB":
        path = repeated(tmp_path / "bomb.lmcself", b'{"format": "', b"B" * MB, 2048)
        words = "line 1: longer than"
    else:  # 600 MB in 3 million lines: the file's limit (512 MB unpacked) refuses it
        line = b'{"x": "' + b"C" * 192 + b'"}\n'
        path = repeated(tmp_path / "bomb.lmcself", HEADER + b"\n", line * (MB // len(line)), 600)
        words = "larger than the limit"
    assert path.stat().st_size < 20 * MB
    peak, message = peak_and_message(path)
    assert words in message, message
    assert peak < PEAK_LIMIT_MB, f"peak RSS {peak} MB"
