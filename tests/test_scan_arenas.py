"""The window's scan threads share two glibc malloc arenas (payer_app/scan/limits.py), so freed camera
frames are not kept in one arena per thread. Counted by glibc's own ``malloc_info`` report in a fresh
process that imports the window's scan adapter and then runs eight threads that allocate."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import ctypes, sys, threading
import payer_app.gui.scan_adapter  # noqa: F401 - what the window imports before it scans

def work():
    kept = [bytearray(4000) for _ in range(2000)]
    del kept

threads = [threading.Thread(target=work) for _ in range(8)]
start = threading.Barrier(8)
def run():
    start.wait()
    work()
threads = [threading.Thread(target=run) for _ in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
libc.fclose.argtypes = [ctypes.c_void_p]
out = libc.fopen(sys.argv[1].encode(), b"w")
libc.malloc_info(0, out)
libc.fclose(out)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc arenas")
def test_scan_threads_share_at_most_two_malloc_arenas(tmp_path):
    report = tmp_path / "malloc_info.xml"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("MALLOC_ARENA_MAX", None)
    subprocess.run([sys.executable, "-c", CHILD, str(report)], cwd=ROOT, env=env, check=True, timeout=120)
    heaps = report.read_text().count("<heap nr=")
    assert 1 <= heaps <= 2, f"{heaps} malloc arenas"


FRAME_CHILD = r"""
import ctypes
import payer_app.gui.scan_adapter  # noqa: F401 - what the window imports before it scans

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
libc.mallinfo2.restype = MallInfo2
libc.free(libc.malloc(8 * 1024 * 1024))  # a big block freed: glibc's own rule raises its threshold to 8 MB
before = libc.mallinfo2().hblks
frame = libc.malloc(1280 * 720 * 3)  # one 720p camera frame
print(libc.mallinfo2().hblks - before)
libc.free(frame)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc")
def test_a_camera_frame_gets_a_mapping_of_its_own_after_a_bigger_block_was_freed():
    """A freed frame's memory goes back to the system at once, however big the blocks freed before
    were (glibc would otherwise serve frames from the heap and keep their space resident)."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("MALLOC_MMAP_THRESHOLD_", None)
    out = subprocess.run([sys.executable, "-c", FRAME_CHILD], cwd=ROOT, env=env, check=True, timeout=120,
                         capture_output=True, text=True).stdout
    assert out.split() == ["1"], f"mmapped blocks added by one frame: {out!r}"
