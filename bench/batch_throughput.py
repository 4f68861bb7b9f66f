"""Batch throughput, local path against Ray on this machine, same jobs, one run.

    python bench/batch_throughput.py [--model default] [--jobs 24] [--size 64] [--json]
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import load_bundle  # noqa: E402
from engine.batch import run_local  # noqa: E402
from engine.jobs import grid, parse_jobs  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--jobs", type=int, default=24)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    prompts = ["a large red circle on a blue background", "a small yellow star on a green background",
               "a purple heart and a white square"]
    records = grid(prompts, list(range(args.jobs // len(prompts))), [None], [None], {"size": args.size})
    (tmp / "jobs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    jobs = parse_jobs(tmp / "jobs.jsonl")
    local = run_local(load_bundle(args.model), jobs, tmp / "local")
    from engine.ray_batch import run_ray
    remote = run_ray("local", args.model, "cpu", "float32", jobs, tmp / "ray")
    same = all((tmp / "local" / p.name).read_bytes() == p.read_bytes() for p in (tmp / "ray").glob("*.png"))
    result = {"jobs": len(jobs), "size": args.size, "local_images_per_s": round(local.images / local.seconds, 3),
              "ray_images_per_s": round(remote.images / remote.seconds, 3), "ray_seconds_incl_startup":
              round(remote.seconds, 1), "identical_files": same}
    shutil.rmtree(tmp)
    print(json.dumps(result) if args.json else "\n".join(f"| {k} | {v} |" for k, v in result.items()))


if __name__ == "__main__":
    main()
