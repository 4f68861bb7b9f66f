"""The gallery: every image in the library, captioned with a few words of what made it and its seed (the whole
prompt on hover), and what to do with it; it follows the canvas (the image in focus selected, a job's results
scrolled into view)."""
from __future__ import annotations

import time
from collections import deque

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QKeySequence, QPixmap
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMenu, QPushButton,
                               QVBoxLayout, QWidget)

from ..images import thumbnail, to_pixmap
from ..state import Result

ROLE = Qt.ItemDataRole.UserRole
THUMBNAIL_BUDGET = 0.008  # s of the GUI thread per event-loop turn spent decoding saved thumbnails
ACTIONS = (("vary", "Vary this"), ("compare", "Compare on the canvas"), ("restore", "Use these settings"),
           ("favourite", "Favourite"),
           ("copy_seed", "Copy seed"), ("copy_prompt", "Copy prompt"), ("reveal", "Show in folder"),
           ("use_a", "Use as A (explore)"), ("use_b", "Use as B (explore)"), ("use_c", "Use as C (mixing pad)"),
           ("use_d", "Use as D (mixing pad)"), ("export", "Export…"),
           ("delete", "Delete"))


def matches(result: Result, query: str, favourites_only: bool = False) -> bool:
    """Whether a result passes the filter: each word in its prompt, source, kind or model name; each number its seed."""
    if favourites_only and not result.favourite:
        return False
    meta = result.metadata
    text = " ".join((result.prompt, str(meta.get("source", {}).get("name", "")), str(meta.get("kind", "")),
                     str(meta.get("model", {}).get("name", "")))).casefold()
    return all(int(term) == result.seed if term.isdigit() else term in text for term in query.casefold().split())


FILLER = {"a", "an", "the", "on", "of", "with", "and", "in", "at"}


def describe(result: Result) -> str:
    """What made a result, in full: its prompt, or what it varies or mixes."""
    meta = result.metadata
    if result.prompt:
        return result.prompt
    if isinstance(meta.get("mix"), dict):
        return "mix of " + ", ".join(f"{k} {w:.2f}" for k, w in meta["mix"].get("weights", {}).items())
    source = meta.get("source", {})
    name = source.get("name") or source.get("label") or ""
    return f"variation of {name}" if meta.get("kind") == "variation" else name or str(meta.get("kind", "image"))


def caption(result: Result) -> str:
    """A few words for under the thumbnail: the prompt without its filler words ("red circle blue background")."""
    text = describe(result)
    if result.prompt:
        text = " ".join(w for w in text.split() if w.lower() not in FILLER) or text
    return text


