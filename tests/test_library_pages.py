"""Library pages handed back once (payer_app/scan/library_pages.py): a file just written, as pip writes a
fresh environment, is mapped afterwards in small blocks, not in the large ones its writing left in the
page cache. Counted in ``/proc/self/smaps``, never timed."""

from __future__ import annotations

import mmap
import os
import subprocess
import sys
from pathlib import Path

import pytest

from payer_app.scan.library_pages import mapped_library_files, release_library_pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps is Linux's")

MIB = 1024 * 1024
TOUCHES = 16  # one byte in the middle of each MiB of a 16 MiB file
OPENCV_MIB = 24
ROOT = Path(__file__).resolve().parents[1]


def mapped_kib(path: Path) -> int:
    """Resident kB of this process's mappings of ``path``."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split(None, 5)
        if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
            inside = len(head) == 6 and head[5].strip() == str(path)
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def touch(view: mmap.mmap) -> int:
    return sum(view[i * MIB + MIB // 2] for i in range(TOUCHES))


def test_a_freshly_written_file_is_mapped_in_small_blocks_once_handed_back(tmp_path):
    lib = tmp_path / "libfresh.so"
    with open(lib, "wb") as out:
        for _ in range(TOUCHES):
            out.write(os.urandom(MIB))  # as pip writes a wheel's files: large writes, left in the cache
    with open(lib, "rb") as f:
        view = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    try:
        assert str(lib) in mapped_library_files()
        touch(view)
        before = mapped_kib(lib)
        if before <= TOUCHES * 256:
            pytest.skip(f"this kernel maps {before} kB for {TOUCHES} touched bytes of a new file: nothing to hand back")
        assert release_library_pages() >= 1
        assert mapped_kib(lib) < before  # the pages were taken back
        touch(view)
        after = mapped_kib(lib)
        # read back from disk: a fault maps a few pages around the touched one (64 kB by default)
        assert after <= TOUCHES * 256, f"{after} kB mapped for {TOUCHES} touched bytes (before: {before} kB)"
    finally:
        view.close()


def test_a_file_is_handled_once_and_writable_mappings_never(tmp_path):
    data = tmp_path / "data.bin"
    data.write_bytes(b"\0" * MIB)
    with open(data, "r+b") as f:
        view = mmap.mmap(f.fileno(), 0)  # shared and writable: a data file, not a library
    try:
        assert str(data) not in mapped_library_files()
        release_library_pages()
        assert release_library_pages() == 0  # nothing newly mapped since the last call
    finally:
        view.close()


CHILD = r"""
import sys, threading
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from payer_app.gui.scan_adapter import ScanAdapter
app = QApplication([])
adapter = ScanAdapter(preview_fps=0)
seen, enough = [], threading.Event()
def count(_polygons, _ms):
    seen.append(1)
    if len(seen) >= 20:
        enough.set()
adapter.detections.connect(count, Qt.ConnectionType.DirectConnection)
adapter.start("demo:fast")
assert enough.wait(120), "the demo camera's frames were not decoded"
import cv2
library = str(Path(cv2.__file__).parent / "cv2.abi3.so")
total, inside = 0, False
for line in Path("/proc/self/smaps").read_text().splitlines():
    head = line.split(None, 5)
    if head and "-" in head[0] and len(head) >= 5 and ":" in head[3]:
        inside = len(head) == 6 and head[5].strip() == library
    elif inside and line.startswith("Rss:"):
        total += int(line.split()[1])
print(library, total)
adapter.stop()
adapter.wait_stopped()
"""


@pytest.mark.slow
def test_scanning_with_a_freshly_installed_opencv_maps_it_in_small_blocks(tmp_path, payer_home):
    """OpenCV's library written a moment ago (as `make venv` leaves it): the window's scan session
    maps at most OPENCV_MIB of it; 43 MiB before the library pages were handed back, 10 MiB from
    a library read back from disk (docs/window.md, "Soak")."""
    import cv2

    real = Path(cv2.__file__).parent
    site = tmp_path / "site"
    (site / "cv2").mkdir(parents=True)
    for entry in real.iterdir():  # its files written anew (its loader finds itself by real path)
        if entry.is_dir():
            (site / "cv2" / entry.name).symlink_to(entry)
            continue
        with open(entry, "rb") as src, open(site / "cv2" / entry.name, "wb") as out:
            if size := os.fstat(src.fileno()).st_size:  # read through a mapping: a sequential read()
                with mmap.mmap(src.fileno(), size, prot=mmap.PROT_READ) as whole:  # would leave the
                    for at in range(0, size, MIB):  # original in large blocks for every other process
                        out.write(whole[at:at + MIB])
    for entry in real.parent.glob("opencv_python*.libs"):  # found by the library's $ORIGIN/../
        (site / entry.name).symlink_to(entry)
    copy = site / "cv2" / "cv2.abi3.so"
    with open(copy, "rb") as f:  # does this kernel map a fresh file in large blocks? (then unmapped)
        view = mmap.mmap(f.fileno(), 0, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ)
    touch(view)
    before = mapped_kib(copy)
    view.close()
    if before <= TOUCHES * 256:
        pytest.skip(f"this kernel maps {before} kB for {TOUCHES} touched bytes of a new file: nothing to hand back")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PAYER_APP_HOME=str(payer_home))
    out = subprocess.run([sys.executable, "-c", CHILD, str(site)], cwd=ROOT, env=env, check=True, timeout=300,
                         capture_output=True, text=True).stdout.split()
    assert out[0] == str(copy)  # the copy was the library scanned with
    assert int(out[1]) <= OPENCV_MIB * 1024, f"{int(out[1]) / 1024:.1f} MiB of OpenCV's library mapped"
