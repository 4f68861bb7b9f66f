"""The evaluation's rows that run the model: requests to images, the decoder alone, whether the decoder follows
its conditioning, and variations of rendered sources."""
from __future__ import annotations

import sys

import numpy as np
import torch
from PIL import Image

from ..events import StageStarted
from ..model import UnCLIP
from ..runner import finished, serve
from ..stage import Stage, StageKind
from ..requests import EmbeddingToImage, ImageVariation, Settings
from ..stages.decoder import decoder_fn
from .clip_rows import render_z_i
from .data import rendered
from .judging import attribute_accuracy, judge_variations
from .probe import Probe, read
from .prompts import prompt_of, with_shape
from .world import SHAPES, Scene, render


def run_requests(model: UnCLIP, requests: list, label: str, draws: list | None = None) -> torch.Tensor:
    """Run requests; (N, 3, H, W) in [-1, 1], with a progress line on stderr; `draws` gets each one's decoder runs."""
    out = []
    for i, request in enumerate(requests):
        print(f"\r  {label}: {i + 1}/{len(requests)}", end="", file=sys.stderr)
        started: list[Stage] = []
        end = finished(serve(model, request, on_event=lambda e: isinstance(e, StageStarted) and started.append(e.stage)))
        if draws is not None:
            draws.append(sum(stage.kind is StageKind.DECODER for stage in started))
        out.append(end.samples)
    print(file=sys.stderr)
    return torch.cat(out)


def decoder_alone(model: UnCLIP, probe: Probe, scenes: list[Scene], seed: int, s: Settings) -> dict[str, float]:
    """The decoder without the prior: each render's own z_i and caption → an image at the decoder's size."""
    requests = [EmbeddingToImage(z, seeds=(seed + i,), settings=s, prompt=prompt_of(sc))
                for i, (z, sc) in enumerate(zip(render_z_i(model, scenes), scenes))]
    return attribute_accuracy(probe, run_requests(model, requests, "decoder alone"), scenes)


@torch.no_grad()
def shape_follows(model: UnCLIP, probe: Probe, scenes: list[Scene], rng: np.random.Generator,
                  t: int = 800) -> dict[str, float]:
    """x0 predicted in one step from each render noised to t, conditioned on a twin of another shape
    (its z_i and caption): how often the probe reads the twin's shape (the conditioning) or the render's
    (what the noisy image still shows). Chance is 1 in 8."""
    twins = [with_shape(sc, str(rng.choice([k for k in SHAPES if k != sc.things[0].shape]))) for sc in scenes]
    fn = decoder_fn(model.decoder, model.conditioning, render_z_i(model, twins),
                    model.clip.encode_text([prompt_of(w) for w in twins]), None, 1.0)
    process = model.process("decoder")
    x_0 = rendered(scenes, model.config.decoder.size).to(model.device)  # (N, 3, 64, 64) in [-1, 1]
    noise = torch.randn(x_0.shape, generator=torch.Generator().manual_seed(int(rng.integers(2**31))))
    x_t = process.schedule.q_sample(x_0, t, noise.to(x_0.device))
    out, _ = process.split(fn(x_t, t).float(), x_t)
    seen = [next(iter(v["pairs"]))[0] for v in read(probe, process.pred_x0(x_t, t, out).cpu())]
    return {"conditioning's shape": float(np.mean([k == w.things[0].shape for k, w in zip(seen, twins)])),
            "noisy image's shape": float(np.mean([k == sc.things[0].shape for k, sc in zip(seen, scenes)]))}


def variations(model: UnCLIP, probe: Probe, sources: list[Scene], seed: int, s: Settings) -> dict[str, list]:
    """Three variations of each source's 256 px render: whether each keeps shape and colour ("kept"), each pair's
    RMS distance (0–1, "spread") and whether its object moved or resized ("moved"), each one's decoder runs.

    Source i's variations take seeds seed + 10 i, + 1, + 2.
    """
    out: dict[str, list] = {"kept": [], "spread": [], "moved": [], "draws": []}
    for i, sc in enumerate(sources):
        source = Image.fromarray(render(sc, 256))
        var = run_requests(model, [ImageVariation(source, seeds=(seed + 10 * i + j,), settings=s) for j in range(3)],
                           f"variations {i + 1}/{len(sources)}", out["draws"])
        judge_variations(probe, sc, var, out)
    return out
