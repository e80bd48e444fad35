"""A labelled corpus of QR pictures: ``generate_corpus(directory, count, seed)`` writes the images
and ``manifest.json`` saying, for each file, its payload, the fault and the image condition applied,
and what the project's parser says about the payload (lenient profile). Same seed, same files."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

import cv2

from payer_app.core.payload import parse_payload
from payer_app.studio.bill_spec import BillSpec
from payer_app.studio.image_conditions import CONDITIONS, CONDITIONS_BY_NAME, RenderedCode
from payer_app.studio.payload_faults import FAULTS, FAULTS_BY_NAME

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_COUNT = 48
PROFILE = "lenient"


class CorpusError(ValueError):
    """The corpus cannot be written where or how it was asked."""


@dataclass(frozen=True)
class CorpusPlanItem:
    index: int
    fault: str
    condition: str
    bill_seed: int


def plan_corpus(count: int, seed: int) -> list[CorpusPlanItem]:
    """Which fault and which condition each entry gets: first every fault on a clean picture, then
    every other condition on a good payload, then random pairs; cut to ``count``."""
    if count < 1:
        raise CorpusError(f"--count must be at least 1 (got {count})")
    pairs = [(f.name, "clean") for f in FAULTS]
    pairs += [("none", c.name) for c in CONDITIONS if c.name != "clean"]
    rng = random.Random(f"payer-app corpus plan {seed}")
    while len(pairs) < count:
        pairs.append((rng.choice(FAULTS).name, rng.choice(CONDITIONS).name))
    return [
        CorpusPlanItem(i, fault, condition, seed * 100_000 + i)
        for i, (fault, condition) in enumerate(pairs[:count])
    ]


def expected_for(payload: str) -> dict:
    """What the parser says about a payload, as the manifest records it."""
    parsed = parse_payload(payload, PROFILE)
    return {
        "profile": PROFILE,
        "valid": parsed.valid,
        "finding_codes": sorted({f.code for f in parsed.findings}),
        "scheme": parsed.scheme,
        "amount": parsed.amount,
        "fee": None if parsed.fee is None else parsed.fee.to_dict(parsed.amount),
    }


def _write_image(rendered: RenderedCode, path: Path) -> None:
    if rendered.file_format == "jpg":
        ok, data = cv2.imencode(".jpg", rendered.image, [cv2.IMWRITE_JPEG_QUALITY, rendered.jpeg_quality or 30])
    else:
        ok, data = cv2.imencode(".png", rendered.image, [cv2.IMWRITE_PNG_COMPRESSION, 6])
    if not ok:
        raise CorpusError(f"could not encode {path.name}")
    path.write_bytes(data.tobytes())


def generate_corpus(directory: str | Path, count: int = DEFAULT_COUNT, seed: int = 0) -> dict:
    """Write ``count`` QR images and the manifest into directory (created if needed); returns the manifest."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise CorpusError(f"{directory} exists and is not a folder")
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise CorpusError(f"cannot create {directory}: {exc.strerror or exc}") from exc
    entries = []
    for item in plan_corpus(count, seed):
        rng = random.Random(f"payer-app corpus entry {seed} {item.index}")
        fault = FAULTS_BY_NAME[item.fault]
        condition = CONDITIONS_BY_NAME[item.condition]
        base = BillSpec.random(item.bill_seed)
        payload = fault.apply(base.payload(), rng)
        rendered = condition.render(payload, rng)
        name = f"{item.index:04d}-{fault.name}-{condition.name}.{rendered.file_format}"
        try:
            _write_image(rendered, directory / name)
        except OSError as exc:
            raise CorpusError(f"cannot write {directory / name}: {exc.strerror or exc}") from exc
        entries.append({
            "file": name,
            "payload": payload,
            "base_kind": base.kind,
            "fault": fault.name,
            "fault_description": fault.description,
            "fault_finding": fault.finding,
            "condition": condition.name,
            "transformation": rendered.transformation,
            "decodable_expected": rendered.decodable_expected,
            "other_payloads": list(rendered.extra_payloads),
            "expected": expected_for(payload),
        })
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "generator": {"count": count, "seed": seed},
        "summary": _summary(entries),
        "entries": entries,
    }
    text = json.dumps(manifest, ensure_ascii=False, indent=1) + "\n"
    (directory / MANIFEST_NAME).write_text(text, encoding="utf-8")
    return manifest


def _summary(entries: list[dict]) -> dict:
    def tally(key: str) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in entries:
            out[e[key]] = out.get(e[key], 0) + 1
        return out

    decodable = sum(1 for e in entries if e["decodable_expected"])
    return {
        "count": len(entries),
        "decodable_expected": decodable,
        "beyond_decoder": len(entries) - decodable,
        "beyond_decoder_files": [e["file"] for e in entries if not e["decodable_expected"]],
        "valid_expected": sum(1 for e in entries if e["expected"]["valid"]),
        "by_fault": tally("fault"),
        "by_condition": tally("condition"),
    }
