"""Soak: many queued jobs with random cancels on a tiny model; memory stays flat, no thread leaks, every job
that was not cancelled leaves a saved image. CI runs a bounded soak; `-m slow` runs the full 500 jobs."""
import gc
import random

import psutil
import pytest

from engine import Settings, TextToImage
from studio.worker import start_worker


def soak(qtbot, bundle, library, jobs: int, seed: int = 0) -> dict:
    process = psutil.Process()
    threads_before = process.num_threads()
    worker, thread = start_worker(library)
    loaded, saved, done, cancelled_ids = [], {}, {}, set()
    worker.model_loaded.connect(lambda status, message: loaded.append(status))
    worker.image_saved.connect(lambda job, image, path: saved.setdefault(job, []).append(path))
    worker.job_done.connect(lambda job, outcome: done.__setitem__(job, outcome))
    rng = random.Random(seed)
    worker.job_started.connect(lambda job, label: (cancelled_ids.add(job), worker.cancel_current())
                               if rng.random() < 0.2 else None)
    worker.load(str(bundle), "", "")  # direct call: the thread has not been given work yet
    qtbot.waitUntil(lambda: loaded == ["ready"], timeout=30_000)  # the signal may arrive queued
    settings = Settings(size=16, prior_steps=2, decoder_steps=3)
    rss = []
    for i in range(jobs):
        worker.submit(TextToImage(f"soak {i}", (i,), settings), f"soak {i}")
        if i % 25 == 24:
            qtbot.waitUntil(lambda: len(done) >= i + 1, timeout=120_000)
            gc.collect()
            rss.append(process.memory_info().rss)
    qtbot.waitUntil(lambda: len(done) == jobs, timeout=300_000)
    thread.quit()
    thread.wait(10_000)
    del worker
    gc.collect()
    finished = [job for job, outcome in done.items() if outcome == "finished"]
    return {"rss": rss, "finished": finished, "saved": saved, "done": done,
            "threads": (threads_before, process.num_threads())}


def check(result: dict, library) -> None:
    assert all(len(result["saved"].get(job, [])) == 1 for job in result["finished"])
    assert all(outcome in ("finished", "cancelled") for outcome in result["done"].values())
    assert len(list(library.glob("*.png"))) == sum(len(v) for v in result["saved"].values())
    warm = result["rss"][1] if len(result["rss"]) > 1 else result["rss"][0]
    assert max(result["rss"]) < warm * 1.10, [r // 2**20 for r in result["rss"]]
    before, after = result["threads"]
    assert after <= before, result["threads"]


def test_soak_bounded(qtbot, tiny_bundle, tmp_path):
    result = soak(qtbot, tiny_bundle, tmp_path / "lib", jobs=100)
    check(result, tmp_path / "lib")
    assert 0 < len(result["finished"]) < 100  # some were cancelled, most were not


@pytest.mark.slow
def test_soak_500(qtbot, tiny_bundle, tmp_path):
    result = soak(qtbot, tiny_bundle, tmp_path / "lib", jobs=500, seed=1)
    check(result, tmp_path / "lib")
