"""The model card of the embedded default: what it is, what it knows, how it was trained, its eval, its limits."""
from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from ..families import fingerprint
from ..model import UnCLIP
from ..requests import FREE_LAYOUT, ImageVariation, Settings, TextToImage
from . import world
from .world import Scene, Thing, render

GRID_PROMPTS = [
    "a large red circle on a blue background", "a medium yellow star on a purple background",
    "a large green heart on a white background", "a medium blue square on an orange background",
    "a large pink ring on a black background", "a medium white cross on a green background",
    "a large orange triangle on a cyan background", "a medium purple diamond on a yellow background",
    "a red star on the left", "a blue circle on the top right", "a yellow heart and a blue square",
    "a black diamond on a striped red and white background",
]
SECTIONS = ("What it is", "What it knows", "How it was trained", "Evaluation", "Limits", "Pictures")
NOTED = SECTIONS[:5]  # the sections a notes file may add to, under a `## <section>` heading of its own
PICTURE = {"quality": 90, "method": 6}  # the card's pictures: WebP at quality 90, a sixth of a PNG's bytes


def grid(images: list[np.ndarray], cols: int) -> Image.Image:
    rows = [np.concatenate(images[i:i + cols], 1) for i in range(0, len(images), cols)]
    return Image.fromarray(np.concatenate(rows, 0))


def pictures(model: UnCLIP, folder: Path, seed: int = 3) -> None:
    """prompts.webp (a grid of prompts at 256 px) and variations.webp (a render, then three variations of it;
    the second row as FREE_LAYOUT: layout guidance lowered, each the first of its decoder draws that CLIP accepts)."""
    from .. import run  # the engine's one runner; loaded only when pictures are made
    s = Settings(size=256)
    images = [run(model, TextToImage(p, seeds=(seed,), settings=s))[0].image for p in GRID_PROMPTS]
    grid(images, 4).save(folder / "prompts.webp", **PICTURE)
    source = render(Scene((Thing("star", "orange", "large", "centre"),), "solid", ("blue", "white")), 256)
    rows = []
    for settings in (s, replace(s, layout_guidance=FREE_LAYOUT.layout_guidance,
                                decoder_candidates=FREE_LAYOUT.decoder_candidates)):
        rows += [source] + [v.image for v in run(model, ImageVariation(
            Image.fromarray(source), seeds=(seed, seed + 1, seed + 2), settings=settings))]
    grid(rows, 4).save(folder / "variations.webp", **PICTURE)


def training_times(run_dir: Path) -> dict[str, dict]:
    """Steps and wall-clock seconds per stage, from the training logs."""
    out = {}
    for log in sorted(run_dir.glob("*.log.jsonl")):
        last = json.loads(log.read_text().splitlines()[-1])
        out[log.name.removesuffix(".log.jsonl")] = {"steps": last["step"], "seconds": last["seconds"],
                                                    "final loss (smoothed)": round(last["smooth"], 4)}
    return out


def split_notes(notes: str) -> dict[str, str]:
    """A notes file's text by card section (`## What it is` … `## Limits`); text before any heading: Evaluation."""
    chunks, parts = re.split(r"(?m)^## +(.+?) *$", notes), {}
    for title, text in zip(["Evaluation"] + chunks[1::2], chunks[0::2]):
        if title not in NOTED:
            raise ValueError(f"notes: '## {title}' is not a card section that takes notes ({', '.join(NOTED)})")
        if text.strip():
            parts[title] = (parts.get(title, "") + "\n\n" + text.strip()).strip()
    return parts


def _mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*.safetensors")) / 1e6


def _unet(c, size: int) -> str:
    """A UNet config in one line: widths, blocks, where attention sits (px at `size`), its context."""
    levels = [f"{size >> i} px" for i, a in enumerate(c.attention_levels) if a] + ["the middle"] * c.mid_attention
    return (f"UNet, widths {'/'.join(map(str, c.channels))}, {c.layers_per_block} residual block a level, "
            + (f"attention at {' and '.join(levels)}" if levels else "no attention")
            + (f" (cross-attention to {c.context_dim}-wide context tokens)" if c.context_dim else "")
            + (", scale-shift norm" if c.scale_shift else "") + f", {c.in_channels} channels in")


