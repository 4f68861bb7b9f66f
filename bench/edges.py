"""Image edges per stage, and whether the 1024 px stage beats a plain 4× resize of the 256 px image.

    python bench/edges.py [--prompts 12] [--seeds 0,1] [--padding zero,reflect] [--crops 32] [--json]

Renders each prompt (single objects of engine/training/world.py, every attribute named) at 1024 px through the
whole chain once per value of `Settings.upsampler_padding`, and reads the decoder's 64 px image and the 256 px
image from the last step of their stages (a stage's last pred_x0 is its output: the samplers' last step returns it).

- Edge ratio, per stage output: the spread (std, 8-bit levels) of the outermost row or column minus its inner
  neighbour, over the spread of the same difference between neighbouring rows and columns ≥ 2 px inside
  (corners left out, all channels and images pooled). 1 means the border looks like the interior.
- 1024 px against the 256 px image resized 4× bicubically (`bicubic ×4`): the probe's verdicts
  (engine/training/probe.py, as engine/training/chain_rows.py judges images: shape, colour, background colour)
  and a Laplacian split on the luma (mean of RGB) and chroma (RGB − luma): coloured speckle and grain are the
  RMS chroma and luma Laplacian on flat pixels, edges the RMS luma Laplacian on edge pixels (flat / edge: the
  resize's luma gradient below 1 / above 6 levels a pixel; for the 256 px row, the 64 px image's resize), in
  8-bit levels.
- Crops (ground truth): each upsampler on `--crops` 64 px crops of world renders conditioned on the crop rendered
  at a quarter of the size (its training task, without the blur), against the crop's render: RMS error over the
  whole crop and on its border ring, and the Laplacian energy of output and truth; `bicubic` is the conditioning.
  The last (1024 px) stage is also run with other samplers and step counts, and started from its conditioning
  noised to a lower level (t0) instead of from pure noise: what inference alone can do for it.

The probe is trained here (cached in runs/probe) and its held-out accuracy is reported beside its verdicts.
"""
from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine import Finished, Settings, StageKind, StepDone, TextToImage, load_bundle, serve  # noqa: E402
from engine.diffusion.noise import PerImageNoise  # noqa: E402
from engine.diffusion.samplers import SAMPLERS  # noqa: E402
from engine.events import drain  # noqa: E402
from engine.stages.upsampler import edge_margin, edge_padding, upsample  # noqa: E402
from engine.training.judging import attribute_accuracy  # noqa: E402
from engine.training.probe import held_out_accuracy, train_probe  # noqa: E402
from engine.training.world import Scene, render, sample_scene  # noqa: E402

FLAT, EDGE = 1.0, 6.0  # luma gradient (8-bit levels a pixel) below which a pixel is flat, above which an edge
LAPLACE = torch.tensor([[0., 1., 0.], [1., -4., 1.], [0., 1., 0.]]).view(1, 1, 3, 3)


def background_phrase(scene: Scene) -> str:
    a, b = scene.colors
    if scene.background == "solid":
        return f"{'an' if a[0] in 'aeiou' else 'a'} {a} background"
    if scene.background == "gradient":
        return f"{'an' if a[0] in 'aeiou' else 'a'} {a} and {b} gradient"
    return f"a {'striped' if scene.background == 'stripes' else 'dotted'} {a} and {b} background"


def prompts(n: int, seed: int) -> list[tuple[Scene, str]]:
    """n single-object scenes of the world, each with the caption form that names all of it."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        sc = sample_scene(rng, max_things=1)
        t = sc.things[0]
        out.append((sc, f"a picture of a {t.size} {t.color} {t.shape} on the {t.position} of {background_phrase(sc)}"))
    return out


def levels(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] → the saved image's 8-bit levels as float (0–255)."""
    return ((x.float().clamp(-1, 1) + 1) * 127.5).round()


def from_uint8(pixels: np.ndarray) -> torch.Tensor:
    """(B, H, W, 3) or (H, W, 3) uint8 → (B, 3, H, W) float levels."""
    t = torch.from_numpy(np.asarray(pixels)).float()
    return (t[None] if t.dim() == 3 else t).permute(0, 3, 1, 2)


