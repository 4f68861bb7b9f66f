"""The exploration bar under the canvas: sources A and B (thumbnails, names elided), frame count and noise mode,
Render, the scrubbing slider labelled by the frame shown, and the filmstrip of the strip's frames. The mixing pad's
panel is made here too (the window places it)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QGridLayout, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QSpinBox, QWidget)

from .filmstrip import FilmStrip
from .mixpad import MixPad, MixPanel

SLIDER_STEPS = 1000  # the slider is continuous; frames are looked up by position
THUMB = 28  # px: a source's thumbnail


class SourceSlot(QLabel):
    """Source A or B: shows its name, elided to the room it has (the window never widens for it); accepts an image
    file dropped on it."""

    dropped = Signal(str)

    def __init__(self, key: str) -> None:
        super().__init__("drop an image", objectName=f"source{key.upper()}Label")
        self.full = ""
        self.setAcceptDrops(True)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.setToolTip(f"Source {key.upper()}: drop an image here, use the prompt (→ {key.upper()}), or "
                        f"right-click a result: Use as {key.upper()}")
        self.setStyleSheet("QLabel { border: 1px dashed #5f6368; border-radius: 4px; padding: 2px 6px; }")

    def set_name(self, name: str) -> None:
        self.full = name
        self.setToolTip(name)
        self._elide()

    def _elide(self) -> None:
        if self.full:
            room = max(self.contentsRect().width() - 12, 20)
            self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideMiddle, room))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt API
        super().resizeEvent(event)
        self._elide()

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt API
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt API
        for url in event.mimeData().urls():
            if url.isLocalFile():
                self.dropped.emit(url.toLocalFile())
                return


class ExplorePanel(QWidget):
    """A → B with a slider: drag to scrub through the rendered frames."""

    render_requested = Signal()
    export_requested = Signal()
    source_from_prompt = Signal(str)  # "a" | "b"
    source_dropped = Signal(str, str)  # "a" | "b", image path
    position_changed = Signal(float)  # 0 … 1
    position_released = Signal()  # the hand let go of the slider

    def __init__(self) -> None:
        super().__init__()
        self.labels = {k: SourceSlot(k) for k in "ab"}
        self.thumbs = {k: QLabel(objectName=f"source{k.upper()}Thumb") for k in "ab"}
        for k, slot in self.labels.items():
            slot.dropped.connect(lambda path, key=k: self.source_dropped.emit(key, path))
            self.thumbs[k].setFixedSize(THUMB, THUMB)
            self.thumbs[k].setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.thumbs[k].setToolTip(f"Source {k.upper()}")
            self.thumbs[k].setStyleSheet("QLabel { border: 1px solid #3c4043; color: #9aa0a6; }")
        buttons = {k: QPushButton(f"Prompt → {k.upper()}", objectName=f"promptTo{k.upper()}Button") for k in "ab"}
        for k, button in buttons.items():
            button.setToolTip(f"Use the prompt as source {k.upper()} (or right-click a result: “Use as {k.upper()}”)")
            button.clicked.connect(lambda _=False, key=k: self.source_from_prompt.emit(key))
        self.frames = QSpinBox(objectName="framesSpin")
        self.frames.setRange(2, 129)
        self.frames.setValue(9)
        self.frames.setPrefix("frames ")
        self.frames.setToolTip("How many pictures the strip has from A to B, ends included")
        self.noise = QComboBox(objectName="noiseCombo")
        self.noise.addItems(["fixed", "inverted", "text diff"])
        self.noise.setToolTip("fixed: the same brush noise for every frame (smooth) · inverted: the noise that "
                              "redraws each image, blended (for two images) · text diff: push image A toward the "
                              "words of B")
        self.render_button = QPushButton("Render strip", objectName="renderStripButton")
        self.render_button.setToolTip("Render the frames from A to B, a few at a time, coarse to fine: scrub while "
                                      "they come")
        self.render_button.clicked.connect(self.render_requested)
        self.export_button = QPushButton("Export…", objectName="exportStripButton")
        self.export_button.setToolTip("Save the whole strip as a GIF, WebP, MP4 or a contact sheet")
        self.export_button.clicked.connect(self.export_requested)
        self.slider = QSlider(Qt.Orientation.Horizontal, objectName="interpolationSlider")
        self.slider.setRange(0, SLIDER_STEPS)
        self.slider.setToolTip("Scrub from A to B: the nearest rendered frame shows at once")
        self.slider.valueChanged.connect(lambda v: self.position_changed.emit(v / SLIDER_STEPS))
        self.slider.sliderReleased.connect(self.position_released)
        self.fill = QLabel("no strip", objectName="stripFillLabel")
        self.fill.setToolTip("The frame on the canvas, of the strip's frames")
        self.filmstrip = FilmStrip()
        self.filmstrip.frame_clicked.connect(self.show_frame)
        self.pad = MixPad()
        self.mix_panel = MixPanel(self.pad)
        sources = QHBoxLayout()
        for k in "ab":
            sources.addSpacing(0 if k == "a" else 6)
            sources.addWidget(QLabel(k.upper()))
            sources.addWidget(self.thumbs[k])
            sources.addWidget(self.labels[k], 1)
            sources.addWidget(buttons[k])
        for widget in (self.frames, self.noise, self.render_button, self.export_button):
            sources.addWidget(widget)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setVerticalSpacing(2)
        grid.addLayout(sources, 0, 0, 1, 2)
        grid.addWidget(self.slider, 1, 0)
        grid.addWidget(self.fill, 1, 1)
        grid.addWidget(self.filmstrip, 2, 0)
        grid.setColumnStretch(0, 1)

    @property
    def position(self) -> float:
        return self.slider.value() / SLIDER_STEPS

    def set_source(self, key: str, label: str, thumbnail: QPixmap | None) -> None:
        """Show a source: its name, and its image's thumbnail (a text source shows “T”)."""
        if key not in self.labels:  # C and D live only on the mixing pad
            return
        self.labels[key].set_name(label)
        if thumbnail is None:
            self.thumbs[key].setText("T")
        else:
            self.thumbs[key].setPixmap(thumbnail.scaled(THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio,
                                                        Qt.TransformationMode.SmoothTransformation))

    def set_shown(self, index: int | None, total: int) -> None:
        """The slider's label and the filmstrip's mark: which frame the canvas shows."""
        self.fill.setText(f"frame {index + 1} of {total}" if index is not None else f"0 of {total} rendered")
        self.filmstrip.set_shown(index)

    def show_frame(self, index: int) -> None:
        """Move the slider to frame `index` of the strip."""
        count = self.filmstrip.count
        if count > 1:
            self.slider.setValue(round(index * SLIDER_STEPS / (count - 1)))
