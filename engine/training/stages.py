"""One trainer per unCLIP stage, each a loss over a batch of the world (paper §2, Appendix C)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, IterableDataset, get_worker_info

from ..diffusion.schedule import Schedule
from ..model import UnCLIP
from .data import SceneSet, nchw, render_all, to_unit, upsampler_batch
from .loop import autocast_pays, train
from .world import caption, twin


@torch.no_grad()
def image_embeddings(model: UnCLIP, data: SceneSet, batch: int = 256) -> torch.Tensor:
    """z_i of every render (N, D), from the (trained, frozen) CLIP image tower."""
    pick = [torch.arange(i, min(i + batch, len(data.scenes))) for i in range(0, len(data.scenes), batch)]
    out = [model.clip.encode_image(model.clip.tensor_pixels(data.images(i).to(model.device))) for i in pick]
    return torch.cat(out)


def _noised(schedule: Schedule, x0: torch.Tensor, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """t ~ U{0..T-1}, eps ~ N(0, I), x_t = sqrt(a) x0 + sqrt(1 − a) eps, per sample."""
    t = torch.randint(0, schedule.train_steps, (x0.shape[0],), generator=g)
    # on an accelerator eps comes from its own generator (seeded by torch.manual_seed): no host round trip
    eps = torch.randn(x0.shape, generator=g) if x0.device.type == "cpu" else torch.randn_like(x0)
    a = schedule.alpha_bars(t, x0)
    return t.to(x0.device), eps, a.sqrt() * x0 + (1 - a).sqrt() * eps


def _captioned(model: UnCLIP, data: SceneSet, batch: int, drop: float, rng: np.random.Generator,
               g: torch.Generator):
    """A random batch of scene indices and their caption encodings (empty caption with probability `drop`)."""
    idx = data.draw(batch, g)
    captions = ["" if rng.random() < drop else c for c in data.captions(idx, rng)]
    with torch.no_grad(), torch.autocast(model.device.type, enabled=False):  # frozen CLIP stays float32
        return idx, model.clip.encode_text(captions)


def clip_batch(data: SceneSet, half: int, rng: np.random.Generator,
               g: torch.Generator) -> tuple[torch.Tensor, list[str]]:
    """`half` drawn scenes, then their twins: renders (2·half, 3, S, S) uint8 and captions, a pair in one phrasing."""
    idx = data.draw(half, g)
    scenes = [data.scenes[int(i)] for i in idx]
    twins = [twin(s, rng) for s in scenes]
    phrasing = rng.integers(2**32, size=len(scenes))
    captions = [caption(s, np.random.default_rng(k)) for s, k in zip(scenes + twins, [*phrasing, *phrasing])]
    return torch.cat([data.pixels[idx], nchw(render_all(twins, data.pixels.shape[-1], workers=1))]), captions


class ClipBatches(IterableDataset):
    """Endless CLIP batches drawn in DataLoader workers, each worker from its own seed (the twins' renders are the
    host's work: on an accelerator one process cannot keep up)."""

    def __init__(self, data: SceneSet, half: int, seed: int) -> None:
        self.data, self.half, self.seed = data, half, seed

    def __iter__(self):
        worker = get_worker_info()
        k = 0 if worker is None else worker.id + 1
        rng, g = np.random.default_rng((self.seed, k)), torch.Generator().manual_seed(self.seed + 7919 * k)
        while True:
            yield clip_batch(self.data, self.half, rng, g)


def clip_batches(data: SceneSet, half: int, seed: int, workers: int, pin: bool) -> Iterator[tuple[torch.Tensor, list]]:
    """CLIP batches in this process (workers = 0: the recipe's own stream) or prefetched by forked workers."""
    if workers == 0:
        rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
        while True:
            yield clip_batch(data, half, rng, g)
    yield from DataLoader(ClipBatches(data, half, seed), batch_size=None, num_workers=workers, prefetch_factor=4,
                          persistent_workers=True, pin_memory=pin, multiprocessing_context="fork")


def train_clip(model: UnCLIP, data: SceneSet, steps: int, run_dir: Path, batch: int = 64, seed: int = 0,
               deadline: float | None = None, workers: int = 0) -> None:
    """Contrastive CLIP (Radford et al. 2021); identical captions in a batch count as shared positives.

    Half of each batch is hard negatives: the other half's scenes with one attribute changed (mostly the
    shape) and captioned in the same phrasing, so the towers must tell shapes apart, not just colours.
    `workers` > 0 draws the batches in that many forked processes.
    """
    towers, tokenizer = model.clip.towers, model.clip.tokenizer
    device = model.device
    logit_scale = nn.Parameter(torch.tensor(math.log(1 / 0.07), device=device))
    batches = clip_batches(data, batch // 2, seed, workers, pin=device.type == "cuda")

    def step(_: int) -> torch.Tensor:
        pixels, captions = next(batches)
        images = to_unit(pixels.to(device, non_blocking=True))  # (B, 3, S, S) in [-1, 1]
        z_i = F.normalize(towers.visual(model.clip.tensor_pixels(images)), dim=-1)
        z_t = F.normalize(towers.text(tokenizer(captions).to(device))[0], dim=-1)
        logits = logit_scale.clamp(max=math.log(100)).exp() * z_i @ z_t.T
        index: dict[str, int] = {}
        ids = torch.tensor([index.setdefault(c, len(index)) for c in captions], device=device)  # (B,) text ids
        same = (ids[:, None] == ids[None]).float()  # (B, B): 1 where two captions are the same text
        target = same / same.sum(1, keepdim=True)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2

    train("clip", {"clip": towers}, step, steps, run_dir, lr=5e-4, extra_params=[logit_scale], deadline=deadline)


def train_prior(model: UnCLIP, data: SceneSet, steps: int, run_dir: Path, batch: int = 64, seed: int = 1,
                text_drop: float = 0.1, deadline: float | None = None) -> None:
    """Diffusion prior predicting the clean normalised z_i (paper §2.2); captions dropped for guidance."""
    z_all = image_embeddings(model, data)
    prior = model.prior
    prior.clip_mean.copy_(z_all.mean(0, keepdim=True))
    prior.clip_std.copy_(z_all.std(0, keepdim=True))
    process = model.process("prior")
    rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)

    def step(_: int) -> torch.Tensor:
        idx, text = _captioned(model, data, batch, text_drop, rng, g)
        x0 = prior.normalise(z_all[idx])
        t, eps, x_t = _noised(process.schedule, x0, g)
        return process.loss(prior(x_t, t, text.embed, text.states, text.mask), x0, eps, t)

    train("prior", {"prior": prior}, step, steps, run_dir, lr=3e-4, deadline=deadline)


DECODER_LOOP = {"lr": 3e-4, "ema": 0.999}  # the decoder's optimiser and weight average (its precision: autocast_pays)


def decoder_step(model: UnCLIP, data: SceneSet, batch: int = 16, seed: int = 2, embed_drop: float = 0.1,
                 text_drop: float = 0.5, size: int | None = None):
    """The decoder's trained modules and its loss for one batch; z_i dropped 10% (learned null), captions 50%.

    `size`: train on the renders box-filtered down to this many px (the UNet is fully convolutional,
    so the same network learns shapes at 32 px for a third of the cost); z_i always reads the full renders.
    """
    z_all = image_embeddings(model, data)
    unet, cond = model.decoder, model.conditioning
    process = model.process("decoder")
    schedule = process.schedule
    rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    data = data.to(model.device)  # the renders (N, 3, S, S) uint8 stay beside the network

    def step(_: int) -> torch.Tensor:
        idx, text = _captioned(model, data, batch, text_drop, rng, g)
        drop = (torch.rand(batch, generator=g) < embed_drop).to(model.device)
        z_i = torch.where(drop[:, None], cond.null_image_embed.expand(batch, -1), z_all[idx.to(z_all.device)])
        context, mask, time_term = cond(z_i, text.embed, text.states, text.mask)
        x0 = data.images(idx)  # (B, 3, S, S) in [-1, 1]
        if size is not None and size != x0.shape[-1]:
            x0 = F.avg_pool2d(x0, x0.shape[-1] // size)
        t, eps, x_t = _noised(schedule, x0, g)
        return process.loss(unet(x_t, t, time_term, context, mask), x0, eps, t)

    return {"decoder": unet, "conditioning": cond}, step


def train_decoder(model: UnCLIP, data: SceneSet, steps: int, run_dir: Path, batch: int = 16, seed: int = 2,
                  size: int | None = None, deadline: float | None = None) -> None:
    """The decoder (paper §2.1), trained on `data` for `steps` steps of `batch`."""
    modules, step = decoder_step(model, data, batch, seed, size=size)
    train("decoder", modules, step, steps, run_dir, deadline=deadline, bf16=autocast_pays(model.device),
          **DECODER_LOOP)


def train_upsampler(model: UnCLIP, index: int, steps: int, run_dir: Path, batch: int = 16, seed: int = 3,
                    deadline: float | None = None) -> None:
    """A ×4 upsampler trained on 64 px crops with a degraded low-res crop as conditioning (paper §2.1)."""
    cfg, unet = model.config.upsamplers[index], model.upsamplers[index].first
    process = model.process(f"upsampler{index}")
    schedule = process.schedule
    rng, g = np.random.default_rng(seed + index), torch.Generator().manual_seed(seed + index)

    def step(_: int) -> torch.Tensor:
        target, low = (x.to(model.device) for x in upsampler_batch(rng, batch, cfg.size))
        t, eps, x_t = _noised(schedule, target, g)
        return process.loss(unet(torch.cat([x_t, low], 1), t), target, eps, t)

    train(f"upsampler{index}", {"unet": unet}, step, steps, run_dir, lr=3e-4, deadline=deadline)