def edge_spread(x: torch.Tensor) -> dict[str, float]:
    """Edge and interior spreads (std of neighbour differences, levels) of images (B, 3, H, W), and their ratio."""
    rows, cols = x[..., 1:, :] - x[..., :-1, :], x[..., :, 1:] - x[..., :, :-1]  # (B, 3, H-1, W), (B, 3, H, W-1)
    edge = torch.cat([rows[..., 0, 1:-1].flatten(), rows[..., -1, 1:-1].flatten(),
                      cols[..., 1:-1, 0].flatten(), cols[..., 1:-1, -1].flatten()])
    inner = torch.cat([rows[..., 2:-2, 1:-1].flatten(), cols[..., 1:-1, 2:-2].flatten()])
    e, i = float(edge.std()), float(inner.std())
    return {"edge": round(e, 3), "interior": round(i, 3), "ratio": round(e / i, 3)}


def laplacian(x: torch.Tensor) -> torch.Tensor:
    """4-neighbour Laplacian of each channel (B, C, H, W), edges replicated."""
    b, c, h, w = x.shape
    return F.conv2d(F.pad(x.reshape(b * c, 1, h, w), (1, 1, 1, 1), mode="replicate"), LAPLACE).view(b, c, h, w)


def luma_gradient(x: torch.Tensor) -> torch.Tensor:
    """|∇ luma| by central differences (B, 1, H, W), levels a pixel."""
    y = F.pad(x.mean(1, keepdim=True), (1, 1, 1, 1), mode="replicate")
    gx, gy = (y[..., 1:-1, 2:] - y[..., 1:-1, :-2]) / 2, (y[..., 2:, 1:-1] - y[..., :-2, 1:-1]) / 2
    return (gx ** 2 + gy ** 2).sqrt()


def noise_split(x: torch.Tensor, reference: torch.Tensor) -> dict[str, float]:
    """Coloured speckle and grain on the reference's flat pixels, luma Laplacian on its edge pixels (levels)."""
    luma = x.mean(1, keepdim=True)
    lap_luma, lap_chroma = laplacian(luma), laplacian(x - luma)
    g = luma_gradient(reference)
    flat, edge = g < FLAT, g > EDGE
    rms = lambda v, m: float(v.pow(2)[m.expand_as(v)].mean().sqrt())  # noqa: E731
    return {"speckle (chroma, flat)": round(rms(lap_chroma, flat), 3),
            "grain (luma, flat)": round(rms(lap_luma, flat), 3),
            "edges (luma, edge pixels)": round(rms(lap_luma, edge), 3),
            "flat share": round(float(flat.float().mean()), 3)}


def chain(model, scenes_prompts, seeds: tuple[int, ...], padding: str) -> dict[str, torch.Tensor]:
    """Each prompt at 1024 px: the 64 px, 256 px and 1024 px stage outputs as levels (N·S, 3, H, W)."""
    out: dict[str, list] = {"64": [], "256": [], "1024": []}
    for i, (_, prompt) in enumerate(scenes_prompts):
        print(f"\r  {padding}: {i + 1}/{len(scenes_prompts)}", end="", file=sys.stderr, flush=True)
        last: dict[str, np.ndarray] = {}

        def keep(event) -> None:
            if isinstance(event, StepDone) and event.step == event.steps and event.stage.kind is not StageKind.PRIOR:
                last[str(event.stage.size)] = event.preview  # (B, H, W, 3) uint8 of the stage's output

        end = serve(model, TextToImage(prompt, seeds=seeds, settings=Settings(size=1024, upsampler_padding=padding)),
                    previews=True, on_event=keep)
        if not isinstance(end, Finished):
            raise RuntimeError(f"{prompt!r}: {end}")
        out["64"].append(from_uint8(last["64"]))
        out["256"].append(from_uint8(last["256"]))
        out["1024"].append(from_uint8(np.stack([r.image for r in end.images])))
    print(file=sys.stderr)
    return {k: torch.cat(v) for k, v in out.items()}


def resize4(x: torch.Tensor) -> torch.Tensor:
    """Levels (B, 3, h, h) → levels at 4h, bicubic (as the upsamplers' conditioning), rounded like a saved image."""
    return levels(F.interpolate(x / 127.5 - 1, scale_factor=4, mode="bicubic", align_corners=False, antialias=True))


