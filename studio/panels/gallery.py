"""The gallery: every image in the library, with the seed that made it and what to do with it."""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu

from ..images import thumbnail, to_pixmap
from ..state import Result

ROLE = Qt.ItemDataRole.UserRole
ACTIONS = (("vary", "Vary this"), ("restore", "Use these settings"), ("favourite", "Favourite"),
           ("copy_seed", "Copy seed"), ("copy_prompt", "Copy prompt"), ("reveal", "Show in folder"),
           ("use_a", "Use as A (explore)"), ("use_b", "Use as B (explore)"), ("use_c", "Use as C (mixing pad)"),
           ("use_d", "Use as D (mixing pad)"), ("export", "Export…"),
           ("delete", "Delete"))


class Gallery(QListWidget):
    """A grid of results, newest last; selecting one shows it large, the context menu acts on it."""

    result_selected = Signal(object)  # Result
    action = Signal(str, object)  # one of ACTIONS' keys, Result

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("gallery")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(96, 96))
        self.setGridSize(QSize(116, 124))
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setMinimumHeight(140)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.currentItemChanged.connect(lambda item, _: item and self.result_selected.emit(item.data(ROLE)))
        self.itemDoubleClicked.connect(lambda item: self.action.emit("vary", item.data(ROLE)))

    def add(self, result: Result) -> None:
        pixels = result.pixels if result.pixels is not None else thumbnail(result.path)
        item = QListWidgetItem(QIcon(to_pixmap(pixels)), "")
        item.setData(ROLE, result)
        self.addItem(item)
        self._label(item)

    def remove(self, result: Result) -> None:
        for i in range(self.count()):
            if self.item(i).data(ROLE) is result:
                self.takeItem(i)
                return

    def refresh(self, result: Result) -> None:
        for i in range(self.count()):
            if self.item(i).data(ROLE) is result:
                self._label(self.item(i))

    def selected(self) -> Result | None:
        item = self.currentItem()
        return item.data(ROLE) if item is not None else None

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        result = self.selected()
        if result is not None and event.matches(QKeySequence.StandardKey.Delete):
            self.action.emit("delete", result)
        elif result is not None and event.key() == Qt.Key.Key_F and not event.modifiers():
            self.action.emit("favourite", result)
        elif result is not None and event.matches(QKeySequence.StandardKey.Copy):
            self.action.emit("copy_seed", result)
        else:
            super().keyPressEvent(event)

    def _label(self, item: QListWidgetItem) -> None:
        r: Result = item.data(ROLE)
        item.setText(f"{'★ ' if r.favourite else ''}{'' if r.path else '⚠ unsaved '}seed {r.seed}")
        item.setToolTip(f"{r.prompt or r.metadata.get('source', {}).get('name', '')}\nseed {r.seed}\n{r.path}")

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        result: Result = item.data(ROLE)
        menu = QMenu(self)
        for key, text in ACTIONS:
            if key == "favourite" and result.favourite:
                text = "Remove from favourites"
            menu.addAction(text).setData(key)
        chosen = menu.exec(self.viewport().mapToGlobal(pos))
        if chosen is not None:
            self.action.emit(chosen.data(), result)
