"""The one bridge between Qt and the engine: a thread that loads models and serves a job queue through the
engine's one runner (`engine.serve`, for images and for a strip's frames, with step previews), telling the window
everything as `Message`s on one signal; cancel is checked by the engine between steps. Live previews (a control in
motion) wait in one slot that holds only the newest ask, served between a job's steps and before the next job.
"""
from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import threading
import time
import traceback
from dataclasses import dataclass

import torch
from PySide6.QtCore import QObject, QThread, Signal, Slot

from engine import (CancelToken, Cancelled, EngineFailure, Failed, FailureKind, Finished, ImageReady, ImageVariation,
                    StageStarted, StepDone, TextToImage, UserError, has_live, live_preview, load_bundle, serve)
from engine.library import Library
from engine.record import frame_fields, write_png

from .messages import (Frames, FrameReady, Kind, LiveAsk, LiveImage, Message, ModelFailure, ModelReady, Saved, Split,
                       Ticket, Waiting)

PROGRESS = {StageStarted: Kind.STAGE, StepDone: Kind.STEP}
ENDS = {Finished: Kind.FINISHED, Cancelled: Kind.CANCELLED, Failed: Kind.FAILED}


@dataclass
class Job:
    """A request waiting for, or being served by, the engine."""

    ticket: Ticket
    request: object

    @property
    def id(self) -> int:
        return self.ticket.id


