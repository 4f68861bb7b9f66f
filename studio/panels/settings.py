"""Sampling controls: seed (with lock and dice), guidance per stage and on the layout steps, decoder candidates,
steps, sampler, count, size."""
from __future__ import annotations

import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QPushButton, QSlider, QSpinBox, QWidget)

from engine.limits import MAX_SEED
from engine.record import migrate, settings_of
from engine.requests import FREE_LAYOUT, MAX_STEPS, Settings

SEED_SPIN_MAX = min(MAX_SEED, 2**31 - 1)  # QSpinBox holds a C int
# "Free layout" applies FREE_LAYOUT: the embedded default's freer variations (its model card: 90.7% keep shape and
# colour, 68% of pairs moved or resized, against the paper's variations' 6%, at about twice the decoder's time)


class GuidanceSlider(QWidget):
    """A slider in steps of 1/`scale` with its value shown beside it."""

    def __init__(self, name: str, value: float, maximum: float = 20.0, scale: int = 10) -> None:
        super().__init__()
        self.scale, digits = scale, len(str(scale)) - 1
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName=name)
        self.slider.setRange(0, int(maximum * scale))
        self.label = QLabel()
        self.slider.valueChanged.connect(lambda v: self.label.setText(f"{v / scale:.{digits}f}"))
        self.slider.setValue(int(round(value * scale)))
        self.label.setText(f"{value:.{digits}f}")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.slider)
        layout.addWidget(self.label)

    @property
    def value(self) -> float:
        return self.slider.value() / self.scale

    def set_value(self, value: float) -> None:
        self.slider.setValue(int(round(value * self.scale)))


