"""`python main.py distil`: fit a bundle's one-step live decoder to its 64 px decoder, then add it to the bundle.

Knowledge distillation of a deterministic sampler (Luhman & Luhman 2021): the teacher, the bundle's decoder with
a multistep solver, renders world scenes' z_i and captions from saved x_T at guidance scales w drawn from the
live range; the student, started from the teacher's weights, learns x_T, z_i, caption, w → the teacher's image in
one pass at t = T − 1, with w embedded beside the time step (Meng et al. 2023's w-conditioning). The pairs are
made once and kept in --run; training resumes from its checkpoint and fits --minutes as `train` does.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import UserError
from ..events import drain
from ..families import load_bundle, save_live
from ..model import UnCLIP
from ..nn.live import LiveConfig, LiveDecoder
from ..requests import Settings
from ..stages.decoder import decode
from .data import scene_set
from .loop import autocast_pays, logged_seconds, train
from .stages import image_embeddings

PAIRS = "pairs.pt"


def student(model: UnCLIP, config: LiveConfig) -> LiveDecoder:
    """A live decoder holding copies of the teacher's UNet and conditioning (its guidance term starts at zero)."""
    live = LiveDecoder(config)
    live.unet.load_state_dict(model.decoder.state_dict())
    live.conditioning.load_state_dict(model.conditioning.state_dict())
    return live.float()


@torch.no_grad()
def teacher_pairs(model: UnCLIP, config: LiveConfig, count: int, seed: int, batch: int = 32,
                  scenes: int | None = None) -> dict[str, torch.Tensor]:
    """`count` teacher renders of world scenes (`scenes` of them, default one a render): x_T (N, 3, S, S),
    z_i (N, D), caption encodings, w (N,), image (N, 3, S, S)."""
    data = scene_set(scenes or count, model.config.decoder.size, seed)
    z_all = image_embeddings(model, data)
    rng, g = np.random.default_rng(seed), torch.Generator().manual_seed(seed)
    process, size = model.process("decoder"), model.config.decoder.size
    low, high = config.guidance_range
    out: dict[str, list] = {k: [] for k in ("x_T", "z_i", "embed", "states", "mask", "w", "image")}
    began = time.time()
    for start in range(0, count, batch):
        b = min(batch, count - start)
        idx = data.draw(b, g)
        captions = ["" if rng.random() < 0.5 else c for c in data.captions(idx, rng)]  # as the decoder learnt
        text, uncond = model.clip.encode_text(captions), model.clip.encode_text([""] * b)
        w = float(rng.uniform(low, high))  # one scale a batch: the guidance is written once, for a whole batch
        s = Settings(sampler=config.teacher_sampler, decoder_steps=config.teacher_steps, decoder_guidance=w,
                     layout_guidance=w)
        x_T = torch.randn((b, 3, size, size), generator=g)
        steps = decode(model.decoder, model.conditioning, process, z_all[idx], text, uncond,
                       lambda shape: torch.randn(shape, generator=g), size, s, x_T)
        image = drain(steps)
        for key, value in (("x_T", x_T), ("z_i", z_all[idx]), ("embed", text.embed), ("states", text.states),
                           ("mask", text.mask), ("w", torch.full((b,), w)), ("image", image)):
            out[key].append(value.float().cpu() if value.is_floating_point() else value.cpu())
        print(f"\r  teacher: {start + b}/{count} ({time.time() - began:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    return {k: torch.cat(v) for k, v in out.items()}


def distil(model: UnCLIP, pairs: dict[str, torch.Tensor], config: LiveConfig, steps: int, run_dir: Path,
           batch: int = 16, seed: int = 5, deadline: float | None = None, lr: float = 1e-4) -> LiveDecoder:
    """Train the student on the pairs (MSE on the image, the weight average kept); resumes from run_dir."""
    live = student(model, config)
    process = model.process("decoder")
    t = process.schedule.train_steps - 1
    g = torch.Generator().manual_seed(seed)

    def step(_: int) -> torch.Tensor:
        idx = torch.randint(0, len(pairs["w"]), (batch,), generator=g)
        x_T = pairs["x_T"][idx]
        out = live(x_T, t, pairs["z_i"][idx], pairs["embed"][idx], pairs["states"][idx], pairs["mask"][idx],
                   pairs["w"][idx])
        pred, _ = process.split(out.float(), x_T)
        return F.mse_loss(process.pred_x0(x_T, t, pred, clamp=False), pairs["image"][idx])

    train("live", {"live": live}, step, steps, run_dir, lr=lr, warmup=50, ema=0.99, bf16=autocast_pays(model.device),
          deadline=deadline)
    return live.eval().requires_grad_(False)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="unclip-studio distil", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="the bundle whose decoder is the teacher")
    parser.add_argument("--run", default="runs/live", help="pairs and checkpoint folder (resumes from it)")
    parser.add_argument("--pairs", type=int, default=1024, help="teacher renders to fit (made once, kept in --run)")
    parser.add_argument("--steps", type=int, default=2000, help="training steps (at most; --minutes may end sooner)")
    parser.add_argument("--minutes", type=float, help="fit the training to this wall clock; time logged counts")
    parser.add_argument("--teacher-steps", type=int, default=LiveConfig.teacher_steps)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", help="write live_decoder/ into this bundle folder (default: the --model folder "
                        "if it is a folder); its fingerprint does not change")
    args = parser.parse_args(argv)
    if args.pairs < 1 or args.steps < 1 or args.teacher_steps < 1:
        raise UserError("--pairs, --steps and --teacher-steps must be positive")
    model = load_bundle(args.model)
    if model.conditioning is None or model.config.decoder.diffusion.prediction == "epsilon":
        raise UserError(f"{args.model}: the live decoder is distilled from a v- or x0-predicting pixel decoder "
                        "(one step from x_T needs x_0 from the network's output)")
    out = Path(args.out) if args.out else Path(args.model) if Path(args.model).is_dir() else None
    if out is None:
        raise UserError("--out: name the bundle folder the live decoder goes into")
    config = replace(live_config_of(model), teacher_steps=args.teacher_steps)
    run_dir = Path(args.run)
    run_dir.mkdir(parents=True, exist_ok=True)
    if (run_dir / PAIRS).is_file():
        pairs = torch.load(run_dir / PAIRS, weights_only=True)
    else:
        pairs = teacher_pairs(model, config, args.pairs, args.seed)
        torch.save(pairs, run_dir / PAIRS)
    deadline = None
    if args.minutes is not None:
        deadline = time.time() + args.minutes * 60 - logged_seconds(run_dir / "live.log.jsonl")
    live = distil(model, pairs, config, args.steps, run_dir, deadline=deadline)
    print(save_live(live, config, out))


def live_config_of(model: UnCLIP) -> LiveConfig:
    """The live decoder config a bundle's decoder implies (its shapes, a guidance range covering its own w)."""
    decoder = model.config.decoder
    return replace(LiveConfig(), network=decoder.network, conditioning=decoder.conditioning,
                   guidance_range=(1.0, max(8.0, 2 * decoder.guidance)))