@contextlib.contextmanager
def one_thread():
    """torch on one CPU thread meanwhile: loading is reading and casting, and a live preview is one small pass; on a
    busy 2-core machine a second thread only takes a core from the GUI thread (and a live preview on two threads
    measured 40 ms median, 1 s worst, against 18 ms and 24 ms on one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def failure(err: Exception) -> Failed:
    """An exception raised outside the engine's runner, as the engine's Failed event would say it."""
    if isinstance(err, UserError):
        return Failed(str(err))
    if isinstance(err, EngineFailure):
        return Failed(str(err), err.details, err.kind)
    return Failed(f"{type(err).__name__}: {err}", traceback.format_exc(), FailureKind.INTERNAL)


class EngineWorker(QObject):
    """Lives on its own QThread; every `message` it sends from there reaches the GUI thread queued."""

    message = Signal(object)  # Message
    _wake = Signal()
    _live_wake = Signal()
    _load_asked = Signal(str, str, str)  # model spec, device, dtype name

    def __init__(self, library, device: str = "cpu", dtype: torch.dtype = torch.float32) -> None:
        super().__init__()
        self.library = library if isinstance(library, Library) else Library(library)
        self.device, self.dtype = device, dtype
        self.model = None
        self._jobs: collections.deque[Job] = collections.deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._version = 0  # of the queue's order, so that the window keeps the newest snapshot
        self._cancel: CancelToken | None = None
        self._running = False
        self._strips: dict = {}  # strip key → Strip, and what live asks keep (their memo), for the loaded model
        self._live: LiveAsk | None = None  # the newest live preview asked for and not yet served
        self._wake.connect(self._drain)
        self._live_wake.connect(self._serve_live)
        self._load_asked.connect(self.load)

    def ask_load(self, spec: str, device: str = "", dtype: str = "") -> None:
        """Load a bundle on the engine thread (called from the GUI thread; the answer comes as a message)."""
        self._load_asked.emit(spec, device, dtype)

    def _send(self, kind: Kind, job_id: int = 0, payload=None) -> None:
        self.message.emit(Message(kind, job_id, payload))

    def _waiting(self) -> Waiting:
        """The queue's order now (call with the lock held)."""
        self._version += 1
        return Waiting(self._version, tuple(j.ticket for j in self._jobs))

    # --- called from the GUI thread (and `submit` from this one on a split) ---------------------
    def submit(self, request, label: str, front: bool = False) -> int:
        """Queue a request at the back (or the front); returns its job id."""
        with self._lock:
            job = Job(Ticket.of(next(self._ids), request, label), request)
            (self._jobs.appendleft if front else self._jobs.append)(job)
            waiting = self._waiting()
        self._send(Kind.QUEUED, job.id, waiting)
        self._wake.emit()
        return job.id

    def ask_live(self, ask: LiveAsk) -> None:
        """Want a live preview: it replaces one still waiting (the hand has moved on), never joins the queue."""
        with self._lock:
            self._live = ask
        self._live_wake.emit()

    def remove(self, job_id: int) -> bool:
        """Take a waiting job out of the queue; False if it already started or is unknown."""
        with self._lock:
            kept = [j for j in self._jobs if j.id != job_id]
            found = len(kept) != len(self._jobs)
            self._jobs = collections.deque(kept)
            waiting = self._waiting() if found else None
        if found:
            self._send(Kind.REMOVED, job_id)
            self._send(Kind.QUEUED, job_id, waiting)
        return found

    def move_to_front(self, job_id: int) -> bool:
        """Make a waiting job the next one to run."""
        with self._lock:
            job = next((j for j in self._jobs if j.id == job_id), None)
            if job is not None:
                self._jobs.remove(job)
                self._jobs.appendleft(job)
                waiting = self._waiting()
        if job is not None:
            self._send(Kind.QUEUED, job_id, waiting)
        return job is not None

    def cancel_current(self) -> None:
        """Stop the running job before its next step."""
        cancel = self._cancel
        if cancel is not None:
            cancel.cancel()

    def clear_queue(self) -> None:
        with self._lock:
            removed = [j.id for j in self._jobs]
            self._jobs.clear()
            waiting = self._waiting()
        for job_id in removed:
            self._send(Kind.REMOVED, job_id)
        self._send(Kind.QUEUED, 0, waiting)

    # --- on the worker thread -------------------------------------------------------------------
    @Slot(str, str, str)
    def load(self, spec: str, device: str = "", dtype: str = "") -> None:
        """Load a bundle (on another device or precision if given); the previous model stays usable until then."""
        device = device or self.device
        dtype_ = getattr(torch, dtype) if dtype in ("float32", "float16", "bfloat16") else self.dtype
        if device == "cuda" and not torch.cuda.is_available():
            return self._send(Kind.MODEL_FAILED, 0, ModelFailure(spec, False, "no CUDA device is available on this "
                                                                              "machine"))
        try:
            model = self._load(spec, device, dtype_)
        except UserError as err:
            return self._send(Kind.MODEL_FAILED, 0, ModelFailure(spec, True, str(err)))
        except Exception as err:  # noqa: BLE001 - report any load failure in the UI
            return self._send(Kind.MODEL_FAILED, 0, ModelFailure(spec, False, f"{type(err).__name__}: {err}"))
        self.model, self.device, self.dtype = model, device, dtype_
        self._strips.clear()
        self._send(Kind.MODEL_LOADED, 0, ModelReady(spec, f"{model.config.name} ({model.fingerprint})",
                                                    model.fingerprint, model.config, device,
                                                    str(dtype_).removeprefix("torch."),
                                                    getattr(model, "vocabulary", None), has_live(model)))
        self._drain()  # the jobs asked for while it loaded

    @staticmethod
    def _load(spec: str, device: str, dtype: torch.dtype):
        """Load on one CPU thread: a load is reading, hashing and casting, and torch's other threads would only take
        cores from the GUI thread (on a busy 2-core machine loading the default took 3x as long with two)."""
        with one_thread():
            return load_bundle(spec, device, dtype)

    @Slot()
    def _drain(self) -> None:
        if self._running or self.model is None:
            return
        self._running = True
        try:
            while True:
                self._serve_live()  # the hand first: a live preview costs a few tens of ms
                with self._lock:
                    job = self._jobs.popleft() if self._jobs else None
                if job is None:
                    break
                self._serve(job)
        finally:
            self._running = False

    def _serve(self, job: Job) -> None:
        """One job, start to end: STARTED, its progress, then exactly one of the END kinds."""
        self._cancel = CancelToken()
        self._send(Kind.STARTED, job.id, job.ticket)
        try:
            kind, payload = self._frames(job) if isinstance(job.request, Frames) else self._request(job)
        except Exception as err:  # noqa: BLE001 - a job that cannot even start ends itself, not the worker
            kind, payload = Kind.FAILED, failure(err)
        finally:
            self._cancel = None
        self._send(kind, job.id, payload)

    def _progress(self, job_id: int, event) -> None:
        kind = PROGRESS.get(type(event))
        if kind is not None:
            self._send(kind, job_id, event)
        self._serve_live()  # between a job's steps, so the hand never waits for a whole render

    @Slot()
    def _serve_live(self) -> None:
        """Serve the newest live ask, if one waits and the model has a live decoder."""
        with self._lock:
            ask, self._live = self._live, None
        if ask is None or self.model is None or not has_live(self.model):
            return
        start = time.perf_counter()
        try:
            with one_thread():
                request, noise = ask.make(self.model, self._strips)
                pixels, error = live_preview(self.model, request, noise), ""
        except Exception as err:  # noqa: BLE001 - a failed preview is news, never the end of the worker
            pixels, error = None, str(err) if isinstance(err, UserError) else f"{type(err).__name__}: {err}"
        self._send(Kind.LIVE, 0, LiveImage(ask.id, ask.control, pixels, time.perf_counter() - start, error))

    def _request(self, job: Job) -> tuple[Kind, object]:
        """Serve an image request, saving each image to the library as it comes."""
        def on_event(event) -> None:
            if isinstance(event, ImageReady):
                self._send(Kind.IMAGE, job.id, self._save(event))
            else:
                self._progress(job.id, event)

        end = serve(self.model, job.request, cancel=self._cancel, previews=True, on_event=on_event)
        if isinstance(end, Failed) and end.kind is FailureKind.OUT_OF_MEMORY:
            halves = self._split(job)
            if halves is not None:
                return Kind.SPLIT, Split(end, halves)
        return ENDS[type(end)], end

    def _save(self, image: ImageReady) -> Saved:
        try:
            return Saved(image, str(self.library.save(image.image, image.metadata)))
        except OSError as err:  # full or read-only disk: keep the image in memory for "save elsewhere"
            return Saved(image, "", f"could not save the image to the library ({err.strerror or err}); it is kept "
                                    "in memory: right-click it and choose Export… to save it elsewhere")

    def _split(self, job: Job) -> tuple[int, int] | None:
        """Out of memory: queue the job's seeds as two halves at the front (same pixels: noise is per image)."""
        request = job.request
        if not isinstance(request, (TextToImage, ImageVariation)) or len(request.seeds) < 2:
            return None
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        half = len(request.seeds) // 2
        ids = [self.submit(dataclasses.replace(request, seeds=seeds), f"{job.ticket.label} (seeds {seeds[0]}…)",
                           front=True)
               for seeds in (request.seeds[half:], request.seeds[:half])]  # front-first: the first half runs first
        return ids[1], ids[0]

    def _frames(self, job: Job) -> tuple[Kind, object]:
        """Render frames of a strip in one batch, with step previews, caching each on disk before announcing it."""
        frames: Frames = job.request
        if frames.key not in self._strips:
            self._strips[frames.key] = frames.make_strip(self.model)
        strip = self._strips[frames.key]

        def on_event(event) -> None:
            if not isinstance(event, ImageReady):
                return self._progress(job.id, event)
            index = frames.indices[event.index]
            record = dict(event.metadata, **frame_fields(index, strip.positions[index], len(strip), frames.key))
            try:
                write_png(frames.folder / frames.key / f"{index:03d}.png", event.image, record)
            except OSError:
                pass  # the disk cache is a convenience: the frame is still shown
            self._send(Kind.FRAME, job.id, FrameReady(frames.key, index, event.image, record))

        request, noise = strip.request(frames.indices, self.model.device)
        end = serve(self.model, request, cancel=self._cancel, noise=noise, previews=True, on_event=on_event)
        return ENDS[type(end)], end


def start_worker(library, device: str = "cpu", dtype: torch.dtype = torch.float32) -> tuple[EngineWorker, QThread]:
    """An EngineWorker on a fresh, running QThread."""
    thread = QThread()
    thread.setObjectName("engineThread")
    worker = EngineWorker(library, device, dtype)
    worker.moveToThread(thread)
    thread.start()
    return worker, thread
