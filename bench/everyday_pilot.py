"""Everyday-world pilot: how fast a 64 px decoder learns to draw things, per CPU minute on one core.

    python bench/everyday_pilot.py probe                       # train and gate the thing probe (cached)
    python bench/everyday_pilot.py train --arch full --steps N  # snapshots at --marks CPU minutes
    python bench/everyday_pilot.py eval --arch full             # top-1 of each snapshot → curve.json
    python bench/everyday_pilot.py rate --arch folded           # CPU seconds a step (to choose --steps)

Run with one thread (torch.set_num_threads(1)); everything goes to --run (default runs/pilot, git-ignored).
World: --things nouns of the atlas spread over its categories, one thing a scene at any of the nine places,
24–40 px, on one of the ten plain backgrounds, with the world's jitter (everyday.single_things), 20,000
renders at 64 px. Conditioning: a learned vector per thing (nn.Embedding, one more row as the null for
guidance, dropped 10%), fed where the decoder takes the CLIP image embedding; no text: the pilot measures
drawing, not CLIP. Networks: the default recipe's decoder (UNet 32/64/128, attention at the lowest level,
DecoderConditioning) as it is ("full"), or behind PixelUnshuffle(2) in / PixelShuffle(2) out ("folded":
the same levels at 32/16/8 px on 12 channels). Training: the project's loop (engine/training/loop.py:
AdamW, warm-up, cosine decay over --steps, EMA, checkpoints) and its noising and v-prediction target;
batch 64, learning rate 5e-4. A snapshot of the EMA weights is kept when the process's CPU time passes each
mark. Judging: one sample per thing and --seeds (DDIM 25 steps, guidance 3), the probe's top-1 noun among
the pilot's things; the probe passes its gate on clean renders first.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.diffusion.guidance import classifier_free  # noqa: E402
from engine.diffusion.process import Process  # noqa: E402
from engine.diffusion.samplers import ddim, run_to_end  # noqa: E402
from engine.diffusion.schedule import respace  # noqa: E402
from engine.nn.conditioning import DecoderConditioning  # noqa: E402
from engine.nn.unet import UNet  # noqa: E402
from engine.training.atlas import load as load_atlas  # noqa: E402
from engine.training.data import SceneSet, nchw, render_all  # noqa: E402
from engine.training.everyday import single_things, spread_nouns  # noqa: E402
from engine.training.everyday_probe import GATE, held_out_top1, logits, train_thing_probe  # noqa: E402
from engine.training.loop import train  # noqa: E402
from engine.training.recipe import DEFAULT_BUNDLE, EVERYDAY_THINGS  # noqa: E402
from engine.training.stages import _noised  # noqa: E402

DECODER = DEFAULT_BUNDLE.decoder
PROBE = {"steps": 2000, "seed": 0, "scenes": 20_000}


class Folded(nn.Module):
    """The UNet behind a first layer that folds 2 × 2 pixels into channels: (B, 3, 64, 64) ↔ (B, 12, 32, 32)."""

    def __init__(self, config) -> None:
        super().__init__()
        self.unet = UNet(replace(config, in_channels=12, out_channels=12))

    def forward(self, x, t, emb_extra=None, context=None, context_mask=None):
        return F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, 2), t, emb_extra, context, context_mask), 2)


def networks(arch: str, things: int) -> dict[str, nn.Module]:
    """The decoder, its conditioning and the per-thing vectors (the last row: the null for guidance)."""
    torch.manual_seed(0)
    unet = UNet(DECODER.network) if arch == "full" else Folded(DECODER.network)
    cond = DecoderConditioning(DECODER.conditioning)
    table = nn.Embedding(things + 1, DECODER.conditioning.clip_dim)
    nn.init.normal_(table.weight, std=1.0)
    return {"decoder": unet, "conditioning": cond, "things": table}


def conditioned(modules: dict[str, nn.Module], labels: torch.Tensor):
    """Context, mask and time term for thing indices (B,): the thing's vector as the image embedding, no text."""
    z = modules["things"](labels)  # (B, D)
    b, d = z.shape
    states, mask = torch.zeros(b, 1, d), torch.zeros(b, 1, dtype=torch.bool)
    return modules["conditioning"](z, torch.zeros_like(z), states, mask)


def dataset(nouns: tuple[str, ...], run: Path, n: int = 20_000, seed: int = 1) -> tuple[SceneSet, torch.Tensor]:
    """The pilot's renders (cached) and each one's thing index."""
    scenes = single_things(np.random.default_rng(seed), n, nouns)
    path = run / f"scenes-{len(nouns)}-{seed}-{n}-{load_atlas().tag}.npy"
    if path.is_file():
        pixels = np.load(path)
    else:
        pixels = nchw(render_all(scenes, 64, workers=1)).numpy()
        np.save(path, pixels)
    index = {w: i for i, w in enumerate(nouns)}
    labels = torch.tensor([index[s.things[0].noun] for s in scenes])
    return SceneSet(scenes, torch.from_numpy(pixels)), labels


