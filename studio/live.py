"""Live previews: while the hand moves a control (the mixing pad's point, the interpolation slider over a frame not
yet rendered, the variation amount and guidance sliders), the bundle's live decoder draws a quick guess at the
request's 64 px image where the full result will appear. When the hand rests for REST_MS, or lets go, the full render
starts as the control starts it. Only the newest position is ever rendered: the worker keeps one slot for it, an
answer older than the one shown is dropped, and nothing live enters the queue. A model without a live decoder leaves
every control as it was."""
from __future__ import annotations

import itertools
from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QObject, QTimer, Signal

from engine import EmbeddingToImage, ImageVariation, Settings, TextToImage

from .strips import embedded
from .jobs import JobModel, JobQueue
from .messages import Kind, LiveAsk
from .panels.canvas import Canvas
from .panels.settings import SettingsPanel
from .state import StudioState

REST_MS = 300  # the hand rests this long: the full render of where it points starts
SLIDERS = {"prior": (TextToImage,), "decoder": (TextToImage, ImageVariation), "amount": (ImageVariation,)}
KEPT = 64  # asks remembered while their answers may still come
NAMES = {"prior": "prior guidance", "decoder": "decoder guidance", "amount": "variation amount"}


class LivePreview(QObject):
    """Asks the worker for the newest live preview of a control in motion, shows the answers on the canvas and
    starts the control's full render when the hand rests or lets go."""

    said = Signal(str)
    shown = Signal(int)  # the id of the ask whose live image the canvas now shows

    def __init__(self, worker, jobs: JobModel, state: StudioState, canvas: Canvas,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.worker, self.state, self.canvas = worker, state, canvas  # worker: ask_live(LiveAsk)
        self._ids = itertools.count(1)
        self.last_id = self.shown_id = 0  # the newest ask, and the newest whose image was shown
        self._asks: dict[int, tuple[str, str, Callable[[], bool]]] = {}  # id → tag, caption, still wanted
        self._rest: Callable[[], None] | None = None  # the full render to start when the hand rests
        self._control = ""  # the control the hand is on (until it lets go)
        self.timer = QTimer(self, singleShot=True, interval=REST_MS, timeout=self._rested)
        jobs.changed.connect(self._on_message)

    @property
    def enabled(self) -> bool:
        """Whether the loaded model has a live decoder."""
        return bool(getattr(self.state.model, "live", False))

    def showing(self) -> str:
        """What the live image on the canvas is of (its tag), '' while the canvas shows none."""
        return self.canvas.live

    def move(self, control: str, tag: str, make: Callable, caption: str, rest: Callable[[], None],
             wanted: Callable[[], bool] = lambda: True) -> bool:
        """The hand moved `control` to where `make` renders (on the engine thread); `rest` starts its full render.
        False, doing nothing, where the model has no live decoder."""
        if not self.enabled:
            return False
        if self._control and self._control != control:
            self._rested()  # the hand left the other control: its full render starts now
        self.last_id = next(self._ids)
        self._asks[self.last_id] = (tag, caption, wanted)
        for old in list(self._asks)[:-KEPT]:  # asks never answered (the model changed meanwhile)
            del self._asks[old]
        self.worker.ask_live(LiveAsk(self.last_id, control, make))
        self._rest, self._control = rest, control
        self.timer.start()
        return True

    def settle(self, control: str) -> bool:
        """The hand let go of `control`: its full render starts now unless the rest started it; False if the hand
        was not moving it live."""
        if self._control != control:
            return False
        self.timer.stop()
        self._rested()
        self._control = ""
        return True

    def _rested(self) -> None:
        rest, self._rest = self._rest, None
        if rest is not None:
            rest()

    def _on_message(self, job, message) -> None:
        if message.kind is not Kind.LIVE:
            return
        image = message.payload
        ask = self._asks.pop(image.id, None)
        for older in [i for i in self._asks if i < image.id]:  # dropped on the engine thread: never coming
            del self._asks[older]
        if ask is None or image.id <= self.shown_id:
            return
        if image.error:
            return self.said.emit(f"⚠ Live preview: {image.error}")
        tag, caption, wanted = ask
        if not wanted():
            return
        self.shown_id = image.id
        size = image.pixels.shape[1]
        self.canvas.show_live(image.pixels, f"live {size} px · {caption}", tag)
        self.said.emit(f"Live preview ({size} px, {1000 * image.seconds:.0f} ms): {caption} — the full render "
                       f"starts when the hand rests")
        self.shown.emit(image.id)


def live_request(model, request, memo: dict):
    """A request for the live decoder: a text's z_i comes from the prior once per seed and prior settings (then
    only the decoder guidance moves), an image's request goes as it is."""
    if not isinstance(request, TextToImage) or model.prior is None:
        return request, None
    import torch

    from engine.explore import Source
    source = Source(text=request.prompt, label="text:" + request.prompt)
    z = torch.stack([embedded(model, memo, source, seed, request.settings) for seed in request.seeds])
    return EmbeddingToImage(z, request.seeds, request.settings, prompt=request.prompt), None


class SettingsLive(QObject):
    """The variation amount and guidance sliders, live: they re-render the last image request asked for (its
    seeds, its prompt or image) with the settings as they are now; resting renders it in full, as Generate would."""

    def __init__(self, live: LivePreview, panel: SettingsPanel, queue: JobQueue, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.live, self.panel, self.queue = live, panel, queue
        self.subject: tuple[object, str] | None = None  # the last request asked for, and its label
        self.job: int | None = None  # the full render the rest asked for (taken out if still waiting)
        panel.hand_moved.connect(self.moved)
        panel.hand_released.connect(lambda name: live.settle("settings"))

    def remember(self, request, label: str) -> None:
        """The last text → image or variations request asked for: what the sliders re-render."""
        if isinstance(request, (TextToImage, ImageVariation)):
            self.subject = (request, label)

    def request(self, name: str):
        """The subject with the settings now, or None where slider `name` does nothing to it."""
        if self.subject is None or not isinstance(self.subject[0], SLIDERS[name]):
            return None
        request, settings = self.subject[0], self.panel.settings()
        if isinstance(request, ImageVariation):
            return replace(request, settings=settings, amount=self.panel.amount.value)
        return replace(request, settings=settings)

    def moved(self, name: str) -> None:
        request = self.request(name) if self.live.enabled else None
        if request is None:
            return
        label = f"{self.subject[1]} · {NAMES[name]} {self.value(name, request.settings, request):g}"
        self.live.move("settings", f"settings:{name}", lambda model, memo: live_request(model, request, memo), label,
                       lambda: self.render(request, label))

    @staticmethod
    def value(name: str, settings: Settings, request) -> float:
        return request.amount if name == "amount" else getattr(settings, f"{name}_guidance")

    def render(self, request, label: str) -> None:
        """The full render of where the slider rests; one still waiting from before is taken out."""
        if self.job is not None:
            self.queue.remove(self.job)
        self.job = self.queue.submit(request, label)