def _diffusion(d, clean: str = "image") -> str:
    predicts = {"sample": f"the clean {clean}", "v_prediction": "v", "epsilon": "ε"}[d.prediction]
    schedule = "cosine" if d.schedule == "squaredcos_cap_v2" else d.schedule
    return f"predicts {predicts}, {schedule} schedule of {d.train_steps} steps"


def _stages(model: UnCLIP, n: dict[str, float], index: dict) -> list[tuple[str, str, float, str, str]]:
    """(stage, network, parameters in M, folder, sampling default) for each stage of the bundle."""
    c, d = model.config, model.config.decoder
    clip = (f"open_clip ViT ({c.clip.image_size} px, patch {c.clip.patch_size}, width {c.clip.vision_width}, "
            f"{c.clip.vision_layers} layers) and text transformer (width {c.clip.text_width}, {c.clip.text_layers} "
            f"layers, {c.clip.text_heads} heads, {c.clip.context_length} tokens); {c.clip.embed_dim}-d embeddings")
    rows = [("CLIP", clip, n["clip"], "clip", "—")]
    if c.prior is not None:
        p = c.prior.network
        prior = (f"causal transformer, width {p.width}, {p.layers} layers, {p.heads} heads, {p.tokens} tokens "
                 f"({p.text_ctx} caption states, the text embedding, the timestep, the noised z_i, a query); "
                 f"{_diffusion(c.prior.diffusion, 'z_i')}")
        rows.append(("prior", prior, n["prior"], "prior", f"{c.prior.steps} steps, guidance {c.prior.guidance:g}"))
    decoder = (f"{d.size} px {_unet(d.network, d.size)}; {_diffusion(d.diffusion)}; the context is the caption's "
               f"token states and {d.conditioning.extra_tokens} tokens made from z_i, which also enters the time "
               f"embedding (that conditioning: {n['conditioning']:.2f} M)")
    rows.append(("decoder", decoder, n["decoder"] + n["conditioning"], "decoder",
                 f"{d.steps} steps, guidance {d.guidance:g}; candidates accepted at CLIP cosine {d.accept_cosine:g}"))
    low = d.size
    for i, (u, name) in enumerate(zip(c.upsamplers, index["upsamplers"])):
        net = (f"{_unet(u.network, u.size)} (noise ⊕ the upsampled image); {_diffusion(u.diffusion)}"
               + ("" if u.last_step_model else "; no last-step model"))
        rows.append((f"upsampler {low}→{u.size}", net, n[f"upsampler{i}.first"] + n.get(f"upsampler{i}.last", 0),
                     name, f"{u.steps} steps"))
        low = u.size
    if model.live is not None:
        lc = model.live.config
        low_w, high_w = lc.guidance_range
        rows.append(("live decoder", f"a one-pass student of the decoder (`python main.py distil`): its UNet and "
                     f"conditioning plus an embedding of the guidance scale w ({low_w:g}–{high_w:g}) added to the time "
                     f"embedding, fitted to the decoder's {lc.teacher_sampler} {lc.teacher_steps}-step images from the "
                     f"same x_T", n["live"], "live_decoder", "1 pass at t = T − 1; previews while a control moves"))
    return rows


