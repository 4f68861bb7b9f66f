"""The README's two studio pictures, made by driving the real window on the embedded default.

    QT_QPA_PLATFORM=offscreen python docs/screenshots.py [--out docs] [--model default]

A fresh library and settings in a temporary folder, float32 on the CPU (the same pixels on every CPU), the window at
1600 × 1000. Four prompts fill the gallery; an A → B strip of two prompts is rendered and scrubbed to its fourth
frame (the filmstrip under the slider); then four variations of a rendered scene with the Free layout preset:
`studio-during.webp` is taken mid-decoder (the four step previews as a grid), `studio-after.webp` when they are done
(the grid of the four, the prompt box marking a word the model does not know).
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import StageKind  # noqa: E402
from engine.training.world import Scene, Thing, render  # noqa: E402
from studio.app import create_main_window  # noqa: E402

PROMPTS = [("a large red circle on a blue background", 3), ("a yellow star on the left", 4),
           ("a green heart on a white background", 5), ("a purple square and an orange ring", 11)]
LAST_PROMPT = "a pink heart, glowing"  # "glowing" is not a word of the default's vocabulary: underlined
SIZE = (1600, 1000)
SOURCE = Scene((Thing("heart", "pink", "large", "centre"),), "solid", ("blue", "blue"))
STRIP = ("a large red circle on a blue background", "a large yellow star on a blue background")


def wait(app: QApplication, done, timeout: float, what: str) -> None:
    """Run the event loop until `done()` holds, or fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not done():
        if time.monotonic() > end:
            raise SystemExit(f"error: timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent))
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    tmp = Path(tempfile.mkdtemp(prefix="unclip-shots-"))
    settings = QSettings(str(tmp / "studio.ini"), QSettings.Format.IniFormat)
    settings.setValue("engine/device", "cpu")
    settings.setValue("engine/dtype", "float32")
    w = create_main_window(args.model, device="auto", library=tmp / "library", settings=settings)
    w.resize(*SIZE)
    w.show()
    wait(app, lambda: w.state.model_status == "ready", 300, "the model")
    w.settings.seed_lock.setChecked(True)
    results = 0

    def generate(prompt: str, seed: int) -> None:
        w.prompt.edit.setPlainText(prompt)
        w.settings.seed.setValue(seed)
        w.generate()

    for prompt, seed in PROMPTS:
        generate(prompt, seed)
        results += 1
        wait(app, lambda: w.gallery.count() == results, 900, f"“{prompt}”")
    w.prompt.edit.setPlainText(STRIP[0])
    w.explorer.source_from_prompt("a")
    w.prompt.edit.setPlainText(STRIP[1])
    w.explorer.source_from_prompt("b")
    w.explorer.render_strip()  # the default 9 frames
    wait(app, lambda: w.explorer.strip is not None and len(w.explorer.strip.done) == w.explorer.strip.count, 1800,
         "the strip")
    w.explore.slider.setValue(w.explore.slider.maximum() * 3 // 8)
    wait(app, lambda: not w.jobs.busy, 300, "the queue")

    source = tmp / "pink-heart.png"
    Image.fromarray(render(SOURCE, 256)).save(source)
    w.settings.free_layout.click()
    w.settings.count.setValue(4)
    w.settings.seed.setValue(8)
    w.vary(str(source))
    wait(app, lambda: w.jobs.running is not None and w.jobs.running.stage is not None
         and w.jobs.running.stage.kind is StageKind.DECODER
         and w.jobs.running.step >= 0.6 * w.jobs.running.steps, 1800, "the decoder")  # past the middle
    w.grab().save(str(Path(args.out) / "studio-during.webp"), "WEBP", 90)
    print("studio-during.webp", file=sys.stderr)
    results += 4
    wait(app, lambda: w.gallery.count() == results and not w.jobs.busy, 3600, "the variations")
    w.prompt.edit.setPlainText(LAST_PROMPT)
    for _ in range(20):
        app.processEvents()
    w.grab().save(str(Path(args.out) / "studio-after.webp"), "WEBP", 90)
    print("studio-after.webp", file=sys.stderr)
    w.close()
    w.worker.cancel_current()
    w.engine_thread.quit()
    w.engine_thread.wait(10_000)


if __name__ == "__main__":
    main()
