"""What a file-by-file scan saw (``payer-app scan FOLDER``, with or without the QA options): the
``--report`` summary is made from it, and so is the exit code when no QA option was given."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class FileScan:
    """What a file-by-file scan saw so far."""

    started: float = field(default_factory=time.perf_counter)
    files: int = 0
    found_files: int = 0
    per_decoder: dict[str, int] = field(default_factory=dict)
    timings: list[float] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # {"file", "error": None (no code) or why unreadable}

    def report(self, source) -> dict:
        from payer_app.qa.timings import timing_summary

        return {
            "source": source.spec,
            "kind": source.kind,
            "files": self.files,
            "found": self.found_files,
            "not_found": self.files - self.found_files,
            "not_found_files": self.failures,
            "per_decoder": self.per_decoder,
            "timings": {"decode": timing_summary(self.timings),
                        "elapsed_s": round(time.perf_counter() - self.started, 3)},
        }

    def exit_code(self, sharded: bool = False) -> int:
        """1 when a readable file held no code (or no file was scanned, but for a shard, which may get
        none), else 4 when a file could not be read, else 0 (docs/cli.md: the answer "no" wins over
        an unreadable input)."""
        from payer_app.qa.summary import EXIT_CHECK_FAILED, EXIT_INPUT_UNREADABLE, EXIT_PASSED

        unreadable = sum(1 for f in self.failures if f["error"] is not None)
        if (not self.files and not sharded) or self.found_files + unreadable < self.files:
            return EXIT_CHECK_FAILED
        return EXIT_INPUT_UNREADABLE if unreadable else EXIT_PASSED