VARIANTS = [(f"reflect, {sampler.upper()}{' η = 0' if sampler == 'ddim' else ''}, {k} steps",
             Settings(upsampler_padding="reflect", sampler=sampler, upsampler_steps=k))
            for sampler, k in (("ddim", 5), ("ddpm", 3), ("ddpm", 10), ("ddim", 10))]
STARTS = [(250, 2), (100, 2), (50, 2)]  # SDEdit-like: the bicubic conditioning noised to t0, then k DDPM steps


def drain_upsample(up, process, low: torch.Tensor, model, n: int, index: int, s: Settings) -> torch.Tensor:
    """The stage's own code (engine.stages.upsampler.upsample) on low-res crops (n, 3, 16, 16) → (n, 3, 64, 64)."""
    gen = upsample(up.first, up.last, process, low.to(model.device, model.dtype), 64,
                   PerImageNoise(list(range(n)), f"crops{index}", model.device), s.upsampler_steps, s)
    with torch.inference_mode():
        return drain(gen)


def from_noised(up, process, low: torch.Tensor, model, n: int, index: int, t0: int, k: int) -> torch.Tensor:
    """The upsampler started from its bicubic conditioning noised to t0 (not the pure noise at T), k DDPM steps."""
    noise = PerImageNoise(list(range(n)), f"crops{index}", model.device)
    cond = F.interpolate(low.float(), size=64, mode="bicubic", align_corners=False, antialias=True)
    x = process.schedule.q_sample(cond.to(model.device), t0, noise(cond.shape))
    timesteps = [round(t0 * (1 - i / k)) for i in range(k)]
    m = edge_margin(up.first)
    padded = F.pad(cond, (m, m, m, m), mode="reflect").to(model.device, model.dtype)

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        h = torch.cat([F.pad(x_t.to(model.dtype), (m, m, m, m), mode="reflect"), padded], dim=1)
        return up.first(h, t)[..., m:-m, m:-m]

    with torch.inference_mode():
        for step in SAMPLERS["ddpm"](model_fn, x, timesteps, process, noise):
            x = step.x
    return x.clamp(-1, 1)


