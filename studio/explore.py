"""Exploration in the studio: a strip of frames between two sources, rendered coarse to fine on the engine
thread and scrubbed with `interpolationSlider`; frames are cached in memory and on disk per strip key."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog

from engine import UserError
from engine.sources import load_image

from engine.explore import frame_order, nearest_done

from .worker import Frames

BATCH = 2  # frames per engine job: small, so the strip fills in while the artist scrubs


def strip_key(a: str, b: str, seed: int, settings, frames: int, noise: str, model: str) -> str:
    """What makes a strip's frames what they are (sources, seed, settings, frame count, noise, model)."""
    blob = json.dumps([a, b, seed, asdict(settings), frames, noise, model], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


class FrameStrip(QObject):
    """The frames of one strip: which are rendered, which are queued, and the one nearest a position."""

    frame_added = Signal(int)  # index

    def __init__(self, key: str, frames: int, cache: Path) -> None:
        super().__init__()
        self.key, self.count, self.folder = key, frames, cache / key
        self.done: dict[int, np.ndarray] = {}
        self.jobs: dict[int, list[int]] = {}  # engine job id → frame indices it renders
        for index in range(frames):  # frames rendered in an earlier session come back from disk
            path = self.folder / f"{index:03d}.png"
            if path.is_file():
                with Image.open(path) as im:
                    self.done[index] = np.asarray(im.convert("RGB"))

    def missing(self) -> list[int]:
        """Frames not rendered and not queued, coarse to fine."""
        queued = {i for chunk in self.jobs.values() for i in chunk}
        return [i for i in frame_order(self.count) if i not in self.done and i not in queued]

    def plan(self) -> list[list[int]]:
        """The batches still to render, coarse to fine."""
        todo = self.missing()
        return [todo[i: i + BATCH] for i in range(0, len(todo), BATCH)]

    def add(self, index: int, pixels: np.ndarray) -> None:
        self.done[index] = pixels
        self.frame_added.emit(index)

    def nearest(self, position: float) -> int | None:
        return nearest_done(position, self.count, self.done)

    def job_for(self, position: float) -> int | None:
        """The queued job holding the frame nearest `position`, if that frame is still missing."""
        want = round(position * (self.count - 1))
        if want in self.done:
            return None
        return next((job for job, chunk in self.jobs.items() if want in chunk), None)


def strip_maker(a, b, n: int, seed: int, settings, mode: str):
    """What the engine thread runs once to build the strip: an interpolation or a text diff."""
    from engine.explore import interpolation, text_diff_strip
    if mode == "text diff":
        return lambda model: text_diff_strip(model, a, b.text, "", n, seed, settings)
    return lambda model: interpolation(model, a, b, n, seed, settings, mode)


def mixed_strip(model, sources: list, weights: list[float], seed: int, settings, label: str):
    """A one-frame strip: the sources' embeddings mixed by barycentric weights (on the engine thread)."""
    import torch

    from engine.explore import Strip, embed_source, mix
    z = mix(torch.stack([embed_source(model, s, seed, settings) for s in sources]), weights)
    return Strip(z[None], torch.zeros(1), seed, settings, label)


class Explorer(QObject):
    """The studio's exploration controller: sources A and B, the current strip, scrubbing and export."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.sources: dict[str, tuple[str, object]] = {}  # "a" | "b" → (spec, engine Source)
        self.strip: FrameStrip | None = None
        window.worker.frame_ready.connect(self._on_frame)
        window.explore.source_from_prompt.connect(self.source_from_prompt)
        window.explore.source_dropped.connect(self.set_source)
        window.explore.render_requested.connect(self.render_strip)
        window.explore.position_changed.connect(self.scrub)
        window.explore.export_requested.connect(self.export_strip)
        window.explore.pad.moved.connect(lambda x, y: self.mix(x, y, final=False))
        window.explore.pad.released.connect(lambda x, y: self.mix(x, y, final=True))
        self.mix_key, self.mix_job = "", None

    def set_source(self, key: str, spec: str) -> None:
        """Source A or B of the strip: an image path or 'text:PROMPT'."""
        from engine.explore import Source
        try:
            source = Source.parse(spec, load_image)
        except UserError as err:
            return self.w._say(f"⚠ {err}")
        self.sources[key] = (spec, source)
        self.w.explore.set_source(key, Path(spec).name if source.image is not None else spec)
        self.w.explore.pad.set_present(set(self.sources))

    def mix(self, x: float, y: float, final: bool) -> None:
        """Render the corners' sources mixed by the pad point's weights, with fixed noise (one job at a time
        while dragging; the release always renders)."""
        from studio.panels.mixpad import corner_weights
        weights = corner_weights(x, y, set(self.sources))
        if len(weights) < 2 or self.w.worker.model is None:
            return self.w._say("⚠ The mixing pad needs at least two sources (right-click results: Use as A/B/C/D).")
        if not final and self.mix_job is not None:
            return None  # still rendering the last position: skip, the release will catch up
        if self.mix_job is not None:
            self.w.worker.remove(self.mix_job)
        keys = sorted(weights)
        specs = [self.sources[k][0] for k in keys]
        sources = [self.sources[k][1] for k in keys]
        w = [round(weights[k], 3) for k in keys]
        seed, settings = self.w.settings.seed.value(), self.w.settings.settings()
        self.mix_key = strip_key(",".join(specs), json.dumps(w), seed, settings, 1, "mix",
                                 self.w.worker.model.fingerprint)
        label = "mix " + ", ".join(f"{k.upper()} {v:.2f}" for k, v in zip(keys, w))
        job = Frames(self.mix_key, lambda model: mixed_strip(model, sources, w, seed, settings, label), [0],
                     self.w.worker.library.folder / ".frames")
        self.mix_job = self.w.worker.submit(job, label, front=True)

    def source_from_prompt(self, key: str) -> None:
        if not self.w.prompt.prompt.strip():
            return self.w._say("⚠ Type a prompt first: it becomes the source.")
        self.set_source(key, "text:" + self.w.prompt.prompt.strip())

    def render_strip(self) -> None:
        """Plan the strip A → B (or A toward text B) and queue its missing frames, coarse to fine; frames
        cached before show at once."""
        if not {"a", "b"} <= set(self.sources) or self.w.worker.model is None:
            return self.w._say("⚠ Set sources A and B first (a prompt, or right-click a result).")
        (spec_a, a), (spec_b, b) = self.sources["a"], self.sources["b"]
        n, mode = self.w.explore.frames.value(), self.w.explore.noise.currentText()
        if mode == "text diff" and (a.image is None or b.image is not None):
            return self.w._say("⚠ A text diff moves image A toward text B: set an image as A and a prompt as B.")
        seed, settings = self.w.settings.seed.value(), self.w.settings.settings()
        key = strip_key(spec_a, spec_b, seed, settings, n, mode, self.w.worker.model.fingerprint)
        if self.strip is None or self.strip.key != key:
            self._drop_strip()
            self.strip = FrameStrip(key, n, self.w.worker.library.folder / ".frames")
        make = strip_maker(a, b, n, seed, settings, mode)
        for chunk in self.strip.plan():
            job = self.w.worker.submit(Frames(key, make, chunk, self.strip.folder.parent), f"frames {chunk} of {n}")
            self.strip.jobs[job] = chunk
        self.w.explore.set_fill(len(self.strip.done), n)
        self.scrub(self.w.explore.position)

    def scrub(self, position: float) -> None:
        """Show the rendered frame nearest the slider at once; pull the wanted frame's job to the front."""
        if self.strip is None:
            return
        index = self.strip.nearest(position)
        if index is not None:
            self.w.canvas.show_pixels(self.strip.done[index], f"frame {index + 1}/{self.strip.count} · seed "
                                    f"{self.w.settings.seed.value()}")
        job = self.strip.job_for(position)
        if job is not None:
            self.w.worker.move_to_front(job)

    def export_strip(self) -> None:
        if self.strip is None or len(self.strip.done) < self.strip.count:
            return self.w._say("⚠ Render the whole strip before exporting it.")
        target, _ = QFileDialog.getSaveFileName(self.w, "Export strip", "strip.gif",
                                                "GIF (*.gif);;WebP (*.webp);;MP4 (*.mp4);;Contact sheet (*.png)")
        if target:
            self.export_frames(target)

    def export_frames(self, target: str) -> None:
        from engine.animation import export
        from engine.metadata import read_png_metadata as read
        folder = self.strip.folder
        metas = [read(folder / f"{i:03d}.png") if (folder / f"{i:03d}.png").is_file() else {}
                 for i in range(self.strip.count)]
        try:
            paths = export([self.strip.done[i] for i in range(self.strip.count)], metas, target)
        except (UserError, OSError) as err:
            return self.w._say(f"⚠ {err}")
        self.w._say(f"Exported {paths[0]}")

    def _drop_strip(self) -> None:
        if self.strip is not None:
            for job in list(self.strip.jobs):
                self.w.worker.remove(job)
        self.strip = None

    def job_done(self, job_id: int) -> None:
        if job_id == self.mix_job:
            self.mix_job = None
        if self.strip is not None:
            self.strip.jobs.pop(job_id, None)

    def _on_frame(self, key: str, index: int, pixels) -> None:
        if key == self.mix_key:
            return self.w.canvas.show_pixels(pixels, f"mix · seed {self.w.settings.seed.value()}")
        if self.strip is None or key != self.strip.key:
            return
        self.strip.add(index, pixels)
        self.w.explore.set_fill(len(self.strip.done), self.strip.count)
        if self.strip.nearest(self.w.explore.position) == index:
            self.scrub(self.w.explore.position)

