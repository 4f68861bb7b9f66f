"""The CPU runtime choices, one run: glibc's default malloc against kept freed memory, float32 against bfloat16.

    python bench/cpu_runtime.py [--model default] [--repeats 2]
Each of the four combinations runs in its own process (malloc settings are process-wide); prints the best-of-N
text→image time at 256 and 1024 px, the process's kernel (system) CPU seconds and peak RSS, and ratios against
glibc defaults in float32. bfloat16 rows need a CPU with native bf16 (AVX-512 BF16 or AMX) to be fast. The
float32 rows also time the decoder's training step as the CPU recipe runs it (batch 16, bfloat16 autocast;
training does not take the inference dtype), so the allocator's effect on the training budget shows too.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cpu_default import first_preview_and_total  # noqa: E402 - the same timed run as the other CPU bench
from decoder_training import seconds_a_step  # noqa: E402 - the real training loop, timed
from engine import load_bundle  # noqa: E402
from engine.cpu import keep_freed_memory, native_bfloat16  # noqa: E402
from engine.training.data import scene_set  # noqa: E402

COMBOS = [("glibc default", "float32"), ("kept", "float32"), ("glibc default", "bfloat16"), ("kept", "bfloat16")]


def child(model: str, allocator: str, dtype: str, repeats: int) -> dict:
    """One combination, timed in this process."""
    if allocator == "kept" and not keep_freed_memory():
        raise SystemExit("this C library takes no malloc settings")
    m = load_bundle(model, "cpu", getattr(torch, dtype))
    out = {}
    for size in (256, 1024):
        first_preview_and_total(m, size)  # warm-up
        out[size] = min(first_preview_and_total(m, size)[1] for _ in range(repeats if size < 1024 else 1))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out.update({"system s": usage.ru_stime, "peak RSS MB": usage.ru_maxrss / 1024})
    if dtype == "float32":
        with tempfile.TemporaryDirectory() as tmp:
            out["train s"] = seconds_a_step("cpu", 16, 15, scene_set(400, m.config.decoder.size, seed=0), Path(tmp))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--child", nargs=2, metavar=("ALLOCATOR", "DTYPE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.model, *args.child, args.repeats)))
        return
    print(f"torch threads {torch.get_num_threads()}, native bfloat16: {native_bfloat16()}\n")
    rows = {}
    for allocator, dtype in COMBOS:
        done = subprocess.run([sys.executable, __file__, "--model", args.model, "--repeats", str(args.repeats),
                               "--child", allocator, dtype], capture_output=True, text=True, check=True)
        rows[allocator, dtype] = {k: float(v) for k, v in json.loads(done.stdout.strip().splitlines()[-1]).items()}
    base = rows["glibc default", "float32"]
    print("| malloc | dtype | 256 px s | 1024 px s | kernel CPU s | peak RSS MB | 256 px speed-up | 1024 px speed-up |"
          " decoder training s/step |")
    print("|---|---|---|---|---|---|---|---|---|")
    for (allocator, dtype), r in rows.items():
        train = f"{r['train s']:.3f} ({base['train s'] / r['train s']:.2f}×)" if "train s" in r else "—"
        print(f"| {allocator} | {dtype} | {r['256']:.2f} | {r['1024']:.2f} | {r['system s']:.1f} | "
              f"{r['peak RSS MB']:.0f} | {base['256'] / r['256']:.2f}× | {base['1024'] / r['1024']:.2f}× | {train} |")


if __name__ == "__main__":
    main()
