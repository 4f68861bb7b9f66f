"""`python main.py batch JOBS.jsonl --out DIR`: render a job file here, or on a Ray cluster with `--ray`.

Files are written by this process only (PNG with the `unclip` chunk plus the job's key), named by the job's
key, so a re-run skips what exists and verifies, and two workers can never write the same file.
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from .errors import UserError
from .explore import Source, interpolation
from .jobs import Job, request_of
from .model import UnCLIP
from .record import read_png, settings_of, write_png
from .runner import render_strip, run
from .sources import load_image


@dataclass
class Summary:
    """What a batch did: counts, failures with their reasons, throughput."""

    done: int = 0
    skipped: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)
    images: int = 0
    seconds: float = 0.0

    def text(self) -> str:
        rate = self.images / self.seconds if self.seconds > 0 else 0.0
        lines = [f"done {self.done}, skipped {self.skipped} (already there), failed {len(self.failed)}; "
                 f"{self.images} images in {self.seconds:.1f} s ({rate:.2f} images/s)"]
        lines += [f"  line {line}: {reason}" for line, reason in self.failed]
        return "\n".join(lines)


def finished(job: Job, out: Path) -> bool:
    """True when every file of the job exists, decodes, and carries this job's key."""
    for path in job.files(out):
        try:
            if read_png(path).get("job") != job.key:
                return False
            with Image.open(path) as im:
                im.verify()
        except (UserError, OSError, SyntaxError):
            return False
    return True


def render(model: UnCLIP, job: Job) -> list[tuple[np.ndarray, dict]]:
    """The job's images (H, W, 3) uint8 with their records (the job key added)."""
    if job.kind == "interpolation":
        r = job.record
        a, b = (Source.parse(r[k], load_image) for k in ("a", "b"))
        strip = interpolation(model, a, b, int(r["frames"]), job.seed, settings_of(r, f"line {job.line}"), r["noise"])
        return [(f.image, f.record) for f in render_strip(model, strip, key=job.key)]
    image = run(model, request_of(job, load_image))[0]
    return [(image.image, dict(image.metadata, job=job.key))]


def write(job: Job, images: list[tuple[np.ndarray, dict]], out: Path) -> None:
    for path, (pixels, meta) in zip(job.files(out), images):
        write_png(path, pixels, meta)


def _progress(total: int) -> tqdm:
    return tqdm(total=total, desc="batch", unit="job", file=sys.stderr, dynamic_ncols=True)


BATCH_THREADS = 1  # CPU float32 reductions depend on the thread count: every worker uses the same, so a job
#                   gives the same pixels wherever it runs


def run_local(model: UnCLIP, jobs: list[Job], out: Path) -> Summary:
    """Render the jobs here, one after another, skipping finished ones."""
    threads = torch.get_num_threads()
    torch.set_num_threads(BATCH_THREADS)
    try:
        return _run_local(model, jobs, out)
    finally:
        torch.set_num_threads(threads)


def _run_local(model: UnCLIP, jobs: list[Job], out: Path) -> Summary:
    summary, start = Summary(), time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    todo = pending(jobs, out, summary)
    with _progress(len(jobs)) as bar:
        bar.update(summary.skipped)
        for job in todo:
            try:
                images = render(model, job)
                write(job, images, out)
                summary.done += 1
                summary.images += len(images)
            except UserError as err:
                summary.failed.append((job.line, str(err)))
            except Exception as err:  # noqa: BLE001 - one bad job must not end the batch
                summary.failed.append((job.line, f"{type(err).__name__}: {err}"))
            bar.update(1)
    summary.seconds = time.perf_counter() - start
    return summary


def chunks(jobs: list[Job], size: int) -> Iterator[list[Job]]:
    for i in range(0, len(jobs), size):
        yield jobs[i: i + size]


def pending(jobs: Iterable[Job], out: Path, summary: Summary) -> list[Job]:
    todo = []
    for job in jobs:
        if finished(job, out):
            summary.skipped += 1
        else:
            todo.append(job)
    return todo
