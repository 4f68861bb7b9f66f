"""The one bridge between Qt and the engine: a thread that loads models and serves a job queue.

Engine events come back as queued signals; cancel is checked by the engine between steps.
"""
from __future__ import annotations

import collections
import dataclasses
import itertools
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch
from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import (CancelToken, Cancelled, Failed, Finished, ImageReady, ImageVariation, TextToImage, UserError,
                    generate, load_bundle)
from engine.library import Library
from engine.metadata import save_png


@dataclass
class Frames:
    """Render some frames of an exploration strip; the strip is built on the engine thread, once per key."""

    key: str
    make_strip: Callable  # UnCLIP → engine.explore.Strip
    indices: list[int]
    folder: Path  # frames are cached here as NNN.png


@dataclass
class Job:
    """A request waiting for, or being served by, the engine."""

    id: int
    request: object
    label: str


class EngineWorker(QObject):
    """Lives on its own QThread; everything it emits reaches the GUI thread as a queued signal."""

    model_loaded = Signal(str, str)  # status, message
    job_started = Signal(int, str)
    event = Signal(int, object)  # job id, engine Event
    image_saved = Signal(int, object, str)  # job id, ImageReady, path
    job_done = Signal(int, str)  # job id, outcome: finished | failed | cancelled
    queue_changed = Signal(list)  # [(job id, label)] of the waiting jobs, front first
    frame_ready = Signal(str, int, object)  # strip key, frame index, (H, W, 3) uint8
    _wake = Signal()

    def __init__(self, library: Path | Library, device: str = "cpu", dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.library = library if isinstance(library, Library) else Library(library)
        self.device, self.dtype = device, dtype
        self.model = None
        self._jobs: collections.deque[Job] = collections.deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._cancel: CancelToken | None = None
        self._running = False
        self._strips: dict[str, object] = {}  # strip key → Strip (embeddings and starts), for the loaded model
        self._wake.connect(self._drain)

    # --- called from the GUI thread -------------------------------------------------------------
    def submit(self, request, label: str, front: bool = False) -> int:
        """Queue a request at the back (or the front); returns its job id."""
        job = Job(next(self._ids), request, label)
        with self._lock:
            (self._jobs.appendleft if front else self._jobs.append)(job)
        self._announce()
        self._wake.emit()
        return job.id

    def remove(self, job_id: int) -> bool:
        """Take a waiting job out of the queue; False if it already started or is unknown."""
        with self._lock:
            kept = [j for j in self._jobs if j.id != job_id]
            found = len(kept) != len(self._jobs)
            self._jobs = collections.deque(kept)
        self._announce()
        return found

    def move_to_front(self, job_id: int) -> bool:
        """Make a waiting job the next one to run."""
        with self._lock:
            job = next((j for j in self._jobs if j.id == job_id), None)
            if job is not None:
                self._jobs.remove(job)
                self._jobs.appendleft(job)
        self._announce()
        return job is not None

    def cancel_current(self) -> None:
        """Stop the running job before its next step."""
        if self._cancel is not None:
            self._cancel.cancel()

    def clear_queue(self) -> None:
        with self._lock:
            self._jobs.clear()
        self._announce()

    def _announce(self) -> None:
        with self._lock:
            labels = [(j.id, j.label) for j in self._jobs]
        self.queue_changed.emit(labels)

    # --- on the worker thread -------------------------------------------------------------------
    @Slot(str, str, str)
    def load(self, spec: str, device: str = "", dtype: str = "") -> None:
        """Load a bundle (on another device or precision if given); the previous model stays usable until then."""
        device = device or self.device
        dtype_ = getattr(torch, dtype) if dtype in ("float32", "float16", "bfloat16") else self.dtype
        if device == "cuda" and not torch.cuda.is_available():
            self.model_loaded.emit("failed", "no CUDA device is available on this machine")
            return
        try:
            model = load_bundle(spec, device, dtype_)
        except UserError as err:
            self.model_loaded.emit("missing", str(err))
            return
        except Exception as err:  # noqa: BLE001 - report any load failure in the UI
            self.model_loaded.emit("failed", f"{type(err).__name__}: {err}")
            return
        self.model, self.device, self.dtype = model, device, dtype_
        self._strips.clear()
        self.model_loaded.emit("ready", f"{model.config.name} ({model.fingerprint})")
        self._drain()

    @Slot()
    def _drain(self) -> None:
        if self._running or self.model is None:
            return
        self._running = True
        try:
            while True:
                with self._lock:
                    job = self._jobs.popleft() if self._jobs else None
                if job is None:
                    break
                self._announce()
                self._serve(job)
        finally:
            self._running = False

    def _serve(self, job: Job) -> None:
        self._cancel = CancelToken()
        self.job_started.emit(job.id, job.label)
        if isinstance(job.request, Frames):
            return self._serve_frames(job)
        outcome = "failed"
        for ev in generate(self.model, job.request, self._cancel):
            if isinstance(ev, ImageReady):
                try:
                    path = self.library.save(ev.image, ev.metadata)
                except OSError as err:  # full or read-only disk: keep the image in memory for "save elsewhere"
                    self.event.emit(job.id, Failed(f"could not save the image to the library "
                                                   f"({err.strerror or err}); it is kept in memory: "
                                                   "right-click it and choose Export… to save it elsewhere"))
                    self.image_saved.emit(job.id, ev, "")
                    continue
                self.image_saved.emit(job.id, ev, str(path))
            elif isinstance(ev, Finished):
                outcome = "finished"
            elif isinstance(ev, Cancelled):
                outcome = "cancelled"
            elif isinstance(ev, Failed) and ev.message.startswith("OutOfMemoryError") and self._split(job):
                ev = Failed("out of GPU memory: retrying as two smaller jobs (the model stays loaded)")
                outcome = "retried"
            if not isinstance(ev, ImageReady):
                self.event.emit(job.id, ev)
        self._cancel = None
        self.job_done.emit(job.id, outcome)

    def _split(self, job: Job) -> bool:
        """Out of memory: queue the job's seeds as two halves at the front (same pixels: noise is per image)."""
        request = job.request
        if not isinstance(request, (TextToImage, ImageVariation)) or len(request.seeds) < 2:
            return False
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        half = len(request.seeds) // 2
        for seeds in (request.seeds[half:], request.seeds[:half]):  # front-first: the first half runs first
            self.submit(dataclasses.replace(request, seeds=seeds), f"{job.label} (seeds {seeds[0]}…)", front=True)
        return True


    def _serve_frames(self, job: Job) -> None:
        """Render frames of a strip, caching each on disk before announcing it."""
        frames: Frames = job.request
        outcome = "failed"
        try:
            if frames.key not in self._strips:
                self._strips[frames.key] = frames.make_strip(self.model)
            request, noise = self._strips[frames.key].request(frames.indices, self.model.device)
        except Exception as err:  # noqa: BLE001 - a bad source ends this job, not the worker
            self.event.emit(job.id, Failed(str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"))
            self.job_done.emit(job.id, outcome)
            return
        for ev in generate(self.model, request, self._cancel, previews=False, noise=noise):
            if isinstance(ev, ImageReady):
                index = frames.indices[ev.index]
                meta = dict(ev.metadata, frame=index)
                try:
                    save_png(frames.folder / frames.key / f"{index:03d}.png", ev.image, meta)
                except OSError:
                    pass  # the disk cache is a convenience: the frame is still shown
                self.frame_ready.emit(frames.key, index, ev.image)
                continue
            if isinstance(ev, Finished):
                outcome = "finished"
            elif isinstance(ev, Cancelled):
                outcome = "cancelled"
            self.event.emit(job.id, ev)
        self._cancel = None
        self.job_done.emit(job.id, outcome)


def start_worker(library: Path | Library, device: str = "cpu",
                 dtype: torch.dtype = torch.float32) -> tuple[EngineWorker, QThread]:
    """An EngineWorker on a fresh, running QThread."""
    thread = QThread()
    thread.setObjectName("engineThread")
    worker = EngineWorker(library, device, dtype)
    worker.moveToThread(thread)
    thread.start()
    return worker, thread
