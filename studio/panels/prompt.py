"""Prompt editor with Generate (Ctrl+Enter), Cancel (Esc) and the recent prompts (Ctrl+Up / Ctrl+Down); the box
marks and completes the model's words (studio.panels.words)."""
from __future__ import annotations

import json

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QMenu, QPushButton, QToolButton, QVBoxLayout, QWidget

from .words import PromptEdit

HISTORY = 50  # prompts kept, the most recent first
MENU = 15  # of which the Recent menu lists


def remember(history: list[str], prompt: str, limit: int = HISTORY) -> list[str]:
    """The history with `prompt` (stripped) first and no repeat of it; blank prompts are not kept."""
    prompt = prompt.strip()
    if not prompt:
        return list(history)
    return [prompt, *[h for h in history if h != prompt]][:limit]


def saved_history(value) -> list[str]:
    """The history as saved in the settings (a JSON list); anything damaged reads as no history."""
    try:
        items = json.loads(value) if isinstance(value, str) and value else []
    except ValueError:
        return []
    return [h for h in items if isinstance(h, str) and h.strip()][:HISTORY] if isinstance(items, list) else []


class PromptPanel(QWidget):
    """Where the artist types; emits generate/cancel requests."""

    generate_requested = Signal()
    cancel_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.edit = PromptEdit()
        self.edit.setPlaceholderText("Describe an image… (Ctrl+Enter to generate)")
        self.edit.setFixedHeight(72)
        self.generate_button = QPushButton("Generate", objectName="generateButton")
        self.generate_button.setDefault(True)
        self.generate_button.setToolTip("Make images from the prompt with these settings (Ctrl+Enter); while one is "
                                        "being made, or the model still loads, it waits in the queue")
        self.cancel_button = QPushButton("Cancel", objectName="cancelButton")
        self.cancel_button.setToolTip("Stop the image being made now (Esc); the queue goes on")
        self.cancel_button.setEnabled(False)
        self.generate_button.clicked.connect(self.generate_requested)
        self.cancel_button.clicked.connect(self.cancel_requested)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.generate_requested.emit,
                      context=Qt.ShortcutContext.WindowShortcut)
        QShortcut(QKeySequence("Esc"), self, activated=self.cancel_requested.emit,
                  context=Qt.ShortcutContext.WindowShortcut)
        self.history: list[str] = []
        self._back, self._draft = -1, ""  # where Ctrl+Up has got to in the history (-1: the text being typed)
        for keys, step in (("Ctrl+Up", 1), ("Ctrl+Down", -1)):
            QShortcut(QKeySequence(keys), self.edit, activated=lambda step=step: self.step_history(step),
                      context=Qt.ShortcutContext.WidgetShortcut)
        self.edit.textChanged.connect(self._typed)
        self.recent = QToolButton(objectName="recentPromptsButton", text="Recent ▾",
                                  popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.recent.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.recent.setToolTip("The prompts generated last (Ctrl+Up / Ctrl+Down in the prompt steps through them)")
        self.recent.setMenu(QMenu(self.recent, aboutToShow=self._fill_menu))
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.recent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addLayout(buttons)

    @property
    def prompt(self) -> str:
        return self.edit.toPlainText()

    def remember(self, prompt: str) -> None:
        """Put a generated prompt at the top of the history."""
        self.history = remember(self.history, prompt)
        self._back = -1

    def step_history(self, step: int) -> None:
        """Show the next older (+1) or newer (−1) prompt; past the newest, the text that was being typed."""
        to = max(-1, min(len(self.history) - 1, self._back + step))
        if to == self._back:
            return
        if self._back == -1:
            self._draft = self.prompt
        self._set(self._draft if to == -1 else self.history[to], to)

    def _set(self, text: str, back: int) -> None:
        self.edit.setPlainText(text)
        self.edit.moveCursor(self.edit.textCursor().MoveOperation.End)
        self._back = back

    def _typed(self) -> None:
        if self._back != -1 and self.prompt != self.history[self._back]:
            self._back = -1  # edited: what is typed now is the draft

    def _fill_menu(self) -> None:
        menu = self.recent.menu()
        menu.clear()
        for i, text in enumerate(self.history[:MENU]):
            label = text if len(text) <= 60 else text[:59] + "…"
            menu.addAction(label, lambda i=i: self._set(self.history[i], -1))
        if not self.history:
            menu.addAction("No prompts yet").setEnabled(False)