def networks(model: UnCLIP, folder: Path) -> str:
    """The 'What it is' table: each stage's network, parameters, fp16 weights on disk and sampling defaults."""
    n = {k: sum(p.numel() for p in m.parameters()) / 1e6 for k, m in model.modules().items()}
    rows = _stages(model, n, json.loads((folder / "model_index.json").read_text()))
    c = model.config
    return ("| stage | network | parameters | fp16 weights | sampling default |\n|---|---|---|---|---|\n"
            + "\n".join(f"| {stage} (`{sub}/`) | {net} | {m:.2f} M | {_mb(folder / sub):.2f} MB | {default} |"
                        for stage, net, m, sub, default in rows)
            + f"\n\nEvery stage samples with {c.sampler.upper()} unless a request names another sampler; the steps "
            f"above are the bundle's defaults (`defaults.json` where it has one: records name every setting, so the "
            f"defaults, like the live decoder, are outside the hash).\n"
            f"In all {sum(n.values()):.2f} M parameters, {_mb(folder):.1f} MB of fp16 safetensors. "
            f"Default output {c.default_size} px; {c.upsamplers[-1].size} px is a final-render option.\nBundle hash "
            f"`{fingerprint(folder)}` (`engine.families.fingerprint`: the configs and weights; this card, its pictures, "
            f"the\n`eval*.json` tables, `vocabulary.json`, `defaults.json` and `live_decoder/` are left out), recorded "
            f"in every PNG the bundle makes.")


class _Forms:
    """A stand-in for a numpy Generator that records the phrasings `world.caption` chooses among."""

    def choice(self, forms):
        self.forms = list(forms)
        return forms[0]


def captions(things: tuple[Thing, ...], background: str = "⟨background⟩") -> list[str]:
    """Every phrasing `world.caption` has for these objects, the background phrase shown as `background`."""
    scene = Scene(things, "solid", ("⟨colour⟩", "⟨colour 2⟩"))
    bg, forms = world._background_phrase(scene, _Forms()), _Forms()
    world.caption(scene, forms)
    return [f.replace(bg, background) for f in forms.forms]


def _quoted(lines: list[str]) -> str:
    return "\n".join(f"- “{line}”" for line in lines)


def templates() -> dict[str, list[str]]:
    """The world's caption templates by object count ("one", "two", "three"), and what ⟨background⟩ stands for
    ("background": one phrase per kind of world.BACKGROUNDS), read from `world.caption`."""
    one = (Thing("⟨shape⟩", "⟨colour⟩", "⟨size⟩", "⟨position⟩"),)
    two = tuple(Thing(f"⟨shape {i}⟩", f"⟨colour {i}⟩", "⟨size⟩", f"⟨position {i}⟩") for i in (1, 2))
    three = tuple(Thing(f"⟨shape {i}⟩", f"⟨colour {i}⟩", "⟨size⟩", f"⟨position {i}⟩") for i in (1, 2, 3))
    return {"one": captions(one), "two": captions(two), "three": captions(three),
            "background": [world._background_phrase(Scene((), kind, ("⟨colour A⟩", "⟨colour B⟩")), _Forms())
                           for kind in world.BACKGROUNDS]}


def knowledge() -> str:
    """The 'What it knows' section: the world's whole vocabulary and caption grammar, read from world.py."""
    forms = templates()
    rgb = ", ".join(f"{k} {tuple(v)}" for k, v in world.COLORS.items())
    places = ", ".join(f"{k} ({x:g}, {y:g})" for k, (x, y) in world.POSITIONS.items())
    sizes = ", ".join(f"{k} {v:g}" for k, v in world.SIZES.items())
    off, scale, turn = f"{world.JITTER['offset']:g}", f"{world.JITTER['scale']:.0%}", f"{world.JITTER['angle']:g}"
    backgrounds_named = ", ".join(world.BACKGROUNDS)
    return f"""\
Exactly the procedural world of `engine/training/world.py`, and nothing else: no photographs, no other objects,
words or styles.

- **Shapes ({len(world.SHAPES)}):** {", ".join(world.SHAPES)}.
- **Colours ({len(world.COLORS)}, RGB):** {rgb}.
- **Sizes ({len(world.SIZES)}, radius as a fraction of the picture):** {sizes}.
- **Positions ({len(world.POSITIONS)}, centre (x, y) with y down):** {places}.
- **Backgrounds ({len(world.BACKGROUNDS)}):** {backgrounds_named}; solid in one of the colours above, the others in
  two of them. No object has a colour of its background.
- **Counts:** 1 to 3 objects a scene. A single object is small, medium or large, at the centre half of the time,
  else at one of the other {len(world.POSITIONS) - 1} positions; two or three objects are small or medium, at distinct
  positions other than the centre.

Captions, one phrasing drawn at random per scene (`world.caption`); a/an follows the next word. One object:

{_quoted(forms["one"])}

where ⟨background⟩ is one of:

{_quoted(forms["background"])}

Two objects, whose sizes are never named (three join as
“{forms["three"][0]}”):

{_quoted(forms["two"])}

The world can also draw unnamed jitter, detail no caption names (`--jitter`: offsets within a position up to {off} of
the picture, sizes ±{scale}, turns ±{turn}°, the pattern's phase).

These words, by group, and these templates ship beside the weights in `vocabulary.json` (read by
`engine.vocabulary`; written by `python main.py train vocabulary` and by `train export`), which no stage reads: the
command line warns when a prompt has none of the words, and goes on."""