class Gallery(QListWidget):
    """A grid of results, newest last; selecting one shows it large, the context menu acts on it."""

    result_selected = Signal(object)  # Result
    action = Signal(str, object)  # one of ACTIONS' keys, Result
    changed = Signal()  # results added, removed, refreshed or filtered

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("gallery")
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setIconSize(QSize(96, 96))
        self.setGridSize(QSize(116, 140))
        self.setWordWrap(True)
        self.setToolTip("Every image you made, newest last. Click: show it · double-click: variations · "
                        "right-click: more")
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setMinimumHeight(140)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)
        self.currentItemChanged.connect(lambda item, _: item and self.result_selected.emit(item.data(ROLE)))
        self.itemDoubleClicked.connect(lambda item: self.action.emit("vary", item.data(ROLE)))
        self.query, self.favourites_only = "", False
        self._pending: deque[QListWidgetItem] = deque()  # saved results whose thumbnail is not decoded yet
        self._thumbnails = QTimer(self, interval=0, timeout=self._decode_some)
        self._placeholder = QPixmap(96, 96)
        self._placeholder.fill(QColor(48, 50, 54))

    def add(self, result: Result) -> None:
        """A new result at the end; a saved one shows a placeholder until its thumbnail is decoded, a few per
        event-loop turn, so that opening a large library never holds the window."""
        if result.pixels is not None:
            item = QListWidgetItem(QIcon(to_pixmap(result.pixels)), "")
        else:
            item = QListWidgetItem(QIcon(self._placeholder), "")
            self._pending.append(item)
            self._thumbnails.start()
        item.setData(ROLE, result)
        self.addItem(item)
        self._label(item)
        item.setHidden(not matches(result, self.query, self.favourites_only))
        self.changed.emit()

    def remove(self, result: Result) -> None:
        for i in range(self.count()):
            if self.item(i).data(ROLE) is result:
                self.takeItem(i)
                self.changed.emit()
                return

    def refresh(self, result: Result) -> None:
        for i in range(self.count()):
            if self.item(i).data(ROLE) is result:
                self._label(self.item(i))
                self.item(i).setHidden(not matches(result, self.query, self.favourites_only))
                self.changed.emit()

    def set_filter(self, query: str, favourites_only: bool) -> None:
        """Show only the results that match (`matches`); the others stay in the library, hidden."""
        self.query, self.favourites_only = query, favourites_only
        for i in range(self.count()):
            self.item(i).setHidden(not matches(self.item(i).data(ROLE), query, favourites_only))
        if self.currentItem() is not None and self.currentItem().isHidden():
            self.setCurrentItem(None)  # nothing hidden stays selected for the menu's and keys' actions
        self.changed.emit()

    def thumbnails_done(self) -> bool:
        return not self._pending

    def _decode_some(self) -> None:
        end = time.perf_counter() + THUMBNAIL_BUDGET
        while self._pending and time.perf_counter() < end:
            item = self._pending.popleft()
            if item.listWidget() is not self:
                continue  # deleted before its turn
            try:
                item.setIcon(QIcon(to_pixmap(thumbnail(item.data(ROLE).path))))
            except OSError:
                item.setToolTip(f"⚠ unreadable image\n{item.toolTip()}")
        if not self._pending:
            self._thumbnails.stop()

    def select(self, result: Result | None) -> None:
        """Select the image in focus (without showing it again), scrolled into view."""
        item = self._item(result)
        if item is None or item is self.currentItem():
            return
        self.blockSignals(True)
        self.setCurrentItem(item)
        self.blockSignals(False)
        self.scrollToItem(item)

    def scroll_to(self, results) -> None:
        """Scroll so that the results the canvas shows (a job's) are in view, the first at least."""
        items = [i for i in (self._item(r) for r in results) if i is not None and not i.isHidden()]
        if items:
            self.scrollToItem(items[-1])
            self.scrollToItem(items[0])

    def _item(self, result: Result | None) -> QListWidgetItem | None:
        return next((self.item(i) for i in range(self.count()) if self.item(i).data(ROLE) is result), None) \
            if result is not None else None

    def shown(self) -> int:
        return sum(not self.item(i).isHidden() for i in range(self.count()))

    def selected(self) -> Result | None:
        item = self.currentItem()
        return item.data(ROLE) if item is not None else None

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        result = self.selected()
        if result is not None and event.matches(QKeySequence.StandardKey.Delete):
            self.action.emit("delete", result)
        elif result is not None and event.key() == Qt.Key.Key_F and not event.modifiers():
            self.action.emit("favourite", result)
        elif result is not None and event.key() == Qt.Key.Key_C and not event.modifiers():
            self.action.emit("compare", result)
        elif result is not None and event.matches(QKeySequence.StandardKey.Copy):
            self.action.emit("copy_seed", result)
        else:
            super().keyPressEvent(event)

    def _label(self, item: QListWidgetItem) -> None:
        r: Result = item.data(ROLE)
        words = self.fontMetrics().elidedText(caption(r), Qt.TextElideMode.ElideRight, self.gridSize().width() - 8)
        item.setText(f"{'★ ' if r.favourite else ''}{'' if r.path else '⚠ unsaved '}{words}\nseed {r.seed}")
        item.setToolTip(f"{describe(r)}\nseed {r.seed}\n{r.path or 'not saved'}")

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


class GalleryPanel(QWidget):
    """The gallery under a filter row: words of the prompt or seeds, favourites only, how many are shown."""

    def __init__(self, gallery: Gallery) -> None:
        super().__init__()
        self.gallery = gallery
        self.filter = QLineEdit(objectName="galleryFilterEdit", clearButtonEnabled=True)
        self.filter.setPlaceholderText("Filter: words, a seed (Ctrl+F)")
        self.filter.setToolTip("Show only the images whose prompt has these words, or with this seed (Ctrl+F)")
        self.favourites = QPushButton("★ only", objectName="favouritesOnlyButton", checkable=True)
        self.favourites.setToolTip("Show only the favourites (F on a result stars it)")
        self.shown = QLabel(objectName="galleryShownLabel")
        self.filter.textChanged.connect(self._apply)
        self.favourites.toggled.connect(self._apply)
        gallery.changed.connect(self._count)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.filter, 1)
        row.addWidget(self.favourites)
        row.addWidget(self.shown)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(gallery, 1)

    def focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _apply(self) -> None:
        self.gallery.set_filter(self.filter.text(), self.favourites.isChecked())

    def _count(self) -> None:
        filtered = bool(self.filter.text().strip()) or self.favourites.isChecked()
        self.shown.setText(f"{self.gallery.shown()} of {self.gallery.count()}" if filtered else "")