def crops(model, n: int, seed: int, paddings: list[str]) -> dict:
    """Each upsampler on n crops of world renders (its training task), against the crop's own render."""
    res: dict = {}
    rng = np.random.default_rng(seed)
    for index, cfg in enumerate(model.config.upsamplers):
        cells = cfg.size // 64
        truth, low = [], []
        for _ in range(n):
            sc = sample_scene(rng)
            cx, cy = rng.integers(0, cells, 2)
            window = (cx / cells, cy / cells, (cx + 1) / cells, (cy + 1) / cells)
            truth.append(render(sc, 64, window, supersample=2 if cfg.size > 256 else 4))
            low.append(render(sc, 16, window))
        truth_t = from_uint8(np.stack(truth))
        low_t = from_uint8(np.stack(low)) / 127.5 - 1  # (n, 3, 16, 16) in [-1, 1]
        up, process = model.upsamplers[index], model.process(f"upsampler{index}")
        outs = {"bicubic": levels(F.interpolate(low_t, size=64, mode="bicubic", align_corners=False, antialias=True))}
        for padding in paddings:
            s = Settings(upsampler_padding=padding, upsampler_steps=cfg.steps)
            outs[f"{padding}, {cfg.steps} steps"] = levels(drain_upsample(up, process, low_t, model, n, index, s).cpu())
        if index == len(model.config.upsamplers) - 1:  # the last stage: other samplers, steps and start levels
            for name, settings in VARIANTS:
                outs[name] = levels(drain_upsample(up, process, low_t, model, n, index, settings).cpu())
            for t0, k in STARTS:
                outs[f"from the noised conditioning at t = {t0}, {k} steps"] = levels(
                    from_noised(up, process, low_t, model, n, index, t0, k).cpu())
        ring = torch.zeros(1, 1, 64, 64, dtype=torch.bool)
        ring[..., 0, :] = ring[..., -1, :] = ring[..., :, 0] = ring[..., :, -1] = True
        row = {}
        for name, x in outs.items():
            err = (x - truth_t).pow(2)
            row[name] = {"rms error": round(float(err.mean().sqrt()), 2),
                         "rms error, border ring": round(float(err[ring.expand_as(err)].mean().sqrt()), 2),
                         "rms error, ≥ 4 px inside": round(float(err[..., 4:-4, 4:-4].mean().sqrt()), 2),
                         "laplacian rms": round(float(laplacian(x).pow(2).mean().sqrt()), 2)}
        row["truth"] = {"laplacian rms": round(float(laplacian(truth_t).pow(2).mean().sqrt()), 2)}
        res[f"{cfg.size} px ({n} crops)"] = row
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"))
    parser.add_argument("--prompts", type=int, default=12)
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--prompt-seed", type=int, default=31)
    parser.add_argument("--padding", default="zero,reflect", help="values of Settings.upsampler_padding to compare")
    parser.add_argument("--crops", type=int, default=32, help="crops per upsampler for the ground-truth rows; 0: none")
    parser.add_argument("--probe-steps", type=int, default=1000)
    parser.add_argument("--probe-scenes", type=int, default=12_000)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (one is fastest on a busy machine)")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    seeds = tuple(int(s) for s in args.seeds.split(","))
    paddings = args.padding.split(",")
    model = load_bundle(args.model, "cpu", getattr(torch, args.dtype))
    items = prompts(args.prompts, args.prompt_seed)
    scenes = [sc for sc, _ in items for _ in seeds]  # in the order of the images

    print("probe …", file=sys.stderr)
    probe = train_probe(args.probe_steps, 0, scenes=args.probe_scenes, cache=ROOT / "runs" / "probe")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout
    table: dict = {
        "date": datetime.date.today().isoformat(), "commit": commit.strip(), "command": " ".join(sys.argv),
        "dtype": args.dtype, "threads": torch.get_num_threads(), "seeds": list(seeds),
        "prompts": [p for _, p in items],
        "probe": {"steps": args.probe_steps, "scenes": args.probe_scenes,
                  "held-out renders": {k: round(v, 3) for k, v in held_out_accuracy(probe, 0, 200).items()}},
        "default padding (Settings())": {f"upsampler{i}": edge_padding(Settings(), u)
                                         for i, u in enumerate(model.config.upsamplers)},
        "padding": {},
    }
    decoder_images = None
    for padding in paddings if args.prompts else ():
        x = chain(model, items, seeds, padding)
        if decoder_images is not None:
            assert torch.equal(decoder_images, x["64"]), "the padding changed the decoder's image"
        decoder_images = x["64"]
        bicubic = resize4(x["256"])
        row = {"edge ratio": {"64 px (decoder)": edge_spread(x["64"]), "256 px": edge_spread(x["256"]),
                              "1024 px": edge_spread(x["1024"]), "bicubic ×4 of 256 px": edge_spread(bicubic)}}

        def judge(images: torch.Tensor) -> dict[str, float]:
            return {k: round(v, 3) for k, v in attribute_accuracy(probe, images / 127.5 - 1, scenes).items()}

        row["probe"] = {"64 px": judge(x["64"]), "256 px": judge(x["256"]), "1024 px": judge(x["1024"]),
                        "bicubic ×4 of 256 px": judge(bicubic)}
        row["laplacian split (levels)"] = {"256 px": noise_split(x["256"], resize4(x["64"])),
                                           "1024 px": noise_split(x["1024"], bicubic),
                                           "bicubic ×4 of 256 px": noise_split(bicubic, bicubic)}
        row["1024 px vs bicubic ×4: rms difference (levels)"] = round(
            float((x["1024"] - bicubic).pow(2).mean().sqrt()), 2)
        table["padding"][padding] = row
    if args.crops:
        print("crops …", file=sys.stderr)
        table["crops (truth: the render)"] = crops(model, args.crops, args.prompt_seed + 1, paddings)
    table["seconds"] = round(time.perf_counter() - start, 1)
    if args.json:
        print(json.dumps(table, indent=1, ensure_ascii=False))
        return
    for key, value in table.items():
        if not isinstance(value, dict):
            print(f"{key}: {value}")
            continue
        print(f"{key}:")
        for k, v in value.items():
            print(f"  {k}: {v}" if not isinstance(v, dict) else f"  {k}:")
            if isinstance(v, dict):
                for k2, v2 in v.items():
                    print(f"    {k2}: {v2}")


if __name__ == "__main__":
    main()
