"""The main window's layout, results at the centre: the controls in a narrow column on the left, the canvas with the
exploration bar and the progress under it in the middle, the gallery and the mixing pad in a column on the right.
At the default size the canvas has more than half the window."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QProgressBar, QScrollArea, QSizePolicy,
                               QSplitter, QVBoxLayout, QWidget)

from engine.families import cached_models, embedded_bundles, embedded_title

from .panels.canvas import Canvas
from .panels.explore import ExplorePanel
from .panels.gallery import Gallery, GalleryPanel
from .panels.prompt import PromptPanel
from .panels.queue import QueueView
from .panels.settings import SettingsPanel
from .panels.sources import SourceDropZone
from .status import StudioStatusBar

DEFAULT_SIZE = (1440, 900)  # fits a 1080p screen; the canvas gets more than half of it
LEFT_WIDTH = 312  # px: the controls' column
RIGHT_WIDTH = 252  # px: the gallery's column at first (two thumbnails wide; the divider moves it)
OPEN_FOLDER = "Open model folder…"


def build(w) -> None:
    """Make the window's panels as attributes of `w` and lay them out."""
    w.model_combo = QComboBox(objectName="modelCombo")
    shipped = embedded_bundles()
    w.model_combo.addItems(["default", *shipped, *cached_models(), OPEN_FOLDER])
    for i, name in enumerate(["default", *shipped]):  # a shipped bundle says what it is, e.g. one in training
        w.model_combo.setItemData(i, embedded_title(name), Qt.ItemDataRole.ToolTipRole)
    w.model_combo.setToolTip("The model that makes the pictures: the built-in default or another built-in one, one "
                             "downloaded to this machine's Hugging Face cache (Karlo v1 alpha, Kandinsky 2.2), or "
                             "a folder you choose")
    w.prompt, w.sources, w.settings, w.queue_view = PromptPanel(), SourceDropZone(), SettingsPanel(), QueueView()
    w.canvas, w.explore, w.gallery = Canvas(), ExplorePanel(), Gallery()
    w.gallery_panel = GalleryPanel(w.gallery)
    w.progress_bar = QProgressBar(objectName="progressBar")
    w.progress_bar.setFormat("%v / %m  %p%")
    w.progress_bar.setFixedWidth(220)
    w.progress_bar.setToolTip("Steps done of the stage being worked on")
    w.status = QLabel(objectName="statusLabel")
    w.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # long news never widens it
    w.status_bar = StudioStatusBar()
    w.setStatusBar(w.status_bar)
    w.splitter = QSplitter(Qt.Orientation.Horizontal, objectName="centerSplitter")
    w.splitter.addWidget(_centre(w))
    w.splitter.addWidget(_right(w))
    w.splitter.setStretchFactor(0, 1)
    w.splitter.setCollapsible(0, False)
    w.splitter.setSizes([DEFAULT_SIZE[0] - LEFT_WIDTH - RIGHT_WIDTH, RIGHT_WIDTH])
    root = QWidget()
    layout = QHBoxLayout(root)
    layout.setContentsMargins(4, 4, 4, 4)
    layout.addWidget(_left(w))
    layout.addWidget(w.splitter, 1)
    w.setCentralWidget(root)
    w.resize(*DEFAULT_SIZE)


def _left(w) -> QScrollArea:
    column = QWidget()
    left = QVBoxLayout(column)
    left.setContentsMargins(0, 0, 4, 0)
    for widget in (QLabel("Model"), w.model_combo, w.prompt, w.sources, w.settings, QLabel("Queue"), w.queue_view):
        left.addWidget(widget)
    left.addStretch(1)
    scroll = QScrollArea(objectName="controlsScroll")
    scroll.setWidget(column)
    scroll.setWidgetResizable(True)
    scroll.setFrameShape(QFrame.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    scroll.setFixedWidth(LEFT_WIDTH)
    return scroll


def _centre(w) -> QWidget:
    centre = QWidget()
    layout = QVBoxLayout(centre)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(w.canvas, 1)
    layout.addWidget(w.explore)
    row = QHBoxLayout()
    row.addWidget(w.progress_bar)
    row.addWidget(w.status, 1)
    layout.addLayout(row)
    return centre


def _right(w) -> QWidget:
    right = QWidget()
    layout = QVBoxLayout(right)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(w.gallery_panel, 1)
    layout.addWidget(w.explore.mix_panel)
    return right
