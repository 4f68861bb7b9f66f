"""Exploration in the studio: a strip of frames between two sources, rendered coarse to fine on the engine
thread and scrubbed with `interpolationSlider` over a filmstrip of its frames (step previews in the cells being
rendered); frames are kept by the job model and cached on disk per strip key. The mixing pad renders one mix per drag
(on release), with step previews, and "Keep this mix" hands it to the gallery with its weights in the record.
With a live decoder (studio.live), the pad's point and the slider over a frame not rendered yet show live previews,
and the full render starts when the hand rests.
The explorer gets what it needs injected (its panel, the job model, the queue, the state) and reaches into no
other panel: what it shows, previews, keeps and says goes out through `shown`, `previewed`, `keep` and `said`."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from engine import Settings, UserError
from engine.explore import frame_order, nearest_done
from engine.sources import load_image

from .images import to_pixmap
from .jobs import JobModel, JobQueue
from .messages import END, Frames, Kind
from .panels.explore import ExplorePanel
from .panels.mixpad import corner_weights, weights_text
from .state import StudioState
from .strips import built, mixed_strip, strip_key, strip_maker

BATCH = 2  # frames per engine job: small, so the strip fills in while the artist scrubs


class FrameStrip:
    """One strip: its key, frame count and disk cache; its rendered frames and queued jobs live in the job model."""

    def __init__(self, key: str, frames: int, seed: int, cache: Path, jobs: JobModel) -> None:
        self.key, self.count, self.seed, self.folder, self.model = key, frames, seed, cache / key, jobs
        cached = {}
        for index in range(frames):  # frames rendered in an earlier session come back from disk
            path = self.folder / f"{index:03d}.png"
            if path.is_file():
                with Image.open(path) as im:
                    cached[index] = np.asarray(im.convert("RGB"))
        jobs.open_strip(key, cached)

    @property
    def done(self) -> dict[int, np.ndarray]:
        """Rendered frames by index."""
        return self.model.frames(self.key)

    @property
    def jobs(self) -> dict[int, tuple[int, ...]]:
        """Jobs still to render frames of this strip: job id → frame indices."""
        return self.model.pending(self.key)

    def missing(self) -> list[int]:
        """Frames not rendered and not queued, coarse to fine."""
        queued = {i for chunk in self.jobs.values() for i in chunk}
        return [i for i in frame_order(self.count) if i not in self.done and i not in queued]

    def plan(self) -> list[list[int]]:
        """The batches still to render, coarse to fine."""
        todo = self.missing()
        return [todo[i: i + BATCH] for i in range(0, len(todo), BATCH)]

    def nearest(self, position: float) -> int | None:
        return nearest_done(position, self.count, self.done)

    def job_for(self, position: float) -> int | None:
        """The queued job holding the frame nearest `position`, if that frame is still missing."""
        want = round(position * (self.count - 1))
        if want in self.done:
            return None
        return next((job for job, chunk in self.jobs.items() if want in chunk), None)


class Explorer(QObject):
    """The studio's exploration controller: sources A and B (C and D on the mixing pad), the current strip,
    scrubbing and export."""

    shown = Signal(object, str)  # (H, W, 3) uint8, caption: for the canvas
    previewed = Signal(object, str)  # (H, W, 3) uint8, caption: a step preview of the mix, for the canvas
    keep = Signal(object, dict)  # (H, W, 3) uint8, record: a mix to save in the gallery
    said = Signal(str)  # one line for the status

    def __init__(self, panel: ExplorePanel, jobs: JobModel, queue: JobQueue, state: StudioState, cache: Path,
                 sampling: Callable[[], tuple[int, Settings]], prompt: Callable[[], str], live,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.panel, self.jobs, self.queue, self.state, self.cache = panel, jobs, queue, state, cache
        self.live = live  # studio.live.LivePreview
        self.strip_make: Callable | None = None  # builds the current strip on the engine thread
        self.sampling, self.prompt = sampling, prompt  # the seed and settings, and the prompt, as set now
        self.sources: dict[str, tuple[str, object]] = {}  # "a" … "d" → (spec, engine Source)
        self.strip: FrameStrip | None = None
        self.mix_key, self.mix_job, self.mix_seed = "", None, 0
        self.mix_weights: dict[str, float] = {}  # the mix being rendered: its corners' weights
        self.mixed: tuple | None = None  # the mix on the canvas: (pixels, record)
        jobs.changed.connect(self._on_message)
        jobs.frame_added.connect(self._on_frame)
        jobs.queue_changed.connect(self._show_queued)
        panel.source_from_prompt.connect(self.source_from_prompt)
        panel.source_dropped.connect(self.set_source)
        panel.render_requested.connect(self.render_strip)
        panel.position_changed.connect(self.scrubbed)
        panel.position_released.connect(lambda: live.settle("frame"))
        panel.export_requested.connect(self.export_strip)
        panel.pad.moved.connect(self.mix_moved)  # live: a preview; else only the weights show
        panel.pad.released.connect(self.mix_released)  # one render per drag
        panel.mix_panel.keep.clicked.connect(self.keep_mix)

    def set_source(self, key: str, spec: str) -> None:
        """Source A or B of the strip: an image path or 'text:PROMPT'."""
        from engine.explore import Source
        try:
            source = Source.parse(spec, load_image)
        except UserError as err:
            return self.said.emit(f"⚠ {err}")
        self.sources[key] = (spec, source)
        thumbnail = None if source.image is None else to_pixmap(np.asarray(source.image.convert("RGB")))
        self.panel.set_source(key, Path(spec).name if source.image is not None else spec, thumbnail)
        self.panel.pad.set_thumbnail(key, thumbnail)
        self.panel.pad.set_present(set(self.sources))

    def planned_mix(self, x: float, y: float) -> tuple | None:
        """The mix at the pad's point: key, sources, weights (list and by corner), seed, settings; None without two
        sources or a model."""
        weights = corner_weights(x, y, set(self.sources))
        if len(weights) < 2 or self.state.model is None:
            return None
        keys = sorted(weights)
        w = [round(weights[k], 3) for k in keys]
        seed, settings = self.sampling()
        key = strip_key(",".join(self.sources[k][0] for k in keys), json.dumps(w), seed, settings, 1, "mix",
                        self.state.model.fingerprint)
        return key, [self.sources[k][1] for k in keys], w, dict(zip(keys, w)), seed, settings

    def mix(self, x: float, y: float, again: bool = True) -> None:
        """Render the corners' sources mixed by the pad point's weights, with fixed noise: once, when the drag ends
        or the hand rests (a mix still waiting is replaced by the new one; `again` False: the same mix on its way
        is left to come)."""
        plan = self.planned_mix(x, y)
        if plan is None:
            return self.said.emit("⚠ The mixing pad needs at least two sources (right-click results: Use as A/B/C/D).")
        key, sources, w, weights, seed, settings = plan
        if not again and key == self.mix_key and self.mix_job is not None:
            return
        if self.mix_job is not None:
            self.queue.remove(self.mix_job)
        self.mix_key, self.mix_seed, self.mix_weights = key, seed, weights
        label = "mix " + weights_text(self.mix_weights)
        job = Frames(self.mix_key, lambda model: mixed_strip(model, sources, w, seed, settings, label), [0], self.cache)
        self.mix_job = self.queue.submit(job, label, front=True)

    def mix_moved(self, x: float, y: float) -> None:
        """The pad's point moves: with a live decoder, the mix there live, and in full when the hand rests."""
        plan = self.planned_mix(x, y) if self.live.enabled else None
        if plan is None:
            return
        _, sources, w, weights, seed, settings = plan
        label = "mix " + weights_text(weights)
        make = lambda model, memo: mixed_strip(model, sources, w, seed, settings, label, memo).request(  # noqa: E731
            [0], model.device)
        self.live.move("mix", "mix", make, f"{label} · seed {seed}", lambda: self.mix(x, y, again=False))

    def mix_released(self, x: float, y: float) -> None:
        """The drag ends: the mix renders (live: the last point's, unless the rest already started it)."""
        if not self.live.settle("mix"):
            self.mix(x, y)

    def keep_mix(self) -> None:
        """Hand the mix on the canvas to the gallery, its sources and weights in its record (under "mix")."""
        if self.mixed is None:
            return self.said.emit("⚠ Drag the point on the mixing pad first: the mix renders when you let go.")
        pixels, record = self.mixed
        self.keep.emit(pixels, record)
    def source_from_prompt(self, key: str) -> None:
        prompt = self.prompt().strip()
        if not prompt:
            return self.said.emit("⚠ Type a prompt first: it becomes the source.")
        self.set_source(key, "text:" + prompt)

    def render_strip(self) -> None:
        """Plan the strip A → B (or A toward text B) and queue its missing frames, coarse to fine; frames
        cached before show at once."""
        if not {"a", "b"} <= set(self.sources) or self.state.model is None:
            return self.said.emit("⚠ Set sources A and B first (a prompt, or right-click a result).")
        (spec_a, a), (spec_b, b) = self.sources["a"], self.sources["b"]
        n, mode = self.panel.frames.value(), self.panel.noise.currentText()
        if mode == "text diff" and (a.image is None or b.image is not None):
            return self.said.emit("⚠ A text diff moves image A toward text B: set an image as A and a prompt as B.")
        seed, settings = self.sampling()
        key = strip_key(spec_a, spec_b, seed, settings, n, mode, self.state.model.fingerprint)
        if self.strip is None or self.strip.key != key:
            self._drop_strip()
            self.strip = FrameStrip(key, n, seed, self.cache, self.jobs)
            self.panel.filmstrip.set_strip(n, self.strip.done)
        make = self.strip_make = strip_maker(a, b, n, seed, settings, mode)
        for chunk in self.strip.plan():
            self.queue.submit(Frames(key, make, chunk, self.cache), f"frames {chunk} of {n}")
        self._show_queued()
        self.scrub(self.panel.position)

    def scrub(self, position: float) -> None:
        """Show the rendered frame nearest the slider at once (not over a live preview of a frame still to come);
        pull the wanted frame's job to the front."""
        if self.strip is None:
            return
        index = self.strip.nearest(position)
        self.panel.set_shown(index, self.strip.count)
        live = self.live.showing().startswith(f"frame:{self.strip.key}:") and self.wanted(position) not in \
            self.strip.done
        if index is not None and not live:
            self.shown.emit(self.strip.done[index], f"frame {index + 1}/{self.strip.count} · seed {self.strip.seed}")
        job = self.strip.job_for(position)
        if job is not None:
            self.queue.move_to_front(job)

    def wanted(self, position: float) -> int:
        """The frame the slider points at."""
        return round(position * (self.strip.count - 1))

    def scrubbed(self, position: float) -> None:
        """The hand moved the slider: over a frame not rendered yet, with a live decoder, its live preview, and its
        render next when the hand rests."""
        self.scrub(position)
        if self.strip is None or self.wanted(position) in self.strip.done or not self.live.enabled:
            return
        strip, make, index = self.strip, self.strip_make, self.wanted(position)
        frame = lambda model, memo: built(memo, strip.key, make, model).request([index], model.device)  # noqa: E731
        self.live.move("frame", f"frame:{strip.key}:{index}", frame, f"frame {index + 1}/{strip.count} · seed "
                       f"{strip.seed}", lambda: self.want_frame(strip, index),
                       lambda: self.strip is strip and index not in strip.done)

    def want_frame(self, strip: FrameStrip, index: int) -> None:
        """Render frame `index` next: its waiting job to the front, or a job of its own if none holds it."""
        if strip is not self.strip or index in strip.done:
            return
        job = next((j for j, chunk in strip.jobs.items() if index in chunk), None)
        if job is not None:
            self.queue.move_to_front(job)
        else:
            self.queue.submit(Frames(strip.key, self.strip_make, [index], self.cache),
                              f"frames {[index]} of {strip.count}", front=True)

    def export_strip(self) -> None:
        if self.strip is None or len(self.strip.done) < self.strip.count:
            return self.said.emit("⚠ Render the whole strip before exporting it.")
        target, _ = QFileDialog.getSaveFileName(self.panel, "Export strip", "strip.gif",
                                                "GIF (*.gif);;WebP (*.webp);;MP4 (*.mp4);;Contact sheet (*.png)")
        if target:
            self.export_frames(target)

    def export_frames(self, target: str) -> None:
        from engine.animation import export
        from engine.record import read_png
        folder = self.strip.folder
        metas = [read_png(folder / f"{i:03d}.png") if (folder / f"{i:03d}.png").is_file() else {}
                 for i in range(self.strip.count)]
        try:
            paths = export([self.strip.done[i] for i in range(self.strip.count)], metas, target)
        except (UserError, OSError) as err:
            return self.said.emit(f"⚠ {err}")
        self.said.emit(f"Exported {paths[0]}")

    def _drop_strip(self) -> None:
        if self.strip is not None:
            for job in list(self.strip.jobs):
                self.queue.remove(job)
            self.jobs.close_strip(self.strip.key)
        self.strip = None

    def _on_message(self, job, message) -> None:
        if job is None:
            return
        if message.kind in END and job.id == self.mix_job:
            self.mix_job = None
        elif message.kind is Kind.FRAME and message.payload.strip == self.mix_key:
            record = dict(message.payload.record, mix={
                "weights": {k.upper(): v for k, v in self.mix_weights.items()},
                "sources": {k.upper(): self.sources[k][0] for k in self.mix_weights if k in self.sources}})
            self.mixed = (message.payload.pixels, record)
            self.panel.mix_panel.keep.setEnabled(True)
            self.shown.emit(message.payload.pixels, f"mix {weights_text(self.mix_weights)} · seed {self.mix_seed}")
        elif message.kind is Kind.STEP and message.payload.preview is not None and job.strip:
            self._preview(job, message.payload)
        if message.kind in END and self.strip is not None and job.strip == self.strip.key:
            self.panel.filmstrip.clear_previews()
            self._show_queued()

    def _preview(self, job, step) -> None:
        """A step of a strip's frames (into their filmstrip cells, and onto the canvas if the slider waits for one)
        or of the mix (onto the canvas)."""
        caption = f"{step.stage.display} · step {step.step}/{step.steps}"
        if job.strip == self.mix_key:
            return self.previewed.emit(step.preview[0], f"mix · {caption}")
        if self.strip is None or job.strip != self.strip.key:
            return
        for index, pixels in zip(job.frames, step.preview):
            self.panel.filmstrip.set_preview(index, pixels)
        wanted = round(self.panel.position * (self.strip.count - 1))
        if wanted in job.frames and wanted not in self.strip.done:
            self.previewed.emit(step.preview[job.frames.index(wanted)], f"frame {wanted + 1} · {caption}")

    def _show_queued(self) -> None:
        if self.strip is not None:
            self.panel.filmstrip.set_queued({i for chunk in self.strip.jobs.values() for i in chunk})

    def _on_frame(self, key: str, index: int) -> None:
        if self.strip is None or key != self.strip.key:
            return
        self.panel.filmstrip.set_frame(index, self.strip.done[index])
        self._show_queued()
        if self.strip.nearest(self.panel.position) == index:
            self.scrub(self.panel.position)
