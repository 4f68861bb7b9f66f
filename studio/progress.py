"""The running job as the window shows it: the progress bar, the status line, step previews on the canvas (a grid
for a job of several images), the status bar's time per step, and each image the job makes added to the results
(shown alone, or with the job's others as a grid), all bound to the job model. A strip's frames are the explorer's."""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QProgressBar

from .jobs import Job, JobModel
from .messages import JobKind, Kind, Message
from .panels.canvas import Canvas
from .state import Result, StudioState
from .status import StudioStatusBar

PREVIEW_INTERVAL = 0.05  # s between canvas previews: cheap to draw, never a brake on sampling
SPLIT_NOTE = "out of GPU memory: retrying as two smaller jobs (the model stays loaded)"


class JobProgress(QObject):
    """Reacts to each message the job model took in; says what happens through `said`."""

    said = Signal(str)
    result_made = Signal(object)  # Result: a new image of a job of one, added to the state, to show
    batch_made = Signal(object, int)  # list[Result] so far, images in all: a new image of a job of several

    def __init__(self, jobs: JobModel, state: StudioState, canvas: Canvas, bar: QProgressBar,
                 status_bar: StudioStatusBar, note_time: Callable[[int, float], None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.state, self.canvas, self.bar, self.status_bar, self.note_time = state, canvas, bar, status_bar, note_time
        self._last_preview = 0.0
        self._made: dict[int, list[Result]] = {}  # the running job's results so far
        self._react = {Kind.STARTED: self._started, Kind.STAGE: self._stage, Kind.STEP: self._step,
                       Kind.IMAGE: self._image, Kind.FINISHED: self._finished, Kind.FAILED: self._failed,
                       Kind.SPLIT: self._split, Kind.CANCELLED: self._cancelled}
        jobs.changed.connect(self._on_message)

    def _on_message(self, job: Job | None, message: Message) -> None:
        react = self._react.get(message.kind)
        if job is not None and react is not None:
            react(job, message.payload)

    def _started(self, job: Job, _ticket) -> None:
        self.said.emit(f"Working: {job.label}")

    def _stage(self, job: Job, event) -> None:
        self.bar.setRange(0, event.steps)
        self.bar.setValue(0)
        self.said.emit(f"{event.stage.display}…")

    def _step(self, job: Job, event) -> None:
        self.bar.setValue(event.step)
        self.status_bar.step(event.stage.display, event.step)
        now = time.monotonic()
        if job.kind is JobKind.FRAMES or event.preview is None:
            return  # a strip's previews go to its filmstrip (studio.explore)
        if now - self._last_preview >= PREVIEW_INTERVAL or event.step == event.steps:
            self._last_preview = now
            self.canvas.show_preview(event.preview, f"{event.stage.display} · step {event.step}/{event.steps}")

    def _image(self, job: Job, saved) -> None:
        self.state.add_result(Result(saved.image.image, saved.path, saved.image.metadata))
        made = self._made.setdefault(job.id, [])
        made.append(self.state.results[-1])
        if job.count > 1:
            self.batch_made.emit(list(made), job.count)
        else:
            self.result_made.emit(made[-1])
        if saved.error:
            self.said.emit(f"⚠ {saved.error}")

    def _finished(self, job: Job, event) -> None:
        """Say how long the job took, and let the Size list show each size's last time on this machine."""
        made = self._made.pop(job.id, [])
        if not event.images:
            return
        n, size = len(event.images), event.images[0].image.shape[0]
        if job.save_error:
            said = f"⚠ {job.save_error}"
        elif len(made) > 1:  # its grid: the seeds it shows, and the one in focus (the seed field's)
            focus = next((r for r in made if r is self.state.focus), made[0])
            said = f"seeds {made[0].seed}–{made[-1].seed}, seed {focus.seed} in focus — {focus.path}"
        elif job.images:
            said = f"seed {job.last_seed} — {job.last_path}"  # as the result was shown
        else:
            said = job.label  # strip frames: no image of the library
        self.said.emit(f"{said} · {'done' if n == 1 else f'{n} images'} in {event.seconds:.1f} s")
        self.note_time(size, event.seconds / n)

    def _stopped(self, job: Job) -> None:
        """A job ended without its images: no preview of it stays, the bar starts again."""
        self._made.pop(job.id, None)
        self.canvas.end_preview()
        self.bar.setRange(0, 1)
        self.bar.setValue(0)

    def _failed(self, job: Job, event) -> None:
        self._stopped(job)
        self.said.emit(f"⚠ Failed: {event.message}")

    def _split(self, job: Job, split) -> None:
        self._stopped(job)
        self.said.emit(f"⚠ Failed: {SPLIT_NOTE}")

    def _cancelled(self, job: Job, _event) -> None:
        self._stopped(job)
        self.said.emit("Cancelled.")
