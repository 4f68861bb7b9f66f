"""What the artist does with results: show one, or a job's several as a grid and focus one of them, compare two,
favourite, export, delete and undo, keep an image made elsewhere (a mix), on the library and the state; what it says
goes out through `said`."""
from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from engine import UserError
from engine.library import Library
from engine.record import write_png

from .panels.canvas import Canvas
from .state import Result, StudioState


class Results(QObject):
    said = Signal(str)
    undo_available = Signal(bool)  # a deletion can be undone

    def __init__(self, library: Library, state: StudioState, canvas: Canvas, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.library, self.state, self.canvas = library, state, canvas
        self.deleted: list[Result] = []  # undo stack of deletions
        self.batch: tuple[Result, ...] = ()  # the last job of several images, as its grid shows them
        canvas.cell_clicked.connect(self._cell_clicked)

    def load(self) -> None:
        """Every image already in the library (oldest first)."""
        for entry in self.library.entries():
            self.state.add_result(Result(None, str(self.library.folder / entry.name), entry.metadata, entry.favourite))
        if self.library.rebuilt:
            self.said.emit("The library index was damaged and has been rebuilt from the images.")

    def show(self, result: Result) -> None:
        """One result alone on the canvas, in focus."""
        try:
            pixels = result.image()
        except OSError as err:
            return self.said.emit(f"⚠ Could not open {result.path}: {err}")
        self.canvas.show_pixels(pixels, f"seed {result.seed}")
        self.state.show((result,), result)
        self.said.emit(f"seed {result.seed} — {result.path}")

    def show_batch(self, results: list[Result], count: int) -> None:
        """A job's images so far as a grid of `count` cells (the rest blank until they come); the first in focus."""
        self.batch = tuple(results)
        images = [r.image() for r in results] + [None] * (count - len(results))
        labels = [f"seed {r.seed}" for r in results] + [""] * (count - len(results))
        seeds = f"seeds {results[0].seed}–{results[0].seed + count - 1}" if count > 1 else f"seed {results[0].seed}"
        self.canvas.show_grid(images, labels, f"{seeds} · click one to see it alone")
        self.state.show(results, results[0])

    def show_grid(self) -> None:
        """The last job of several images as its grid again."""
        batch = [r for r in self.batch if any(r is kept for kept in self.state.results)]
        if len(batch) > 1:
            self.show_batch(batch, len(batch))
        else:
            self.said.emit("No job of several images to show.")

    def _cell_clicked(self, index: int) -> None:
        shown = self.state.shown
        if len(shown) > 1 and index < len(shown):
            self.show(shown[index])

    def restore_last(self, path: str) -> None:
        """Show the image shown last time (a restart), if it is still in the library."""
        result = next((r for r in reversed(self.state.results) if path and r.path == path), None)
        if result is not None:
            self.show(result)

    def keep(self, pixels, record: dict) -> Result | None:
        """Save an image made outside the gallery's jobs (a mix) to the library with its record, and show it."""
        try:
            path = str(self.library.save(pixels, record))
        except OSError as err:
            self.said.emit(f"⚠ Could not save the image: {err.strerror or err}")
            return None
        self.state.add_result(Result(pixels, path, record))
        self.show(self.state.results[-1])
        self.said.emit(f"Kept in the gallery: {path}")
        return self.state.results[-1]

    def compare(self, result: Result | None) -> None:
        """Pin a result beside whatever the canvas shows next (select others to compare them); None unpins."""
        if result is None:
            self.canvas.compare_with(None)
            return self.said.emit("Stopped comparing.")
        try:
            pixels = result.image()
        except OSError as err:
            return self.said.emit(f"⚠ Could not open {result.path}: {err}")
        self.canvas.compare_with(pixels, f"seed {result.seed}")
        self.said.emit(f"Comparing with seed {result.seed} (right of the divider; move the mouse over the canvas). "
                       "Select another result to compare it; Ctrl+K stops.")

    def favourite(self, result: Result) -> None:
        self.library.set_favourite(result.name, not result.favourite)
        self.state.set_favourite(result, not result.favourite)

    def export(self, result: Result, target: str) -> None:
        """Copy a saved image elsewhere, or write one the library could not hold."""
        try:
            if result.path:
                self.said.emit(f"Exported to {self.library.export(result.name, target)}")
            else:
                self.said.emit(f"Saved to {write_png(target, result.image(), result.metadata)}")
        except UserError as err:
            self.said.emit(f"⚠ {err}")
        except OSError as err:
            self.said.emit(f"⚠ Could not save to {target}: {err.strerror or err}")

    def delete(self, result: Result) -> None:
        """Move to the library's trash; Ctrl+Z brings it back."""
        if not result.path:
            return self.state.remove_result(result)
        try:
            self.library.delete(result.name)
        except (OSError, UserError) as err:
            return self.said.emit(f"⚠ Could not delete {result.name}: {err}")
        self.deleted.append(result)
        self.state.remove_result(result)
        self.undo_available.emit(True)
        self.said.emit(f"Deleted {result.name} — Ctrl+Z to undo.")

    def undo_delete(self) -> None:
        if not self.deleted:
            return
        result = self.deleted.pop()
        try:
            self.library.undo_delete(result.name)
        except (OSError, UserError) as err:
            return self.said.emit(f"⚠ Could not restore {result.name}: {err}")
        self.state.add_result(result)
        self.undo_available.emit(bool(self.deleted))
        self.said.emit(f"Restored {result.name}.")
