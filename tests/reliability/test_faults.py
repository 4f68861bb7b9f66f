"""Faults lose nothing: a failing stage, a library that cannot be written, a process killed mid-write."""
import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from PIL import Image

from engine.library import Library
from studio.messages import END, Kind
from tests.studio.helpers import close_window, generate_one, open_window, record

ROOT = Path(__file__).resolve().parents[2]


def test_a_failing_stage_fails_its_job_and_the_queue_goes_on(qtbot, tiny_bundle, tmp_path, monkeypatch):
    import engine.pipeline as pipeline
    real, calls = pipeline.decode, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("injected fault in the decoder")
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "decode", flaky)
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    seen = record(w)

    def outcomes():
        return [m.kind for m in seen if m.kind in END]
    w.prompt.edit.setPlainText("first fails")
    w.generate()
    w.prompt.edit.setPlainText("second works")
    w.generate()
    qtbot.waitUntil(lambda: len(outcomes()) == 2, timeout=60_000)
    assert outcomes() == [Kind.FAILED, Kind.FINISHED] and w.gallery.count() == 1
    assert w.status.text().startswith("seed ")  # the failure was said, then the next job's image
    assert w.worker.model is not None and w.prompt.generate_button.isEnabled()
    close_window(w)


def test_a_full_library_keeps_the_image_for_save_elsewhere(qtbot, tiny_bundle, tmp_path, monkeypatch):
    def full(self, image, metadata):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(Library, "save", full)
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    generate_one(w, qtbot)
    result = w.state.results[0]
    assert result.path == "" and result.image().shape[-1] == 3
    assert w.gallery.item(0).text().startswith("⚠ unsaved")
    target = tmp_path / "elsewhere.png"
    w.results.export(result, str(target))
    assert Image.open(target).text["unclip"]
    close_window(w)


def test_sigkill_mid_write_leaves_only_whole_images(tmp_path):
    """A process saving big images is killed at random moments: every PNG left opens and verifies."""
    script = textwrap.dedent(f"""
        import numpy as np, sys
        sys.path.insert(0, {str(ROOT)!r})
        from engine.library import Library
        lib = Library({str(tmp_path / "lib")!r})
        meta = {{"kind": "text2image", "seed": 1, "prompt": "p", "size": [1024, 1024], "engine_version": "0",
                "model": {{"hash": "h", "name": "m"}}, "settings": {{"decoder_steps": 1, "sampler": "ddpm",
                "decoder_guidance": 1, "prior_steps": 1, "prior_guidance": 1, "upsampler_steps": 1}}}}
        rng = np.random.default_rng(0)
        print("ready", flush=True)
        while True:
            lib.save(rng.integers(0, 255, (1024, 1024, 3), dtype=np.uint8), meta)
    """)
    for attempt in range(3):
        proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(1.0 + 0.37 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    pngs = sorted((tmp_path / "lib").glob("*.png"))
    assert pngs, "nothing was saved before the kills"
    for p in pngs:
        with Image.open(p) as im:
            im.verify()
    assert {e.name for e in Library(tmp_path / "lib").entries()} == {p.name for p in pngs}


def test_out_of_memory_splits_the_job_and_keeps_the_model(qtbot, tiny_bundle, tmp_path, monkeypatch):
    import torch

    import engine.pipeline as pipeline
    real = pipeline.decode

    def small_memory(unet, conditioning, process, image_embed, *args, **kwargs):
        if image_embed.shape[0] > 1:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (injected)")
        return real(unet, conditioning, process, image_embed, *args, **kwargs)

    monkeypatch.setattr(pipeline, "decode", small_memory)
    w = open_window(qtbot, str(tiny_bundle), tmp_path)
    qtbot.waitUntil(lambda: w.state.model_status == "ready", timeout=30_000)
    model = w.worker.model
    generate_one(w, qtbot, seed=10, count=4)  # 4 → 2 + 2 → 1 + 1 + 1 + 1
    assert sorted(r.seed for r in w.state.results) == [10, 11, 12, 13] and w.worker.model is model
    close_window(w)
