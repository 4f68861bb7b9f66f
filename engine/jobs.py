"""Job files: JSON Lines in the schema of the PNG `unclip` chunk, one image (or one strip) per job.

A line is what a saved image carries — {"kind": "text2image", "prompt": …, "seed": 3, "settings": {…}} —
so any image's settings replay in bulk. A line may give "seeds": [...] for several images; variations
name their source with "image": PATH; interpolations give "a", "b" (image path or "text:PROMPT"),
"frames" and "noise". Each job has a key (a hash of what makes its pixels) that names its files, so a
re-run finds and verifies finished work.
"""
from __future__ import annotations

import hashlib
import itertools
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError
from .record import settings_of
from .requests import ImageVariation, TextToImage, check_seeds

KINDS = ("text2image", "variation", "interpolation")


@dataclass(frozen=True)
class Job:
    """One unit of work: a record with a single seed, its line in the file and its key."""

    line: int
    record: dict
    key: str

    @property
    def kind(self) -> str:
        return self.record["kind"]

    @property
    def seed(self) -> int:
        return int(self.record["seed"])

    def files(self, out: Path) -> list[Path]:
        """Where this job's images go (one per frame for an interpolation)."""
        stem = f"{self.kind}-{self.seed}-{self.key}"
        if self.kind == "interpolation":
            return [out / f"{stem}-frame-{i:03d}.png" for i in range(int(self.record["frames"]))]
        return [out / f"{stem}.png"]


def _key(record: dict) -> str:
    keep = {k: v for k, v in record.items() if k in ("kind", "prompt", "seed", "settings", "image", "a", "b",
                                                      "frames", "noise", "amount", "image_sha256")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True).encode()).hexdigest()[:12]


def _check(record, where: str) -> dict:
    if not isinstance(record, dict):
        raise UserError(f"{where}: each line must be a JSON object")
    kind = record.get("kind", "text2image")
    if kind not in KINDS:
        raise UserError(f"{where}: unknown kind {kind!r}: choose one of {', '.join(KINDS)}")
    record = {**record, "kind": kind}
    settings_of(record, where)
    if kind == "variation" and not isinstance(record.get("image"), str):
        raise UserError(f"{where}: a variation job needs \"image\": the path of its source image")
    if kind == "interpolation":
        if not all(isinstance(record.get(k), str) for k in ("a", "b")):
            raise UserError(f"{where}: an interpolation job needs \"a\" and \"b\" (image paths or \"text:…\")")
        if not isinstance(record.get("frames", 9), int) or not 2 <= record.get("frames", 9) <= 256:
            raise UserError(f"{where}: frames must be a whole number from 2 to 256")
        record.setdefault("frames", 9)
        record.setdefault("noise", "fixed")
    return record


def parse_jobs(path: str | Path) -> list[Job]:
    """Every job of a JSON Lines file (a line with "seeds" becomes one job per seed); errors name the line."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise UserError(f"job file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as err:
        raise UserError(f"cannot read job file {path}: {err}") from None
    jobs = []
    for number, text in enumerate(lines, 1):
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        where = f"{path.name}:{number}"
        try:
            record = _check(json.loads(text), where)
        except json.JSONDecodeError as err:
            raise UserError(f"{where}: not JSON ({err.msg})") from None
        seeds = record.pop("seeds", None)
        seeds = [record.get("seed", 0)] if seeds is None else seeds
        if not isinstance(seeds, list) or not seeds:
            raise UserError(f"{where}: seeds must be a non-empty list")
        for seed in seeds:
            one = {**record, "seed": seed}
            try:
                check_seeds((seed,))
            except UserError as err:
                raise UserError(f"{where}: {err}") from None
            jobs.append(Job(number, one, _key(one)))
    if not jobs:
        raise UserError(f"{path}: no jobs in the file")
    return jobs


def request_of(job: Job, loader):
    """The engine request of a text or variation job (`loader` reads source images)."""
    settings = settings_of(job.record, f"line {job.line}")
    if job.kind == "text2image":
        return TextToImage(str(job.record.get("prompt", "")), (job.seed,), settings)
    if job.kind == "variation":
        image = loader(job.record["image"])
        return ImageVariation(image, (job.seed,), settings, source_name=Path(job.record["image"]).name,
                              amount=float(job.record.get("amount", 0.0)))
    raise UserError(f"line {job.line}: {job.kind} jobs are rendered as strips, not single requests")


def grid(prompts: list[str], seeds: list[int], prior_guidance: list[float | None],
         decoder_guidance: list[float | None], base: dict | None = None) -> list[dict]:
    """Every prompt × seed × guidance pair as job records (the order of a contact sheet: prompt-major)."""
    out = []
    for prompt, pg, dg, seed in itertools.product(prompts, prior_guidance, decoder_guidance, seeds):
        settings = dict(base or {})
        if pg is not None:
            settings["prior_guidance"] = pg
        if dg is not None:
            settings["decoder_guidance"] = dg
        out.append({"kind": "text2image", "prompt": prompt, "seed": seed, "settings": settings})
    return out
