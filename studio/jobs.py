"""The studio's job model: every job, the waiting queue's order and the frames of the strips being explored, in
one observable object fed by the worker's messages. The window, the queue view and the explorer bind to it; none
of them keeps job state of its own."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Protocol

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from engine import Stage

from .messages import END, JobKind, Kind, Message, Ticket

HISTORY = 64  # ended jobs kept (small records, no pixels) for views that ask about them late


class JobQueue(Protocol):
    """What may change the queue (the worker): safe to call from the GUI thread while a job runs."""

    def submit(self, request, label: str, front: bool = False) -> int: ...

    def remove(self, job_id: int) -> bool: ...

    def move_to_front(self, job_id: int) -> bool: ...


class JobState(Enum):
    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    SPLIT = "split"  # out of memory: its seeds went on as two smaller jobs
    CANCELLED = "cancelled"
    REMOVED = "removed"  # taken out of the queue before it started


ENDED = {Kind.FINISHED: JobState.FINISHED, Kind.FAILED: JobState.FAILED, Kind.SPLIT: JobState.SPLIT,
         Kind.CANCELLED: JobState.CANCELLED, Kind.REMOVED: JobState.REMOVED}


@dataclass
class Job:
    """What is known about one job: what it is, where it stands, and what it has made so far."""

    id: int
    kind: JobKind
    label: str
    strip: str = ""  # frames jobs: the strip's key
    frames: tuple[int, ...] = ()  # frames jobs: the frame indices it renders
    count: int = 1  # image jobs: the images it makes (its seeds)
    state: JobState = JobState.WAITING
    stage: Stage | None = None
    step: int = 0
    steps: int = 0
    images: int = 0  # images made (saved or not)
    last_seed: int | None = None  # of the latest image
    last_path: str = ""  # where the latest image was saved
    save_error: str = ""  # why an image could not be saved, if one could not

    @staticmethod
    def of(ticket: Ticket) -> "Job":
        return Job(ticket.id, ticket.kind, ticket.label, ticket.strip, ticket.frames, ticket.count)

    @property
    def live(self) -> bool:
        return self.state in (JobState.WAITING, JobState.RUNNING)

    @property
    def progress(self) -> float:
        """The current stage's part done, 0 … 1."""
        return self.step / self.steps if self.steps else 0.0


class JobModel(QObject):
    """Jobs by id, the queue's order and open strips' frames; `changed` follows every message it takes in."""

    changed = Signal(object, object)  # Job (None for model messages), Message: after the model took it in
    queue_changed = Signal()  # the waiting jobs or their order
    busy_changed = Signal(bool)  # a job runs or waits
    frame_added = Signal(str, int)  # strip key, frame index: a frame of an open strip is in `frames(key)`

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: dict[int, Job] = {}
        self._order: list[int] = []  # waiting job ids, next first
        self._version = 0
        self._running: int | None = None
        self._ended: list[int] = []
        self._strips: dict[str, dict[int, np.ndarray]] = {}  # open strips' frames by index
        self.busy = False

    # --- reading --------------------------------------------------------------------------------
    def job(self, job_id: int) -> Job | None:
        return self._jobs.get(job_id)

    def waiting(self) -> list[Job]:
        """The waiting jobs, next first."""
        return [self._jobs[i] for i in self._order]

    @property
    def running(self) -> Job | None:
        return self._jobs.get(self._running) if self._running is not None else None

    def pending(self, strip: str) -> dict[int, tuple[int, ...]]:
        """A strip's jobs still waiting or running: job id → the frames it renders."""
        return {j.id: j.frames for j in self._jobs.values() if j.strip == strip and j.live}

    def frames(self, strip: str) -> dict[int, np.ndarray]:
        """An open strip's rendered frames by index ((H, W, 3) uint8); empty for one not open."""
        return self._strips.get(strip, {})

    # --- strips ---------------------------------------------------------------------------------
    def open_strip(self, key: str, cached: dict[int, np.ndarray]) -> None:
        """Keep the frames of strip `key` from now on, starting with those cached on disk."""
        self._strips.setdefault(key, {}).update(cached)

    def close_strip(self, key: str) -> None:
        self._strips.pop(key, None)

    # --- taking messages in ---------------------------------------------------------------------
    @Slot(object)
    def receive(self, message: Message) -> None:
        """Take in one message from the worker, then tell the views."""
        job = self._jobs.get(message.job_id)
        kind = message.kind
        if kind is Kind.QUEUED:
            self._queued(message.payload)
            job = self._jobs.get(message.job_id)
        elif job is None:
            if kind is Kind.STARTED:
                job = self._jobs[message.job_id] = Job.of(message.payload)
            else:
                return self.changed.emit(None, message)  # the loaded model's news, or a job long forgotten
        if kind is Kind.STARTED:
            self._start(job)
        elif kind is Kind.STAGE:
            job.stage, job.step, job.steps = message.payload.stage, 0, message.payload.steps
        elif kind is Kind.STEP:
            job.stage, job.step, job.steps = message.payload.stage, message.payload.step, message.payload.steps
        elif kind is Kind.IMAGE:
            saved = message.payload
            job.images += 1
            job.last_seed, job.last_path = saved.image.seed, saved.path
            job.save_error = saved.error or job.save_error
        elif kind is Kind.FRAME:
            frame = message.payload
            if frame.strip in self._strips:
                self._strips[frame.strip][frame.index] = frame.pixels
        elif kind in END:
            self._end(job, ENDED[kind])
        self.changed.emit(job, message)
        if kind is Kind.FRAME and message.payload.strip in self._strips:
            self.frame_added.emit(message.payload.strip, message.payload.index)
        self._note_busy()

    def _queued(self, waiting) -> None:
        """A snapshot of the queue: every job in it is known from now on; the newest snapshot sets the order."""
        for ticket in waiting.jobs:
            self._jobs.setdefault(ticket.id, Job.of(ticket))
        if waiting.version <= self._version:
            return  # taken on the other thread before one already shown
        self._version = waiting.version
        order = [t.id for t in waiting.jobs if self._jobs[t.id].state is JobState.WAITING]
        if order != self._order:
            self._order = order
            self.queue_changed.emit()

    def _start(self, job: Job) -> None:
        job.state = JobState.RUNNING
        self._running = job.id
        if job.id in self._order:
            self._order.remove(job.id)
            self.queue_changed.emit()

    def _end(self, job: Job, state: JobState) -> None:
        job.state = state
        if self._running == job.id:
            self._running = None
        if job.id in self._order:
            self._order.remove(job.id)
            self.queue_changed.emit()
        self._ended.append(job.id)
        while len(self._ended) > HISTORY:
            self._jobs.pop(self._ended.pop(0), None)

    def _note_busy(self) -> None:
        busy = self._running is not None or bool(self._order)
        if busy != self.busy:
            self.busy = busy
            self.busy_changed.emit(busy)
