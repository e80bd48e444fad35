"""Library pages handed back once (payer_app/scan/library_pages.py): a file just written, as pip writes a
fresh environment, is mapped afterwards in small blocks, not in the large ones its writing left in the
page cache. Counted in ``/proc/self/smaps``, never timed."""

from __future__ import annotations

import mmap
import os
import sys
from pathlib import Path

import pytest

from payer_app.scan.library_pages import handled_files, mapped_library_files, release_library_pages

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/smaps is Linux's")

MIB = 1024 * 1024
TOUCHES = 16  # one byte in the middle of each MiB of a 16 MiB file


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
        assert str(lib) in handled_files()
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
        assert str(data) not in handled_files()
        assert release_library_pages() == 0  # nothing newly mapped since the last call
    finally:
        view.close()
