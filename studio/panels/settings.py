"""Sampling controls: seed (with lock, the next seed and dice), guidance per stage and on the layout steps, decoder
candidates, steps per stage, sampler, count, size; each with a tooltip in an artist's words."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QSlider, QSpinBox, QWidget)

from engine.limits import SAMPLER_NAMES
from engine.record import migrate, settings_of
from engine.requests import FREE_LAYOUT, MAX_STEPS, Settings

from .seed import SEED_SPIN_MAX, SeedRow

SIZE_TIP = "The picture's size: larger sizes add an upscaling stage and take longer"
# What a size of a bundle does, where its name says less than the truth: the embedded default's 1024 px stage (the
# everyday bundle keeps its upsamplers) measured by bench/edges.py against a plain 4x resize of its 256 px image
GRAIN = ("an upsampler pass that adds grain, not detail: against a plain 4x resize of the 256 px image it has "
         "speckle 95.8 (resize 2.2) and RMS error 28.5 (resize 5.9), bench/edges.py")
SIZE_NOTES = {(name, 1024): ("1024 px · upsampler pass: adds grain, not detail", GRAIN)
              for name in ("unclip-shapes-v1", "unclip-everyday-v1")}
PADDINGS = (("model's own", None), ("mirrored", "reflect"), ("as they are", "zero"))  # Settings.upsampler_padding
STEP_LABELS = {"prior": "Prior steps", "decoder": "Decoder steps", "upsampler": "Upscale steps"}
STEP_TIPS = {"prior": "Prior steps: how many steps turn your words into an image idea (more: steadier, slower)",
             "decoder": "Decoder steps: how many steps paint the small picture from the idea (more: cleaner detail, "
                        "slower)",
             "upsampler": "Upscale steps: how many steps each upscaling stage takes to enlarge the picture "
                          "(auto: each stage its own)"}
# "Free layout" applies FREE_LAYOUT: the embedded default's freer variations (its model card: 90.7% keep shape and
# colour, 68% of pairs moved or resized, against the paper's variations' 6%, at about twice the decoder's time)


class GuidanceSlider(QWidget):
    """A slider in steps of 1/`scale` with its value shown beside it."""

    moved = Signal()  # the hand moved it (drag, wheel, keys), never a value set by the program
    released = Signal()  # the hand let go of its handle

    def __init__(self, name: str, value: float, maximum: float = 20.0, scale: int = 10) -> None:
        super().__init__()
        self.scale, digits = scale, len(str(scale)) - 1
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName=name)
        self.slider.setRange(0, int(maximum * scale))
        self.label = QLabel()
        self.slider.valueChanged.connect(lambda v: self.label.setText(f"{v / scale:.{digits}f}"))
        self.slider.setValue(int(round(value * scale)))
        self.label.setText(f"{value:.{digits}f}")
        self._hand: int | None = None  # where the hand's last action puts the handle
        self.slider.actionTriggered.connect(lambda _: setattr(self, "_hand", self.slider.sliderPosition()))
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderReleased.connect(self.released)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider)
        layout.addWidget(self.label)

    @property
    def value(self) -> float:
        return self.slider.value() / self.scale

    def _moved(self, value: int) -> None:
        if value == self._hand:
            self._hand = None
            self.moved.emit()

    def set_value(self, value: float) -> None:
        self.slider.setValue(int(round(value * self.scale)))


class SettingsPanel(QWidget):
    """Builds `Settings` and seeds from what the artist set. Before a model is loaded, what the model decides (steps,
    guidance, accept cosine) is left to it (None), so that a job asked for at once gets the model's defaults."""

    hand_moved = Signal(str)  # 'prior' | 'decoder' | 'amount': the hand moved that slider
    hand_released = Signal(str)  # … and let go of it

    def __init__(self) -> None:
        super().__init__()
        self.seed_row = SeedRow()
        self.seed, self.seed_lock = self.seed_row.seed, self.seed_row.lock
        self.model_known = False
        self._wanted_size: int | None = None  # the size chosen last time, selected once a model offers it
        self.prior_guidance = GuidanceSlider("priorGuidanceSlider", 4.0)
        self.prior_guidance.slider.setToolTip("How closely the image idea follows your words: higher sticks to the "
                                              "prompt, lower wanders more")
        self.decoder_guidance = GuidanceSlider("decoderGuidanceSlider", 8.0)
        self.decoder_guidance.slider.setToolTip("How strongly the picture is painted toward the idea: higher is "
                                                "bolder and cleaner, lower softer and more varied")
        self.layout_guidance = GuidanceSlider("layoutGuidanceSlider", 8.0, scale=100)  # 0.25 is the freer variations'
        self.layout_guidance.slider.setToolTip(
            "How strongly the first strokes, where position, size and count are decided, follow the idea. Lower it "
            "(0.25, with 6 candidates) for variations that move things around while keeping shape and colour; it "
            "follows the decoder guidance until you set it")
        self._layout_follows = True
        self.layout_guidance.slider.valueChanged.connect(
            lambda v: setattr(self, "_layout_follows", self.layout_guidance.value == self.decoder_guidance.value))
        self.decoder_guidance.slider.valueChanged.connect(self._follow)
        self.free_layout = QPushButton("Free layout", objectName="freeLayoutButton", checkable=True)
        self.free_layout.setToolTip(f"Variations that move and resize things: layout guidance "
                                    f"{FREE_LAYOUT.layout_guidance:g} and up to {FREE_LAYOUT.decoder_candidates} "
                                    f"tries each, keeping one that stays true to the source; off: the paper's "
                                    f"variations (same layout, new details)")
        self.free_layout.setStyleSheet("QPushButton:checked { background: palette(highlight); "
                                       "color: palette(highlighted-text); border: 1px solid palette(highlight); "
                                       "border-radius: 3px; padding: 3px 8px; }")
        self.free_layout.toggled.connect(self._set_free_layout)
        self._model_accept = 1.0
        self._plan: tuple[int, ...] | None = None  # a restored image's steps per upsampler, used while U is "auto"
        self.amount = GuidanceSlider("variationAmountSlider", 0.0, maximum=1.0, scale=100)
        self.amount.slider.setToolTip("Variations: 0 keeps what the image shows and changes only the details; toward "
                                      "1 the meaning drifts too")
        live = (("prior", self.prior_guidance), ("decoder", self.decoder_guidance), ("amount", self.amount))
        for name, control in live:
            control.moved.connect(lambda n=name: self.hand_moved.emit(n))
            control.released.connect(lambda n=name: self.hand_released.emit(n))
        self.candidates = QSpinBox(objectName="decoderCandidatesSpin")
        self.candidates.setRange(1, 8)
        self.candidates.setToolTip("Tries per image, at most: each try paints the picture again and the first close "
                                   "enough to the idea (Accept at) is kept, else the closest. More tries cost time")
        self.accept = QDoubleSpinBox(objectName="candidateAcceptSpin")
        self.accept.setRange(-1.0, 1.0)
        self.accept.setDecimals(3)
        self.accept.setSingleStep(0.001)
        self.accept.setValue(1.0)
        self.accept.setToolTip("Accept at: how close to the idea a try must come to be kept at once (CLIP cosine); "
                               "1 makes every try and keeps the closest (the model sets it)")
        self.candidates.valueChanged.connect(lambda k: self.accept.setEnabled(k > 1))
        for control in (self.layout_guidance.slider, self.candidates):
            control.valueChanged.connect(self._show_free_layout)
        self.accept.setEnabled(False)
        candidates_row = QHBoxLayout()
        candidates_row.addWidget(self.candidates)
        candidates_row.addWidget(QLabel("accept at"))
        candidates_row.addWidget(self.accept)
        self.sampler = QComboBox(objectName="samplerCombo")
        self.sampler.addItems(list(SAMPLER_NAMES))
        self.sampler.setToolTip("How each step removes noise: ddpm adds a little fresh noise each step (the model's "
                                "own way); ddim is deterministic and smoother at few steps; dpm++2m and unipc are "
                                "deterministic too and need fewer steps for a clean picture")
        self.count = QSpinBox(objectName="countSpin")
        self.count.setRange(1, 16)
        self.count.setToolTip("How many images one Generate makes, each with the next seed; several show side by "
                              "side on the canvas")
        self.size = QComboBox(objectName="sizeCombo")
        self.size.setToolTip(SIZE_TIP)
        self.size.currentIndexChanged.connect(self._size_tip)
        self._size_notes: dict[int, str] = {}  # size → what it does on this model, where its name says less
        self.edges = QComboBox(objectName="edgesCombo")
        for text, value in PADDINGS:
            self.edges.addItem(text, value)
        self.edges.setToolTip("How the upscaling stages treat the picture's border: mirrored keeps the outermost "
                              "pixels as clean as the rest; as they are leaves a faint noisy frame, as images made "
                              "before mirroring were (set from an image's settings to make it again)")
        self.steps = {stage: QSpinBox(objectName=f"{stage}StepsSpin") for stage in ("prior", "decoder", "upsampler")}
        for stage, spin in self.steps.items():
            spin.setRange(1, MAX_STEPS)
            spin.setToolTip(STEP_TIPS[stage])
        self.steps["upsampler"].setMinimum(0)  # 0 shows "auto": each upsampler its own default steps
        self.steps["upsampler"].setSpecialValueText("auto")
        self.form = form = QFormLayout(self)
        form.setContentsMargins(0, 4, 0, 4)
        form.addRow("Seed", self.seed_row)
        form.addRow("Prior guidance", self.prior_guidance)
        form.addRow("Decoder guidance", self.decoder_guidance)
        layout_row = QHBoxLayout()
        layout_row.addWidget(self.layout_guidance, 1)
        layout_row.addWidget(self.free_layout)
        form.addRow("Layout guidance", layout_row)
        form.addRow("Variation amount", self.amount)
        form.addRow("Candidates", candidates_row)
        for stage, label in STEP_LABELS.items():
            form.addRow(label, self.steps[stage])
        form.addRow("Sampler", self.sampler)
        form.addRow("Images", self.count)
        form.addRow("Size", self.size)
        form.addRow("Edges", self.edges)

    def set_model(self, config) -> None:
        """Offer the loaded bundle's output sizes (largest selected) and its default step counts."""
        sizes = config.sizes
        for stage, value in (("prior", config.prior.steps if config.prior else 1),
                             ("decoder", config.decoder.steps), ("upsampler", 0)):
            self.steps[stage].setValue(value)
        own = ", ".join(f"{u.size} px {u.steps}" for u in config.upsamplers)
        self.steps["upsampler"].setToolTip(f"{STEP_TIPS['upsampler']}: {own or 'this model has none'}")
        for control in (self.steps["upsampler"], self.edges):  # a latent decoder (Kandinsky 2.2) has no upsampler
            self.form.setRowVisible(control, bool(config.upsamplers))
        self.sampler.setCurrentText(config.sampler)
        self.prior_guidance.set_value(config.prior.guidance if config.prior else 1.0)
        self.decoder_guidance.set_value(config.decoder.guidance)
        self._model_accept = config.decoder.accept_cosine
        self.accept.setValue(config.decoder.accept_cosine)
        self._plan = None  # "auto": each upsampler the model's own steps
        wanted = self._wanted_size
        self.size.blockSignals(True)
        self.size.clear()
        self._size_notes = {}
        for s in sizes:
            label, note = SIZE_NOTES.get((config.name, s), (f"{s} px", None))
            self.size.addItem(label, s)
            if note:
                self._size_notes[s] = f"{s} px on this model is {note}"
        self.size.blockSignals(False)
        default = sizes.index(config.default_size) if config.default_size in sizes else len(sizes) - 1
        self.size.setCurrentIndex(sizes.index(wanted) if wanted in sizes else default)  # last session's, if offered
        self._wanted_size = wanted if wanted in sizes else self.size.currentData()
        self._size_tip(self.size.currentIndex())
        self.model_known = True

    def note_time(self, size: int, seconds: float) -> None:
        """Show, on the Size list, how long one image of `size` px last took here (1024 px: the final render)."""
        index = self.size.findData(size)
        if index >= 0:
            self.size.setItemData(index, f"{size} px: {seconds:.1f} s an image, last time on this machine",
                                  Qt.ItemDataRole.ToolTipRole)
            self._size_tip(self.size.currentIndex())

    def _size_tip(self, index: int) -> None:
        """The Size list's tooltip: what it does, and how long the chosen size took here last time."""
        if index >= 0 and self.model_known:
            self._wanted_size = self.size.itemData(index)
        timing = self.size.itemData(index, Qt.ItemDataRole.ToolTipRole) if index >= 0 else None
        note = self._size_notes.get(self.size.itemData(index)) if index >= 0 else None
        self.size.setToolTip(SIZE_TIP + "".join(f"\n{line}" for line in (note, timing) if line))

    def _follow(self, value: int) -> None:
        """Keep the layout guidance equal to the decoder guidance until the artist sets it apart."""
        if self._layout_follows:
            self.layout_guidance.set_value(self.decoder_guidance.value)
        self._layout_follows = self.layout_guidance.value == self.decoder_guidance.value

    def _set_free_layout(self, on: bool) -> None:
        """Apply the free-layout preset, or go back to the paper's variations."""
        if on:
            self.layout_guidance.set_value(FREE_LAYOUT.layout_guidance)
            self.candidates.setValue(FREE_LAYOUT.decoder_candidates)
            self.accept.setValue(self._model_accept)
        else:
            self.layout_guidance.set_value(self.decoder_guidance.value)
            self.candidates.setValue(1)

    def _is_free_layout(self) -> bool:
        return (self.layout_guidance.value == FREE_LAYOUT.layout_guidance
                and self.candidates.value() == FREE_LAYOUT.decoder_candidates)

    def _show_free_layout(self) -> None:
        """The button is down exactly while the preset's values are set, however they were set."""
        self.free_layout.blockSignals(True)
        self.free_layout.setChecked(self._is_free_layout())
        self.free_layout.blockSignals(False)

    def new_seed(self) -> None:
        self.seed_row.new_seed()

    def take_seeds(self) -> tuple[int, ...]:
        """Seeds for the next job: the locked seed, else the next one shown (which then moves on)."""
        return self.seed_row.take(self.count.value())

    def apply(self, meta: dict) -> None:
        """Take the settings of a saved image (its `unclip` record, of any schema: engine.record migrates it) and
        lock its seed; settings the record does not give stay as they are. Damaged settings change nothing:
        UserError."""
        record = migrate(meta)
        s = settings_of(record, "the image's settings")
        given = set(record.get("settings") or ())
        for stage in ("prior", "decoder"):
            if getattr(s, f"{stage}_steps") is not None:
                self.steps[stage].setValue(getattr(s, f"{stage}_steps"))
        if "upsampler_steps" in given:
            self.steps["upsampler"].setValue(s.upsampler_steps or 0)  # None: each upsampler its plan's ("auto")
        if "upsampler_plan" in given:  # "auto" then means the steps each upsampler ran for that image
            self._plan = s.upsampler_plan
        for slider, value in ((self.prior_guidance, s.prior_guidance), (self.decoder_guidance, s.decoder_guidance)):
            if value is not None:
                slider.set_value(value)
        if "layout_guidance" in given:  # None: the decoder's guidance throughout
            self.layout_guidance.set_value(self.decoder_guidance.value if s.layout_guidance is None
                                           else s.layout_guidance)
        if "decoder_candidates" in given:
            self.candidates.setValue(s.decoder_candidates)
        if s.accept_cosine is not None:
            self.accept.setValue(s.accept_cosine)
        if "sampler" in given:
            self.sampler.setCurrentText(s.sampler)
        if "upsampler_padding" in given:  # records of before mirroring: "zero" (engine.record migrates them)
            self.edges.setCurrentIndex(max(self.edges.findData(s.upsampler_padding), 0))
        size = meta.get("size", [None])[0] if isinstance(meta.get("size"), list) and meta["size"] else None
        if size and self.size.findData(size) >= 0:
            self.size.setCurrentIndex(self.size.findData(size))
        if isinstance(meta.get("seed"), int) and 0 <= meta["seed"] <= SEED_SPIN_MAX:
            self.seed.setValue(meta["seed"])
            self.seed_lock.setChecked(True)
        self.count.setValue(1)

    def values(self) -> dict:
        """What to remember between sessions."""
        values = {"seed": self.seed.value(), "lock": self.seed_lock.isChecked(), "sampler": self.sampler.currentText(),
                  "count": self.count.value()}
        return {**values, "size": self._wanted_size} if self._wanted_size else values

    def restore(self, values: dict) -> None:
        try:
            self.seed.setValue(int(float(values.get("seed", self.seed.value()))))
            self.seed_lock.setChecked(str(values.get("lock", "false")).lower() == "true")
            self.sampler.setCurrentText(str(values.get("sampler", "ddpm")))
            self.count.setValue(int(values.get("count", 1)))
            self._wanted_size = int(values["size"]) if values.get("size") else None
        except (TypeError, ValueError):
            pass  # a damaged settings file: keep the defaults

    def settings(self) -> Settings:
        """The job's settings; before a model is loaded, its defaults wherever the model would have set them."""
        size = self.size.currentData() if self.size.count() else self._wanted_size
        if not self.model_known:
            return Settings(decoder_candidates=self.candidates.value(), sampler=self.sampler.currentText(), size=size,
                            upsampler_padding=self.edges.currentData())
        return Settings(prior_guidance=self.prior_guidance.value, decoder_guidance=self.decoder_guidance.value,
                        layout_guidance=self.layout_guidance.value, decoder_candidates=self.candidates.value(),
                        accept_cosine=self.accept.value(), upsampler_padding=self.edges.currentData(),
                        sampler=self.sampler.currentText(), size=size, prior_steps=self.steps["prior"].value(),
                        decoder_steps=self.steps["decoder"].value(), upsampler_steps=self.steps["upsampler"].value() or None,
                        upsampler_plan=self._plan)
