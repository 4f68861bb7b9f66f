"""Soak: many queued jobs with random cancels on a tiny model; memory stays flat, no thread leaks, every job
that was not cancelled leaves a saved image. CI runs a bounded soak; `-m slow` runs the full 500 jobs."""
import gc
import random

import psutil
import pytest

from engine import Settings, TextToImage
from studio.messages import END, Kind, Message
from studio.worker import start_worker


def soak(qtbot, bundle, library, jobs: int, seed: int = 0) -> dict:
    process = psutil.Process()
    threads_before = process.num_threads()
    worker, thread = start_worker(library)
    loaded, saved, done = [], {}, {}
    rng = random.Random(seed)

    def on_message(m: Message) -> None:  # on the engine thread
        if m.kind in (Kind.MODEL_LOADED, Kind.MODEL_FAILED):
            loaded.append(m.kind)
        elif m.kind is Kind.IMAGE:
            saved.setdefault(m.job_id, []).append(m.payload.path)
        elif m.kind in END:
            done[m.job_id] = m.kind
        elif m.kind is Kind.STARTED and rng.random() < 0.2:
            worker.cancel_current()

    worker.message.connect(on_message)
    worker.load(str(bundle), "", "")  # direct call: the thread has not been given work yet
    qtbot.waitUntil(lambda: loaded == [Kind.MODEL_LOADED], timeout=30_000)  # the signal may arrive queued
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
    finished = [job for job, outcome in done.items() if outcome is Kind.FINISHED]
    return {"rss": rss, "finished": finished, "saved": saved, "done": done,
            "threads": (threads_before, process.num_threads())}


def check(result: dict, library) -> None:
    assert all(len(result["saved"].get(job, [])) == 1 for job in result["finished"])
    assert set(result["done"].values()) <= {Kind.FINISHED, Kind.CANCELLED}
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
