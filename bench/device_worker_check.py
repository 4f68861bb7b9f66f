"""The studio's engine worker on a device, offscreen: one job, one strip, one cancel, and (CUDA) a real
out-of-memory split under a capped allocator. Writes one JSON object of what happened.

    python bench/device_worker_check.py --device cuda --out OUT/worker.json [--model default|--tiny]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from engine import Settings, TextToImage, save_bundle  # noqa: E402
from engine.explore import Source, interpolation  # noqa: E402
from studio.messages import END, Frames, Kind  # noqa: E402
from studio.worker import start_worker  # noqa: E402


def wait(app, done, seconds: float) -> bool:
    deadline = time.time() + seconds
    while not done() and time.time() < deadline:
        app.processEvents()
        time.sleep(0.005)
    return done()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--model", default="default")
    parser.add_argument("--tiny", action="store_true", help="a tiny random bundle instead of --model")
    parser.add_argument("--out", required=True)
    parser.add_argument("--oom-gib", type=float, default=1.0, help="CUDA: cap the allocator here for the split")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    tmp = Path(tempfile.mkdtemp())
    model = args.model
    if args.tiny:
        from engine import UnCLIP
        from engine.tiny import tiny_config
        model = str(save_bundle(UnCLIP.random(tiny_config(), seed=0), tmp / "tiny"))
    worker, thread = start_worker(tmp / "library", args.device, torch.float16 if args.device == "cuda" else
                                  torch.float32)
    seen: list = []
    worker.message.connect(seen.append)
    worker.load(model, args.device, "")
    result = {"device": args.device, "model": model, "loaded": wait(app, lambda: any(
        m.kind in (Kind.MODEL_LOADED, Kind.MODEL_FAILED) for m in seen), 300)}
    ends = lambda job: [m.kind.value for m in seen if m.job_id == job and m.kind in END]  # noqa: E731

    job = worker.submit(TextToImage("a red circle", seeds=(1, 2)), "one job")
    wait(app, lambda: ends(job), 300)
    result["job"] = {"end": ends(job), "images": sum(m.kind is Kind.IMAGE and m.job_id == job for m in seen)}

    strip = Frames("check", lambda m: interpolation(m, Source(text="a red circle"), Source(text="a blue star"), 3, 7,
                                                    Settings()), [0, 1, 2], tmp / "frames")
    job = worker.submit(strip, "one strip")
    wait(app, lambda: ends(job), 300)
    result["strip"] = {"end": ends(job), "frames": sum(m.kind is Kind.FRAME and m.job_id == job for m in seen)}

    job = worker.submit(TextToImage("a green star", seeds=(3,), settings=Settings(decoder_steps=400)), "cancel")
    wait(app, lambda: any(m.kind is Kind.STEP and m.job_id == job for m in seen), 300)
    worker.cancel_current()
    wait(app, lambda: ends(job), 300)
    result["cancel"] = {"end": ends(job)}

    if args.device == "cuda":  # a real allocator failure: cap the process, ask for a large batch
        total = torch.cuda.get_device_properties(0).total_memory
        torch.cuda.set_per_process_memory_fraction(min(1.0, args.oom_gib * 2**30 / total))
        seeds = tuple(range(10, 42))
        job = worker.submit(TextToImage("a yellow heart", seeds=seeds, settings=Settings(size=1024)), "oom")
        wait(app, lambda: sum(m.kind is Kind.IMAGE for m in seen if m.job_id > job) >= len(seeds)
             or any(m.kind is Kind.FAILED and m.job_id >= job for m in seen), 600)
        result["oom"] = {"first_end": ends(job), "images_after_split": sum(
            m.kind is Kind.IMAGE and m.job_id > job for m in seen), "failed": [
            str(m.payload) for m in seen if m.kind is Kind.FAILED and m.job_id >= job][:3]}
    else:
        result["oom"] = "skipped: a real out-of-memory needs a CUDA allocator"
    worker.clear_queue()
    thread.quit()
    thread.wait(10_000)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
