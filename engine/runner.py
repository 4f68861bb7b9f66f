"""The one runner: serves a request or a strip to the end, for the CLI, batch, Ray, the studio worker, eval
and the benches. Events are drained once (events.drain); failures come back typed; strips render here only.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .errors import EngineFailure, JobCancelled, UserError
from .events import Cancelled, Event, Failed, FailureKind, Finished, ImageReady, drain
from .explore import Strip, frame_order
from .model import UnCLIP
from .pipeline import CancelToken, NoiseFactory, generate
from .record import frame_fields
from .requests import Request

OnEvent = Callable[[Event], None]


def serve(model: UnCLIP, request: Request, *, cancel: CancelToken | None = None, noise: NoiseFactory | None = None,
          previews: bool = False, on_event: OnEvent | None = None) -> Event:
    """Serve a request, handing each event to `on_event`; returns the last: Finished, Failed or Cancelled."""
    return drain(generate(model, request, cancel, previews, noise), on_event)


def finished(end: Event) -> Finished:
    """The Finished event, or the typed error of a request that did not finish."""
    if isinstance(end, Finished):
        return end
    if isinstance(end, Cancelled):
        raise JobCancelled(f"cancelled during {end.stage or 'start-up'}, step {end.step}")
    if isinstance(end, Failed):
        if end.kind is FailureKind.USER:
            raise UserError(end.message)
        raise EngineFailure(end.message, end.kind, end.details)
    raise EngineFailure(f"the pipeline ended with {type(end).__name__}", FailureKind.INTERNAL)


def run(model: UnCLIP, request: Request, *, cancel: CancelToken | None = None, noise: NoiseFactory | None = None,
        previews: bool = False, on_event: OnEvent | None = None) -> list[ImageReady]:
    """Serve a request to the end: its images, or UserError / EngineFailure / JobCancelled."""
    end = serve(model, request, cancel=cancel, noise=noise, previews=previews, on_event=on_event)
    return list(finished(end).images)


@dataclass(frozen=True)
class Frame:
    """One rendered frame of a strip, with its record (the image's record plus frame_fields)."""

    index: int
    image: np.ndarray  # (H, W, 3) uint8
    record: dict


def render_strip(model: UnCLIP, strip: Strip, indices: list[int] | None = None, *, batch: int | None = None,
                 key: str | None = None, cancel: CancelToken | None = None, on_event: OnEvent | None = None,
                 on_frame: Callable[[Frame], None] | None = None) -> list[Frame]:
    """Render frames of a strip (all of them, coarse to fine, by default) `batch` at a time; sorted by index."""
    indices = frame_order(len(strip)) if indices is None else list(indices)
    batch = batch or max(len(indices), 1)
    frames = []
    for start in range(0, len(indices), batch):
        chunk = indices[start: start + batch]
        request, noise = strip.request(chunk, model.device)
        for index, image in zip(chunk, run(model, request, cancel=cancel, noise=noise, on_event=on_event)):
            record = dict(image.metadata, **frame_fields(index, strip.positions[index], len(strip), key))
            frames.append(Frame(index, image.image, record))
            if on_frame is not None:
                on_frame(frames[-1])
    return sorted(frames, key=lambda f: f.index)
