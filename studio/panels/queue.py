"""The queue: jobs waiting for the engine, as the job model has them; run one next or take it out."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QMenu

ROLE = Qt.ItemDataRole.UserRole


class QueueView(QListWidget):
    """Waiting jobs, next first; Delete removes, the context menu also moves one to the front."""

    remove_requested = Signal(int)  # job id
    front_requested = Signal(int)  # job id

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("queueView")
        self.setMaximumHeight(100)
        self.setToolTip("Jobs waiting their turn, next first. Right-click: run next / remove; Delete removes")
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._menu)

    def bind(self, jobs) -> None:
        """Follow a JobModel's waiting jobs."""
        self._jobs = jobs
        jobs.queue_changed.connect(self._follow)
        self._follow()

    def _follow(self) -> None:
        self.show_jobs(self._jobs.waiting())

    def show_jobs(self, jobs: list) -> None:
        """The waiting jobs (studio.jobs.Job), next first."""
        self.clear()
        for job in jobs:
            item = QListWidgetItem(job.label)
            item.setData(ROLE, job.id)
            self.addItem(item)

    def job_ids(self) -> list[int]:
        return [self.item(i).data(ROLE) for i in range(self.count())]

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt API
        item = self.currentItem()
        if item is not None and (event.matches(QKeySequence.StandardKey.Delete) or event.key() == Qt.Key.Key_Backspace):
            self.remove_requested.emit(item.data(ROLE))
        else:
            super().keyPressEvent(event)

    def _menu(self, pos) -> None:
        item = self.itemAt(pos)
        if item is None:
            return
        menu = QMenu(self)
        front = menu.addAction("Run next")
        remove = menu.addAction("Remove")
        chosen = menu.exec(self.viewport().mapToGlobal(pos))
        if chosen is front:
            self.front_requested.emit(item.data(ROLE))
        elif chosen is remove:
            self.remove_requested.emit(item.data(ROLE))
