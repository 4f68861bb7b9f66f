"""The model card of the embedded default: pictures, measured training times and the eval table."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..model import UnCLIP
from ..pipeline import run
from ..requests import FREE_LAYOUT, ImageVariation, Settings, TextToImage
from .world import Scene, Thing, render

GRID_PROMPTS = [
    "a large red circle on a blue background", "a medium yellow star on a purple background",
    "a large green heart on a white background", "a medium blue square on an orange background",
    "a large pink ring on a black background", "a medium white cross on a green background",
    "a large orange triangle on a cyan background", "a medium purple diamond on a yellow background",
    "a red star on the left", "a blue circle on the top right", "a yellow heart and a blue square",
    "a black diamond on a striped red and white background",
]


def grid(images: list[np.ndarray], cols: int) -> Image.Image:
    rows = [np.concatenate(images[i:i + cols], 1) for i in range(0, len(images), cols)]
    return Image.fromarray(np.concatenate(rows, 0))


def pictures(model: UnCLIP, folder: Path, seed: int = 3) -> None:
    """prompts.png (a grid of prompts at 256 px) and variations.png (a render, then three variations of it;
    the second row as FREE_LAYOUT: layout guidance lowered, each the first of its decoder draws that CLIP accepts)."""
    s = Settings(size=256)
    images = [run(model, TextToImage(p, seeds=(seed,), settings=s))[0].image for p in GRID_PROMPTS]
    grid(images, 4).save(folder / "prompts.png")
    source = render(Scene((Thing("star", "orange", "large", "centre"),), "solid", ("blue", "white")), 256)
    rows = []
    for settings in (s, replace(s, layout_guidance=FREE_LAYOUT.layout_guidance,
                                decoder_candidates=FREE_LAYOUT.decoder_candidates)):
        rows += [source] + [v.image for v in run(model, ImageVariation(
            Image.fromarray(source), seeds=(seed, seed + 1, seed + 2), settings=settings))]
    grid(rows, 4).save(folder / "variations.png")


def training_times(run_dir: Path) -> dict[str, dict]:
    """Steps and wall-clock seconds per stage, from the training logs."""
    out = {}
    for log in sorted(run_dir.glob("*.log.jsonl")):
        last = json.loads(log.read_text().splitlines()[-1])
        out[log.name.removesuffix(".log.jsonl")] = {"steps": last["step"], "seconds": last["seconds"],
                                                    "final loss (smoothed)": round(last["smooth"], 4)}
    return out


def write_card(folder: Path, model: UnCLIP, table_md: str, times: dict, notes: str = "") -> Path:
    """resources/models/<name>/README.md: the world, sizes, training commands and times, eval, pictures."""
    sizes = {name: sum(p.numel() for p in m.parameters()) for name, m in model.modules().items()}
    weights = sum(p.stat().st_size for p in folder.rglob("*.safetensors"))
    rows = "\n".join(f"| {k} | {v['steps']} | {v['seconds'] / 60:.1f} min | {v['final loss (smoothed)']} |"
                     for k, v in times.items())
    text = f"""# {model.config.name} — the embedded default unCLIP

A small unCLIP with every stage of the paper's design — CLIP, diffusion prior, 64 px diffusion decoder,
diffusion upsamplers 64→256 and 256→1024 — trained from scratch by this project on a procedural world
(`engine/training/world.py`): 1–3 objects (circle, square, triangle, star, heart, ring, cross, diamond;
10 colours; 3 sizes; 9 positions) on solid, gradient, striped or dotted backgrounds, with captions such
as "a large red circle on a blue background", "a red star on the left", "a yellow heart and a blue square".
It knows nothing else: it is for trying the studio offline, not for photographs.

## Networks ({weights / 1e6:.1f} MB of fp16 safetensors)

| part | parameters |
|---|---|
""" + "\n".join(f"| {k} | {v / 1e6:.2f} M |" for k, v in sizes.items()) + f"""

CLIP: open_clip ViT (64 px, patch 8) and text transformer, {model.config.clip.embed_dim}-d embeddings,
{model.config.clip.context_length}-token context. Default sampling: prior {model.config.prior.steps} steps at guidance
{model.config.prior.guidance}, decoder {model.config.decoder.steps} steps at guidance {model.config.decoder.guidance}
(decoder candidates accepted at CLIP cosine {model.config.decoder.accept_cosine:g} to z_i),
upsamplers {", ".join(str(u.steps) for u in model.config.upsamplers)} steps; default output {model.config.default_size} px
(1024 px is a final-render option).

## Training (wall clock as logged; the notes below say where each part ran)

```
python main.py train all --run runs/default     # the CPU recipe, resumable: run it again to continue
python main.py train all --run runs/fit --minutes 180  # the recipe fitted to 3 hours of this machine's wall clock
python main.py train all --run runs/gpu --device cuda  # the same recipe on a GPU
python main.py train decoder --run runs/more --init default --device cuda --batch 256 --steps 200000 \\
    --minutes 7 --world mixed                   # train one stage on from this bundle for 7 minutes
python main.py train export --run runs/more --init default  # writes this folder (fp16)
```

| stage | steps | wall clock | final loss |
|---|---|---|---|
{rows}

## Evaluation (`python main.py eval`, seed 0)

{table_md}

{notes}

## Pictures

Prompts (256 px, seed 3; left to right, top to bottom as listed in `engine/training/card.py`):

![prompts](prompts.png)

A render of "a large orange star on a blue background", then three variations of it: above at the
decoder's guidance throughout (the paper's variations), below with layout guidance
{FREE_LAYOUT.layout_guidance:g}, each the first of up to {FREE_LAYOUT.decoder_candidates} decoder draws whose CLIP
embedding reaches the model's accept cosine to z_i
(`--layout-guidance {FREE_LAYOUT.layout_guidance:g} --candidates {FREE_LAYOUT.decoder_candidates}`):

![variations](variations.png)
"""
    path = folder / "README.md"
    path.write_text(text)
    return path