def step_function(modules, data: SceneSet, labels: torch.Tensor, batch: int, seed: int = 2, drop: float = 0.1,
                  min_snr: float | None = None):
    """One decoder batch's loss, as stages.decoder_step but conditioned on the things' vectors."""
    process = Process(DECODER.diffusion)
    g = torch.Generator().manual_seed(seed)
    null = modules["things"].num_embeddings - 1

    def step(_: int) -> torch.Tensor:
        idx = data.draw(batch, g)
        y = torch.where(torch.rand(batch, generator=g) < drop, null, labels[idx])
        context, mask, time_term = conditioned(modules, y)
        x0 = data.images(idx)  # (B, 3, 64, 64) in [-1, 1]
        t, eps, x_t = _noised(process.schedule, x0, g)
        return process.loss(modules["decoder"](x_t, t, time_term, context, mask), x0, eps, t, min_snr)

    return step


class Done(Exception):
    """The last mark is passed: the run stops there."""


def cmd_train(args, nouns, run: Path) -> None:
    data, labels = dataset(nouns, run)
    modules = networks(args.arch, len(nouns))
    inner = step_function(modules, data, labels, args.batch, min_snr=args.min_snr)
    out = run / arm(args)
    if (out / "decoder.pt").is_file():
        raise SystemExit(f"{out} holds a run already: a pilot's CPU clock starts at zero (move it away first)")
    out.mkdir(parents=True, exist_ok=True)
    marks = [float(m) for m in args.marks.split(",")]
    cpu0, wall0, log = time.process_time(), time.time(), []

    def step(i: int) -> torch.Tensor:
        cpu = time.process_time() - cpu0
        if i % args.checkpoint_every == 0 and i > 0 and marks and cpu >= 60 * marks[0]:
            saved = torch.load(out / "decoder.pt", weights_only=True)  # written at the end of step i - 1
            assert saved["step"] == i
            torch.save({"modules": saved["ema"], "step": i, "cpu_s": cpu, "wall_s": time.time() - wall0},
                       out / f"snap-{marks[0]:g}.pt")
            log.append({"minutes": marks.pop(0), "step": i, "cpu_s": round(cpu, 1),
                        "wall_s": round(time.time() - wall0, 1)})
            print(f"snapshot {log[-1]}", file=sys.stderr, flush=True)
            (out / "snapshots.json").write_text(json.dumps(log, indent=1))
            if not marks:
                raise Done
        return inner(i)

    try:
        train("decoder", modules, step, args.steps, out, lr=args.lr, checkpoint_every=args.checkpoint_every,
              ema=args.ema, bf16=args.bf16)
    except Done:
        return
    cpu = time.process_time() - cpu0  # the schedule ended before the last mark: its end is a snapshot too
    torch.save({"modules": {k: m.state_dict() for k, m in modules.items()}, "step": args.steps, "cpu_s": cpu,
                "wall_s": time.time() - wall0}, out / f"snap-{cpu / 60:.1f}.pt")
    log.append({"minutes": round(cpu / 60, 1), "step": args.steps, "cpu_s": round(cpu, 1), "end": True})
    (out / "snapshots.json").write_text(json.dumps(log, indent=1))


@torch.no_grad()
def samples(modules, things: int, seeds: int, bf16: bool, steps: int = 25,
            guidance: float = 3.0) -> tuple[torch.Tensor, list]:
    """One DDIM sample per thing and seed: (things·seeds, 3, 64, 64) in [-1, 1], and each one's thing index."""
    process = Process(DECODER.diffusion)
    timesteps, _ = respace(steps)
    labels = torch.arange(things).repeat(seeds)
    null = torch.full_like(labels, things)
    context, mask, time_term = conditioned(modules, torch.cat([null, labels]))  # [uncond; cond]
    unet = modules["decoder"]

    def model(x: torch.Tensor, t: int) -> torch.Tensor:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):  # as trained; the sampler stays float32
            return unet(x, t, time_term, context, mask).float()

    model_fn = classifier_free(model, guidance)
    g = torch.Generator().manual_seed(1234)
    x_T = torch.randn(len(labels), 3, 64, 64, generator=g)
    noise = lambda shape: torch.randn(shape, generator=g)  # noqa: E731 - DDIM with eta 0 draws none
    return run_to_end(ddim(model_fn, x_T, timesteps, process, noise)).clamp(-1, 1), labels.tolist()


