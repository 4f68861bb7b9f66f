"""The gallery and the canvas: the library across restarts, favourites, deletes, the filter, zoom and compare."""
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from tests.studio.helpers import close_window, generate_one, open_window


def test_library_reloads_with_favourites_and_deletes_undo(qtbot, tiny_bundle, tmp_path):
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    generate_one(w, qtbot, count=3)
    first, second, third = w.state.results
    w.act("favourite", first)
    w.act("delete", second)
    assert w.gallery.count() == 2 and not Path(second.path).exists()
    w.results.undo_delete()
    assert w.gallery.count() == 3 and Path(second.path).exists()
    w.act("delete", third)
    close_window(w)
    assert not (tmp_path / "library" / ".trash" / third.name).exists()  # handed to the system trash on close
    w2 = open_window(qtbot, str(tiny_bundle), tmp_path)
    names = [r.name for r in w2.state.results]
    assert sorted(names) == sorted([first.name, second.name]) and w2.gallery.count() == 2
    assert [r.favourite for r in w2.state.results if r.name == first.name] == [True]
    assert w2.gallery.item(names.index(first.name)).text().startswith("★")
    w2.gallery.setCurrentRow(0)
    assert w2.canvas.caption == f"seed {w2.state.results[0].seed}"
    close_window(w2)


def test_gallery_filter_matches_words_seeds_and_favourites():
    from studio.panels.gallery import matches
    from studio.state import Result
    r = Result(None, "x.png", {"prompt": "a Red circle", "seed": 12, "kind": "text2image"})
    v = Result(None, "v.png", {"seed": 3, "kind": "variation", "source": {"name": "heart.png"}}, favourite=True)
    assert matches(r, "") and matches(r, "red CIRCLE") and matches(r, "circle 12") and not matches(r, "circle 1")
    assert not matches(r, "red star") and not matches(r, "", favourites_only=True)
    assert matches(v, "heart variation 3", favourites_only=True) and not matches(v, "text2image")


def test_gallery_filter_hides_and_counts_in_the_window(window, qtbot):
    generate_one(window, qtbot, "a red circle", seed=1)
    generate_one(window, qtbot, "a blue star", seed=2)
    panel = window.gallery_panel
    window.gallery.setCurrentRow(1)
    panel.filter.setText("red")
    assert [window.gallery.item(i).isHidden() for i in range(2)] == [False, True]
    assert panel.shown.text() == "1 of 2" and window.gallery.selected() is None  # the hidden one is let go
    generate_one(window, qtbot, "a blue ring", seed=3)  # a new result that does not match arrives hidden
    assert window.gallery.item(2).isHidden() and panel.shown.text() == "1 of 3"
    panel.filter.setText("3")
    assert window.gallery.shown() == 1 and not window.gallery.item(2).isHidden()
    panel.filter.clear()
    panel.favourites.setChecked(True)
    assert window.gallery.shown() == 0 and panel.shown.text() == "0 of 3"
    window.act("favourite", window.state.results[1])
    assert window.gallery.shown() == 1 and not window.gallery.item(1).isHidden()
    panel.favourites.setChecked(False)
    assert window.gallery.shown() == 3 and panel.shown.text() == ""


def test_saved_thumbnails_are_decoded_after_the_gallery_shows_a_few_per_turn(qtbot, tmp_path):
    from studio.panels.gallery import Gallery
    from studio.state import Result
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(np.full((64, 64, 3), 60 * i, np.uint8)).save(paths[-1])
    (tmp_path / "bad.png").write_bytes(b"not a png")
    g = Gallery()
    qtbot.addWidget(g)
    for path in paths + [str(tmp_path / "bad.png")]:
        g.add(Result(None, path, {"seed": 1}))
    assert g.count() == 4 and not g.thumbnails_done()  # the window is usable before any is decoded

    def colour(i):
        return g.item(i).icon().pixmap(96, 96).toImage().pixelColor(48, 48).red()
    assert colour(2) == 48  # the placeholder
    g.takeItem(1)  # deleted before its turn: skipped
    qtbot.waitUntil(g.thumbnails_done, timeout=5_000)
    assert (colour(0), colour(1)) == (0, 120) and g.item(2).toolTip().startswith("⚠ unreadable image")


def test_compare_pins_a_result_and_the_next_selection_shows_beside_it(window, qtbot):
    generate_one(window, qtbot, "a red circle", seed=1)
    generate_one(window, qtbot, "a blue star", seed=2)
    window.gallery.setCurrentRow(0)
    window.gallery.setFocus()
    qtbot.keyClick(window.gallery, Qt.Key.Key_C)
    assert window.canvas.comparing and window.status.text().startswith("Comparing with seed 1")
    window.gallery.setCurrentRow(1)
    assert window.canvas.overlay.text() == "seed 2  |  seed 1"
    window.results.compare(None)
    assert not window.canvas.comparing and window.canvas.overlay.text() == "seed 2"