def write_card(folder: Path, model: UnCLIP, table_md: str, times: dict, notes: str = "") -> Path:
    """resources/models/<name>/README.md, in the sections of SECTIONS; `notes` adds measured remarks to them."""
    logs = log_table(times)
    body = {
        "What it is": f"""\
A small unCLIP with every stage of the paper's design (Ramesh et al. 2022): CLIP, a diffusion prior, a 64 px
diffusion decoder and diffusion upsamplers, trained from scratch by this project on a procedural world of coloured
shapes. It is for trying the studio offline on a CPU.

{networks(model, folder)}""",
        "What it knows": knowledge(),
        "How it was trained": f"""\
The recipe's commands (`engine/training/command.py: STEPS`; each resumes from its run folder):

```
python main.py train all --run runs/default         # every stage from scratch on the CPU
python main.py train all --run runs/fit --minutes 180  # the same recipe fitted to 180 minutes of wall clock
python main.py train decoder --run runs/more --init default --device cuda --batch 512 --steps 200000 \\
    --minutes 7 --world mixed --scenes 60000        # one stage trained on from this bundle
python main.py train export --run runs/more --init default --out FOLDER  # a bundle folder (fp16)
python main.py train card --run runs/more --out FOLDER --eval eval.json --notes NOTES.md  # pictures, card
```

{logs}""",
        "Evaluation": f"""\
`python main.py eval --out eval.json` (seed 0, float32) trains a probe on renders of the world (cached in `runs/probe`),
gates it on held-out renders, then judges the chain's images with it. The table is that file:

{table_md}""",
        "Limits": "",
        "Pictures": f"""Prompts (256 px, seed 3; left to right, top to bottom as listed in `engine/training/card.py`):

![prompts](prompts.webp)

A render of "a large orange star on a blue background", then three variations of it: above at the decoder's guidance
throughout (the paper's variations), below with layout guidance {FREE_LAYOUT.layout_guidance:g}, each the first of up to
{FREE_LAYOUT.decoder_candidates} decoder draws whose CLIP embedding reaches the model's accept cosine to z_i
(`--layout-guidance {FREE_LAYOUT.layout_guidance:g} --candidates {FREE_LAYOUT.decoder_candidates}`):

![variations](variations.webp)""",
    }
    return assemble(folder, f"{model.config.name} — the embedded default unCLIP", body, notes)


def log_table(times: dict) -> str:
    """The training logs as a table: stage, steps, wall clock, final smoothed loss."""
    rows = "\n".join(f"| {k} | {v['steps']} | {v['seconds'] / 60:.1f} min | {v['final loss (smoothed)']} |"
                     for k, v in times.items())
    return ("Training logs of this bundle (steps, wall clock and smoothed loss as logged):\n\n"
            f"| stage | steps | wall clock | final loss |\n|---|---|---|---|\n{rows}")


def assemble(folder: Path, title: str, body: dict[str, str], notes: str) -> Path:
    """<folder>/README.md: the title, then each of SECTIONS from `body` with the notes' remarks added."""
    extra, parts = split_notes(notes), [f"# {title}"]
    for section in SECTIONS:
        text = "\n\n".join(t for t in (body[section], extra.get(section, "")) if t) or "Not measured for this bundle."
        parts.append(f"## {section}\n\n{text}")
    path = folder / "README.md"
    path.write_text("\n\n".join(parts) + "\n")
    return path