def cmd_eval(args, nouns, run: Path) -> None:
    probe = gated_probe(args.judged, run)
    columns = [args.judged.index(n) for n in nouns]  # the probe reads all judged things; the arm drew these
    out = run / arm(args)
    curve = []
    for snap in sorted(out.glob("snap-*.pt"), key=lambda p: float(p.stem[5:])):
        saved = torch.load(snap, weights_only=True)
        modules = networks(args.arch, len(nouns))
        for key, m in modules.items():
            m.load_state_dict(saved["modules"][key])
            m.eval()
        began = time.process_time()
        images, labels = samples(modules, len(nouns), args.seeds, args.bf16)
        scores = logits(probe, images)[:, columns]  # (N, things)
        truth = torch.tensor(labels)
        right = (scores.argmax(1) == truth).tolist()
        top5 = (scores.topk(5, 1).indices == truth[:, None]).any(1).float().mean()
        drawn = {nouns[i] for i, r in zip(labels, right) if r}
        curve.append({"minutes": float(snap.stem[5:]), "step": saved["step"], "cpu_s": round(saved["cpu_s"], 1),
                      "top1": float(np.mean(right)), "top5": float(top5), "things_right": len(drawn),
                      "sample_cpu_s": round(time.process_time() - began, 1)})
        print(curve[-1], file=sys.stderr, flush=True)
        grid = ((images[: min(40, len(images))] + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
        np.save(out / f"samples-{snap.stem[5:]}.npy", grid)
    (out / "curve.json").write_text(json.dumps(curve, indent=1))


def arm(args) -> str:
    """The folder of one arm of the pilot: its network, and its loss weighting when not the plain one."""
    every = "" if args.every == 1 else f"-every{args.every}"
    return args.arch + every + ("" if args.min_snr is None else f"-minsnr{args.min_snr:g}")


def gated_probe(nouns, run: Path):
    probe = train_thing_probe(nouns, cache=run, workers=1, **PROBE)
    top1 = held_out_top1(probe, PROBE["seed"], workers=1)
    print(f"probe: top-1 {top1:.3f} on held-out clean renders (gate {GATE})", file=sys.stderr, flush=True)
    if top1 < GATE:
        raise SystemExit(f"the probe reads only {top1:.1%} of clean renders (gate {GATE:.0%}): it cannot judge")
    (run / "probe.json").write_text(json.dumps({"held_out_top1": top1, "gate": GATE, **PROBE}))
    return probe


def cmd_rate(args, nouns, run: Path) -> None:
    data, labels = dataset(nouns, run)
    modules = networks(args.arch, len(nouns))
    step = step_function(modules, data, labels, args.batch)
    params = [p for m in modules.values() for p in m.parameters()]
    opt = torch.optim.AdamW(params, lr=args.lr)
    autocast = torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16)
    times = []
    for i in range(args.rate_steps):
        began = time.process_time()
        with autocast:
            loss = step(i).float()
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.process_time() - began)
    n = sum(p.numel() for p in modules["decoder"].parameters())
    print(json.dumps({"arch": args.arch, "bf16": args.bf16, "batch": args.batch, "decoder_params": n,
                      "cpu_s_per_step": round(float(np.median(times[2:])), 3)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("probe", "train", "eval", "rate"))
    parser.add_argument("--arch", choices=("full", "folded"), default="folded")
    parser.add_argument("--things", type=int, default=100)
    parser.add_argument("--run", default="runs/pilot")
    parser.add_argument("--steps", type=int, default=3000, help="the cosine schedule's length")
    parser.add_argument("--marks", default="5,10,20,40", help="CPU minutes at which to keep a snapshot")
    parser.add_argument("--batch", type=int, default=16, help="the recipe's decoder batch")
    parser.add_argument("--lr", type=float, default=3e-4, help="the recipe's decoder learning rate")
    parser.add_argument("--ema", type=float, default=0.995, help="the recipe's is 0.999: too slow for 5 minutes")
    parser.add_argument("--fp32", dest="bf16", action="store_false", help="no bfloat16 autocast (the recipe uses it)")
    parser.add_argument("--checkpoint-every", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=2, help="eval: samples per thing")
    parser.add_argument("--rate-steps", type=int, default=12)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--min-snr", type=float, help="weigh the loss by min(SNR, this) (Process.loss); own folder")
    parser.add_argument("--recipe-things", action="store_true",
                        help="the recipe's things (recipe.EVERYDAY_THINGS, 105) instead of --things spread ones")
    parser.add_argument("--every", type=int, default=1,
                        help="train on every k-th of those things only (the probe still reads them all): a quick A/B")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    args.judged = tuple(EVERYDAY_THINGS if args.recipe_things else spread_nouns(args.things))
    nouns = args.judged[::args.every]
    run = Path(args.run) / ("things-recipe" if args.recipe_things else f"things-{args.things}")
    run.mkdir(parents=True, exist_ok=True)
    (run / "things.json").write_text(json.dumps(args.judged))
    if args.command == "probe":
        gated_probe(args.judged, run)
    else:
        {"train": cmd_train, "eval": cmd_eval, "rate": cmd_rate}[args.command](args, nouns, run)


if __name__ == "__main__":
    main()