def test_canvas_zooms_about_the_cursor_pans_and_keeps_the_zoom_for_new_pixels(qtbot):
    from PySide6.QtCore import QPointF
    from studio.panels.canvas import MAX_PIXEL, Canvas
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(512, 512)
    pixels = np.zeros((64, 64, 3), np.uint8)
    pixels[:, 32:] = 255  # right half white
    canvas.show_pixels(pixels, "seed 1")
    assert canvas.fit_scale() == 8 and canvas.pixmap().width() == 512 and canvas.overlay.text() == "seed 1"
    at = QPointF(384, 256)  # image point (48, 32)
    canvas.zoom(2, at)
    rect = canvas.visible()
    assert canvas.scale() == 16 and rect.width() == 32
    assert rect.left() + (384 / 16) == 48  # the point under the cursor stayed under it
    canvas.zoom(100)
    assert canvas.scale() == MAX_PIXEL and canvas.overlay.text() == "seed 1 · 1600%"
    canvas.fit()
    canvas.zoom(2)  # about the centre: 16 screen pixels an image pixel, the most
    canvas.mousePressEvent(type("E", (), {"button": lambda self: Qt.MouseButton.LeftButton,
                                          "position": lambda self: QPointF(100, 100)})())
    canvas.mouseMoveEvent(type("E", (), {"position": lambda self: QPointF(1100, 100)})())  # far right: clamped
    canvas.mouseReleaseEvent(None)
    assert canvas.visible().left() == 0
    image = canvas.pixmap().toImage()
    assert image.pixelColor(10, 10).red() == 0  # the left, black half is in view, drawn pixel-sharp
    canvas.show_pixels(np.full((256, 256, 3), 128, np.uint8), "seed 2")  # a new size: the same magnification
    assert canvas.magnification == 2 and canvas.scale() == 4 and canvas.visible().width() == 128
    canvas.zoom(1 / 100)
    assert canvas.magnification == 1 and canvas.overlay.text() == "seed 2"
    canvas.actual_pixels()
    assert canvas.scale() == 2  # a 256 px image in a 512 px view: never drawn smaller than fitted
    canvas.show_pixels(np.full((1024, 1024, 3), 9, np.uint8), "seed 3")
    canvas.actual_pixels()
    assert canvas.scale() == 1 and canvas.visible().width() == 512


def test_canvas_compares_a_pinned_image_right_of_a_divider_that_follows_the_mouse(qtbot):
    from PySide6.QtCore import QPointF
    from studio.panels.canvas import Canvas
    canvas = Canvas()
    qtbot.addWidget(canvas)
    canvas.resize(512, 512)
    canvas.show_pixels(np.zeros((64, 64, 3), np.uint8), "seed 1")
    canvas.compare_with(np.full((256, 256, 3), 255, np.uint8), "seed 2")  # another size: drawn at the same place

    def red(x):
        return canvas.pixmap().toImage().pixelColor(x, 256).red()
    assert canvas.comparing and (red(100), red(400)) == (0, 255) and canvas.overlay.text() == "seed 1  |  seed 2"
    canvas.mouseMoveEvent(type("E", (), {"position": lambda self: QPointF(480, 256)})())
    assert canvas.split == 480 / 512 and red(400) == 0 and red(500) == 255
    canvas.show_pixels(np.full((64, 64, 3), 40, np.uint8), "seed 3")  # the next image is compared too
    assert red(10) == 40 and red(500) == 255
    canvas.zoom(2, QPointF(0, 0))  # both zoom together
    assert red(500) == 255 and canvas.overlay.text() == "seed 3 · 1600%  |  seed 2"
    canvas.compare_with(None)
    assert not canvas.comparing and red(500) == 40 and canvas.overlay.text() == "seed 3 · 1600%"


def test_canvas_previews_cover_what_was_shown_until_a_result_or_the_job_end(qtbot):
    from studio.panels.canvas import Canvas
    canvas = Canvas()
    qtbot.addWidget(canvas)
    pixels = np.zeros((16, 16, 3), np.uint8)
    canvas.show_message("Type a prompt")
    canvas.show_preview(pixels, "decoder · 16 px · step 1/2")
    canvas.show_preview(pixels, "decoder · 16 px · step 2/2")
    assert canvas.previewing and canvas.caption.endswith("step 2/2")
    canvas.end_preview()  # cancelled: the message comes back
    assert not canvas.previewing and canvas.text() == "Type a prompt" and canvas.caption == ""
    canvas.show_pixels(pixels, "seed 1")
    canvas.show_preview(pixels, "prior · step 1/2")
    canvas.end_preview()
    assert canvas.caption == "seed 1" and canvas.pixmap() is not None
    canvas.show_preview(pixels, "decoder · 16 px · step 1/2")
    canvas.show_pixels(pixels, "seed 2")  # the result replaces the previews: nothing to bring back
    canvas.end_preview()
    assert canvas.caption == "seed 2" and not canvas.previewing
