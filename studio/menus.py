"""The main window's menus, their shortcuts, and the Help texts."""
from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox

from engine.cpu import native_bfloat16

from .panels.canvas import STEP

DEVICES = ("cpu", "cuda")
PRECISIONS = ("float32", "bfloat16", "float16")


def _action(menu, text: str, slot, shortcut: str | None = None) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(slot)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    return action


def precision_tip(name: str) -> str:
    """What a precision means on this machine, for the Engine menu's status tips."""
    if name == "float32":
        return "float32: full precision, on every CPU"
    if name == "float16":
        return "float16: for CUDA GPUs (Auto's choice there)"
    if native_bfloat16():
        return "bfloat16: this CPU computes it natively, the fastest here (Auto's choice on it)"
    return "bfloat16: this CPU has no native bfloat16, so it is slower than float32 here"


def build_menus(w) -> None:
    """File, Edit, Engine and Help menus of the main window, with their shortcuts."""
    bar = w.menuBar()
    file = bar.addMenu("&File")
    _action(file, "Open image for variations…", w.sources.open_dialog, "Ctrl+O")
    w.paste_action = _action(file, "Paste image for variations", w.paste, "Ctrl+V")
    _action(file, "Open model folder…", lambda: w._on_model_combo(w.model_combo.findText(w.OPEN_FOLDER)))
    _action(file, "Export selected image…", lambda: w._selected("export"), "Ctrl+S")
    _action(file, "Show library folder", lambda: QDesktopServices.openUrl(
        QUrl.fromLocalFile(str(w.worker.library.folder))))
    file.addSeparator()
    _action(file, "Quit", w.close, "Ctrl+Q")
    edit = bar.addMenu("&Edit")
    w.undo_action = _action(edit, "Undo delete", w.results.undo_delete, "Ctrl+Z")
    w.undo_action.setEnabled(False)
    w.results.undo_available.connect(w.undo_action.setEnabled)
    _action(edit, "Copy seed of selected", lambda: w._selected("copy_seed"))
    _action(edit, "Copy prompt of selected", lambda: w._selected("copy_prompt"))
    _action(edit, "Use settings of selected", lambda: w._selected("restore"))
    _action(edit, "Vary selected", lambda: w._selected("vary"), "Ctrl+Shift+Return")
    _action(edit, "New random seed", w.settings.new_seed, "Ctrl+R")
    _action(edit, "Filter the gallery", w.gallery_panel.focus_filter, "Ctrl+F")
    view = bar.addMenu("&View")
    _action(view, "Fit to view", w.canvas.fit, "Ctrl+0")
    _action(view, "Actual pixels", w.canvas.actual_pixels, "Ctrl+1")
    _action(view, "Show the last job's images side by side", w.results.show_grid, "Ctrl+G")
    _action(view, "Zoom in", lambda: w.canvas.zoom(STEP), "Ctrl+=").setShortcuts(
        [QKeySequence("Ctrl+="), QKeySequence("Ctrl++")])
    _action(view, "Zoom out", lambda: w.canvas.zoom(1 / STEP), "Ctrl+-")
    view.addSeparator()
    _action(view, "Compare with selected", lambda: w._selected("compare"))
    _action(view, "Stop comparing", lambda: w.results.compare(None), "Ctrl+K")
    engine = bar.addMenu("E&ngine")
    w.device_menu = engine.addMenu("Device")
    for device in DEVICES:
        _action(w.device_menu, device, lambda _=False, d=device: w.set_engine(device=d))
    w.precision_menu = engine.addMenu("Precision")
    for name in PRECISIONS:
        _action(w.precision_menu, name, lambda _=False, n=name: w.set_engine(dtype=n)).setStatusTip(precision_tip(name))
    _action(engine, "Cancel current job", w.cancel)
    _action(engine, "Clear queue", lambda: w.worker.clear_queue())
    help_menu = bar.addMenu("&Help")
    _action(help_menu, "Keyboard shortcuts", lambda: show_shortcuts(w), "F1")
    _action(help_menu, "About unCLIP Studio", lambda: show_about(w))


def show_shortcuts(w) -> None:
    QMessageBox.information(w, "Keyboard shortcuts", SHORTCUTS)


def show_about(w) -> None:
    model = w.state.model
    QMessageBox.about(w, "About unCLIP Studio", ABOUT.format(
        model=model.name if model else "none", device=f"{model.device}, {model.dtype}" if model else "none",
        library=w.worker.library.folder))


SHORTCUTS = """Ctrl+Enter — generate from the prompt
Ctrl+Up / Ctrl+Down (in the prompt) — step through the prompts generated last (also: Recent)
Esc — cancel the running job
Ctrl+O — open an image for variations
Ctrl+V (outside the prompt) — paste an image for variations (or drop one on the drop zone)
Ctrl+R — new random seed
Ctrl+Shift+Enter — vary the selected result
Ctrl+S — export the selected result
F — favourite the selected result · Delete — delete it · Ctrl+Z — undo the delete
Ctrl+C (in the gallery) — copy the selected result's seed
Click an image of a job's grid — see it alone · Ctrl+G — the grid again
Tab or Enter (in the prompt, with the word list open) — take the model's word
Wheel / Ctrl+= / Ctrl+- — zoom the canvas (drag to pan) · Ctrl+0 — fit · Ctrl+1 or double-click — actual pixels
C (in the gallery) — compare the selected result on the canvas (a divider that follows the mouse) · Ctrl+K — stop
Ctrl+F — filter the gallery by words of the prompt or a seed (★ only: the favourites)
Delete (in the queue) — remove a waiting job"""

ABOUT = """<b>unCLIP Studio</b><br>
Hierarchical text-conditional image generation with CLIP latents (Ramesh et al. 2022):
prompt → CLIP text embedding → prior → CLIP image embedding → decoder → upsamplers.<br><br>
Model: {model}<br>Device: {device}<br>Library: {library}"""
