"""The one message type from the engine worker to the window (after krita-ai-diffusion's `ClientMessage`):
what happened (`Kind`), to which job, with what (`payload`). Outcomes are `Kind` members, never strings."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Callable

import numpy as np

from engine import Failed, ImageReady, ImageVariation, TextToImage


class Kind(Enum):
    """What a message says; its payload's type is written beside each."""

    MODEL_LOADED = "model loaded"  # ModelReady; job_id 0
    MODEL_FAILED = "model failed"  # ModelFailure; job_id 0
    QUEUED = "queued"  # Waiting: the queue after a job was added, moved or removed (job_id: that job, or 0)
    REMOVED = "removed"  # None: a waiting job taken out of the queue before it started
    STARTED = "started"  # Ticket: the job the engine now serves
    STAGE = "stage"  # engine StageStarted
    STEP = "step"  # engine StepDone, with its preview (or None)
    IMAGE = "image"  # Saved: an image and where the library keeps it (or why it could not)
    FRAME = "frame"  # FrameReady: a frame of a strip, cached on disk
    FINISHED = "finished"  # engine Finished
    FAILED = "failed"  # engine Failed: its `kind` (FailureKind) says whether the user, memory or a bug
    SPLIT = "split"  # Split: out of memory, the job's seeds queued again as two smaller jobs
    CANCELLED = "cancelled"  # engine Cancelled, or None when it stopped between batches
    LIVE = "live"  # LiveImage: a live preview for a control in motion; job_id 0, never a job of the queue


END = frozenset({Kind.FINISHED, Kind.FAILED, Kind.SPLIT, Kind.CANCELLED, Kind.REMOVED})  # a job's last message


@dataclass(frozen=True)
class Message:
    """One thing the worker tells the window."""

    kind: Kind
    job_id: int = 0
    payload: object = None


class JobKind(Enum):
    GENERATE = "generate"  # text → image
    VARY = "vary"  # variations of an image
    FRAMES = "frames"  # frames of an exploration strip
    OTHER = "other"


@dataclass
class Frames:
    """A request for some frames of an exploration strip; the strip is built on the engine thread, once a key."""

    key: str
    make_strip: Callable  # UnCLIP → engine.explore.Strip
    indices: list[int]
    folder: Path  # frames are cached here as KEY/NNN.png


def job_kind(request) -> JobKind:
    if isinstance(request, Frames):
        return JobKind.FRAMES
    if isinstance(request, TextToImage):
        return JobKind.GENERATE
    if isinstance(request, ImageVariation):
        return JobKind.VARY
    return JobKind.OTHER


@dataclass(frozen=True)
class LiveAsk:
    """A live preview wanted now (a newer one replaces it while it waits): `make(model, memo)` builds the request
    and its noise override on the engine thread; `memo` keeps what is dear to build (strips, source embeddings)."""

    id: int
    control: str  # what asked: 'mix', 'frame', 'settings'
    make: Callable  # (UnCLIP, dict) → (engine request, noise factory or None)


@dataclass(frozen=True)
class LiveImage:
    """The live decoder's answer to a LiveAsk: (B, S, S, 3) uint8 pixels, or why there are none."""

    id: int
    control: str
    pixels: np.ndarray | None
    seconds: float  # engine time of the preview
    error: str = ""


@dataclass(frozen=True)
class Ticket:
    """A job as the queue shows it: id, kind, label, how many images it makes and, for frames, which strip and
    which of its frames."""

    id: int
    kind: JobKind
    label: str
    strip: str = ""
    frames: tuple[int, ...] = ()
    count: int = 1  # images an image job makes (its seeds): more than one show as a grid

    @staticmethod
    def of(job_id: int, request, label: str) -> "Ticket":
        if isinstance(request, Frames):
            return Ticket(job_id, JobKind.FRAMES, label, request.key, tuple(request.indices))
        return Ticket(job_id, job_kind(request), label, count=len(getattr(request, "seeds", ()) or (0,)))


@dataclass(frozen=True)
class Waiting:
    """The waiting jobs, next first; `version` orders snapshots taken on different threads."""

    version: int
    jobs: tuple[Ticket, ...]


@dataclass(frozen=True)
class ModelReady:
    """A loaded bundle: the spec it was loaded from, how to name it, and where it runs."""

    spec: str
    name: str  # 'NAME (fingerprint)'
    fingerprint: str
    config: object  # engine BundleConfig
    device: str
    dtype: str  # 'float32', 'bfloat16', …
    vocabulary: object = None  # engine.vocabulary.Vocabulary: the words its captions were made of, or None
    live: bool = False  # it carries a live decoder: controls in motion show live previews


@dataclass(frozen=True)
class ModelFailure:
    spec: str
    missing: bool  # a user error (no such folder, not an unCLIP model), not a crash
    message: str


@dataclass(frozen=True)
class Saved:
    """An image the engine made, with the library path it was saved to; `error` says why not, path then ''."""

    image: ImageReady
    path: str
    error: str = ""


@dataclass(frozen=True)
class FrameReady:
    strip: str  # the strip's key
    index: int
    pixels: np.ndarray  # (H, W, 3) uint8
    record: dict = field(default_factory=dict)  # the frame's `unclip` record (engine.record), as cached on disk


@dataclass(frozen=True)
class Split:
    """Out of memory: the failure, and the two jobs that now hold the seeds, the first to run first."""

    failure: Failed
    into: tuple[int, int]
