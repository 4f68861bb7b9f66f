"""Make the replay fixtures of tests/engine/test_replay.py: PNGs from the embedded default model.

Made from commit a81a649 (the engine before the runner/record refactor), so that the test proves that the
current engine still turns each saved record into the same pixels:

    git worktree add --detach /tmp/base a81a649
    cp tests/data/replay/make_fixtures.py /tmp/base/
    cd /tmp/base && /work/main/.venv/bin/python make_fixtures.py /work/main/tests/data/replay
    git worktree remove --force /tmp/base

(torch 2.14.1, CPU, float32, one thread.) The fixtures in this folder were made on an AVX-512 CPU; run the same on
a CPU of another instruction set into a scratch folder, and copy the images that differ into
cpu-<torch.backends.cpu.get_cpu_capability()>/ (cpu-AVX2/ holds the 256 px image, whose pixels AVX2 makes
differently, and the two interpolation frames, whose records keep a strip embedding AVX2 makes differently).

Each PNG is written with engine.metadata.save_png: the `unclip` JSON record and the A1111 `parameters` text.
Interpolation frames carry the record the CLI writes (the image's record plus frame, frames and position) and a
"strip" object with what rebuilds the strip: its two ends, frame count, noise mode and the frames rendered together
in one batch.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import engine
from engine.explore import Source, interpolation
from engine.metadata import save_png
from engine.pipeline import run as run_pipeline

T2I_SMALL = "t2i-red-circle-64-seed3.png"
T2I_LARGE = "t2i-yellow-star-256-seed11.png"
VARIATION = "variation-64-seed5.png"
STRIP = "interp-red-circle-green-square-seed7-frame{}.png"


def main(out: Path) -> None:
    torch.set_num_threads(1)  # float32 CPU reductions depend on the thread count
    print(f"engine: {engine.__file__}  torch {torch.__version__}", file=sys.stderr)
    model = engine.load_bundle("default", "cpu", torch.float32)
    out.mkdir(parents=True, exist_ok=True)

    def timed(label, fn):
        start = time.perf_counter()
        result = fn()
        print(f"{label}: {time.perf_counter() - start:.2f} s", file=sys.stderr)
        return result

    # text → image
    for name, prompt, seed, size in ((T2I_SMALL, "a red circle on the left on a blue background", 3, 64),
                                     (T2I_LARGE, "a yellow star", 11, 256)):
        request = engine.TextToImage(prompt, (seed,), engine.Settings(size=size))
        image = timed(name, lambda: engine.run(model, request))[0]
        save_png(out / name, image.image, image.metadata)

    # a variation of the first image, read back from its file
    source = Image.open(out / T2I_SMALL).convert("RGB")
    request = engine.ImageVariation(source, (5,), engine.Settings(size=64), source_name=T2I_SMALL, amount=0.0)
    image = timed(VARIATION, lambda: engine.run(model, request))[0]
    save_png(out / VARIATION, image.image, image.metadata)

    # two frames of a three-frame interpolation between two texts, rendered together
    a, b, frames, noise, seed, indices = "text:a red circle", "text:a green square", 3, "fixed", 7, [0, 2]
    strip = interpolation(model, Source.parse(a, None), Source.parse(b, None), frames, seed,
                          engine.Settings(size=64), noise)
    request, noise_fn = strip.request(indices, "cpu")
    images = timed("strip frames 0, 2", lambda: run_pipeline(model, request, noise=noise_fn))
    for index, image in zip(indices, images):
        meta = dict(image.metadata, frame=index, frames=len(strip), position=float(strip.positions[index]))
        meta["strip"] = {"a": a, "b": b, "frames": frames, "noise": noise, "batch": indices}
        save_png(out / STRIP.format(index), image.image, meta)

    for path in sorted(out.glob("*.png")):
        with Image.open(path) as im:
            print(f"{path.name}: {im.size[0]}x{im.size[1]}, {path.stat().st_size} bytes, "
                  f"mean {np.asarray(im.convert('RGB')).mean():.1f}", file=sys.stderr)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "tests/data/replay"))