class SettingsPanel(QWidget):
    """Builds `Settings` and seeds from what the artist set."""

    def __init__(self) -> None:
        super().__init__()
        self.seed = QSpinBox(objectName="seedSpin")
        self.seed.setRange(0, SEED_SPIN_MAX)
        self.seed.setValue(random.randint(0, SEED_SPIN_MAX))
        self.seed.setMinimumWidth(110)
        self.seed_lock = QCheckBox("Lock", objectName="seedLockCheck")
        self.seed_lock.setToolTip("Keep this seed for the next generation; unlocked, a new seed is drawn each time")
        dice = QPushButton("⚄", objectName="seedDiceButton")
        dice.setToolTip("New random seed (Ctrl+R)")
        dice.clicked.connect(self.new_seed)
        minus, plus = QPushButton("−1", objectName="seedMinusButton"), QPushButton("+1", objectName="seedPlusButton")
        minus.clicked.connect(lambda: self.seed.setValue(max(self.seed.value() - 1, 0)))
        plus.clicked.connect(lambda: self.seed.setValue(min(self.seed.value() + 1, SEED_SPIN_MAX)))
        seed_row = QHBoxLayout()
        seed_row.setSpacing(4)
        seed_row.addWidget(self.seed, 1)
        for button in (minus, plus, dice):
            button.setFixedWidth(34)
            seed_row.addWidget(button)
        seed_row.addWidget(self.seed_lock)
        self.prior_guidance = GuidanceSlider("priorGuidanceSlider", 4.0)
        self.decoder_guidance = GuidanceSlider("decoderGuidanceSlider", 8.0)
        self.layout_guidance = GuidanceSlider("layoutGuidanceSlider", 8.0, scale=100)  # 0.25 is the freer variations'
        self.layout_guidance.setToolTip("Decoder guidance on its first steps (t ≥ 0.9 T), where position, size and "
                                        "count are decided. Lower it (0.25, with 6 candidates) for variations that "
                                        "move things around while keeping shape and colour; it follows the decoder "
                                        "guidance until set")
        self._layout_follows = True
        self.layout_guidance.slider.valueChanged.connect(
            lambda v: setattr(self, "_layout_follows", self.layout_guidance.value == self.decoder_guidance.value))
        self.decoder_guidance.slider.valueChanged.connect(self._follow)
        self.free_layout = QPushButton("Free layout", objectName="freeLayoutButton", checkable=True)
        self.free_layout.setToolTip(f"Variations that move and resize things: layout guidance "
                                    f"{FREE_LAYOUT.layout_guidance:g} and up to {FREE_LAYOUT.decoder_candidates} "
                                    f"candidates at the model's accept cosine; off: the paper's variations "
                                    f"(layout guidance = decoder guidance, one candidate)")
        self.free_layout.setStyleSheet("QPushButton:checked { background: palette(highlight); "
                                       "color: palette(highlighted-text); border: 1px solid palette(highlight); "
                                       "border-radius: 3px; padding: 3px 8px; }")
        self.free_layout.toggled.connect(self._set_free_layout)
        self._model_accept = 1.0
        self.amount = GuidanceSlider("variationAmountSlider", 0.0, maximum=1.0, scale=100)
        self.amount.setToolTip("Variations: 0 keeps the image's embedding and draws new noise (the paper's "
                               "variations); 1 moves the embedding half-way to a random direction, so the meaning "
                               "drifts too")
        self.candidates = QSpinBox(objectName="decoderCandidatesSpin")
        self.candidates.setRange(1, 8)
        self.candidates.setToolTip("Decoder candidates per image, at most: draw until one's CLIP embedding is "
                                   "close enough to the image embedding (Accept at), else keep the closest "
                                   "(each draw costs one decoder run). With a low layout guidance, candidates "
                                   "keep shape and colour far more often")
        self.accept = QDoubleSpinBox(objectName="candidateAcceptSpin")
        self.accept.setRange(-1.0, 1.0)
        self.accept.setDecimals(3)
        self.accept.setSingleStep(0.001)
        self.accept.setValue(1.0)
        self.accept.setToolTip("Accept at: the CLIP cosine to the image embedding at which a candidate is kept "
                               "without drawing more; 1 draws them all and keeps the closest (the model sets it)")
        self.candidates.valueChanged.connect(lambda k: self.accept.setEnabled(k > 1))
        for control in (self.layout_guidance.slider, self.candidates):
            control.valueChanged.connect(self._show_free_layout)
        self.accept.setEnabled(False)
        candidates_row = QHBoxLayout()
        candidates_row.addWidget(self.candidates)
        candidates_row.addWidget(QLabel("accept at"))
        candidates_row.addWidget(self.accept)
        self.sampler = QComboBox(objectName="samplerCombo")
        self.sampler.addItems(["ddpm", "ddim"])
        self.count = QSpinBox(objectName="countSpin")
        self.count.setRange(1, 16)
        self.size = QComboBox(objectName="sizeCombo")
        self.size.currentIndexChanged.connect(
            lambda i: self.size.setToolTip(self.size.itemData(i, Qt.ItemDataRole.ToolTipRole) or ""))
        self.steps = {stage: QSpinBox(objectName=f"{stage}StepsSpin") for stage in ("prior", "decoder", "upsampler")}
        steps_row = QHBoxLayout()
        for stage, spin in self.steps.items():
            spin.setRange(1, MAX_STEPS)
            spin.setToolTip(f"{stage} steps")
            steps_row.addWidget(spin)
        self.steps["upsampler"].setMinimum(0)  # 0 shows "auto": each upsampler its own default steps
        self.steps["upsampler"].setSpecialValueText("auto")
        form = QFormLayout(self)
        form.addRow("Seed", seed_row)
        form.addRow("Prior guidance", self.prior_guidance)
        form.addRow("Decoder guidance", self.decoder_guidance)
        layout_row = QHBoxLayout()
        layout_row.addWidget(self.layout_guidance, 1)
        layout_row.addWidget(self.free_layout)
        form.addRow("Layout guidance", layout_row)
        form.addRow("Variation amount", self.amount)
        form.addRow("Candidates", candidates_row)
        form.addRow("Steps P/D/U", steps_row)
        form.addRow("Sampler", self.sampler)
        form.addRow("Images", self.count)
        form.addRow("Size", self.size)

    def set_model(self, config) -> None:
        """Offer the loaded bundle's output sizes (largest selected) and its default step counts."""
        sizes = config.sizes
        for stage, value in (("prior", config.prior.steps if config.prior else 1),
                             ("decoder", config.decoder.steps), ("upsampler", 0)):
            self.steps[stage].setValue(value)
        own = ", ".join(f"{u.size} px {u.steps}" for u in config.upsamplers)
        self.steps["upsampler"].setToolTip(f"upsampler steps, for every upsampler (auto: each its own: {own})")
        self.prior_guidance.set_value(config.prior.guidance if config.prior else 1.0)
        self.decoder_guidance.set_value(config.decoder.guidance)
        self._model_accept = config.decoder.accept_cosine
        self.accept.setValue(config.decoder.accept_cosine)
        self.size.clear()
        for s in sizes:
            self.size.addItem(f"{s} px", s)
        self.size.setCurrentIndex(sizes.index(config.default_size) if config.default_size in sizes else len(sizes) - 1)

    def note_time(self, size: int, seconds: float) -> None:
        """Show, on the Size list, how long one image of `size` px last took here (1024 px: the final render)."""
        index = self.size.findText(f"{size} px")
        if index >= 0:
            self.size.setItemData(index, f"{size} px: {seconds:.1f} s an image, last time on this machine",
                                  Qt.ItemDataRole.ToolTipRole)
            if index == self.size.currentIndex():
                self.size.setToolTip(self.size.itemData(index, Qt.ItemDataRole.ToolTipRole))

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
        self.seed.setValue(random.randint(0, SEED_SPIN_MAX))

    def take_seeds(self) -> tuple[int, ...]:
        """Seeds for the next job; an unlocked seed moves on afterwards, so the shown one is never reused."""
        first = self.seed.value()
        seeds = tuple((first + i) % (SEED_SPIN_MAX + 1) for i in range(self.count.value()))
        if not self.seed_lock.isChecked():
            self.new_seed()
        return seeds

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
            self.steps["upsampler"].setValue(s.upsampler_steps or 0)  # None: each upsampler its own ("auto")
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
        size = meta.get("size", [None])[0] if isinstance(meta.get("size"), list) and meta["size"] else None
        if size and self.size.findText(f"{size} px") >= 0:
            self.size.setCurrentText(f"{size} px")
        if isinstance(meta.get("seed"), int) and 0 <= meta["seed"] <= SEED_SPIN_MAX:
            self.seed.setValue(meta["seed"])
            self.seed_lock.setChecked(True)
        self.count.setValue(1)

    def values(self) -> dict:
        """What to remember between sessions."""
        return {"seed": self.seed.value(), "lock": self.seed_lock.isChecked(), "sampler": self.sampler.currentText(),
                "count": self.count.value()}

    def restore(self, values: dict) -> None:
        try:
            self.seed.setValue(int(values.get("seed", self.seed.value())))
            self.seed_lock.setChecked(str(values.get("lock", "false")).lower() == "true")
            self.sampler.setCurrentText(str(values.get("sampler", "ddpm")))
            self.count.setValue(int(values.get("count", 1)))
        except (TypeError, ValueError):
            pass  # a damaged settings file: keep the defaults

    def settings(self) -> Settings:
        size = self.size.currentData() if self.size.count() else None
        return Settings(prior_guidance=self.prior_guidance.value, decoder_guidance=self.decoder_guidance.value,
                        layout_guidance=self.layout_guidance.value, decoder_candidates=self.candidates.value(),
                        accept_cosine=self.accept.value(),
                        sampler=self.sampler.currentText(), size=size, prior_steps=self.steps["prior"].value(),
                        decoder_steps=self.steps["decoder"].value(), upsampler_steps=self.steps["upsampler"].value() or None)
