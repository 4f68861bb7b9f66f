"""`python main.py train STAGE`: train the embedded default stage by stage, resumable, then export it."""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import replace
from pathlib import Path

import torch

from ..config import BundleConfig
from ..devices import resolve_device
from ..errors import UserError
from ..families import default_bundle_path, load_bundle, save_bundle
from ..families.files import write_vocabulary
from ..model import UnCLIP
from .card import pictures, training_times, write_card
from .data import FAVOURED, scene_set
from .loop import logged_seconds
from .everyday import everyday_set
from .everyday_card import write_everyday_card
from .recipe import RECIPES, Recipe, Segment
from .stages import train_clip, train_decoder, train_prior, train_upsampler
from .table import markdown
from .vocabulary import world_vocabulary
from .world import SHAPES

STAGES = ("clip", "prior", "decoder", "upsampler0", "upsampler1")


class Budget:
    """A wall-clock budget shared by the segments still to run, in proportion to their recipe minutes."""

    def __init__(self, seconds: float, weights: list[float]) -> None:
        self.deadline, self.weights = time.time() + seconds, list(weights)

    def next_seconds(self) -> float:
        """Seconds for the next segment: its share of the time left among the segments still to run."""
        left = max(0.0, self.deadline - time.time())  # a segment that ran short or long moves the rest
        share = self.weights[0] / sum(self.weights)
        self.weights.pop(0)
        return left * share

    @staticmethod
    def spent(run_dir: Path, stages: tuple[str, ...]) -> float:
        """Training seconds the stages' loss logs already hold (a resumed budget counts them)."""
        return sum(logged_seconds(run_dir / f"{stage}.log.jsonl") for stage in stages)


def trained_model(run_dir: Path, init: str | None = None, recipe: Recipe = RECIPES["shapes"]) -> UnCLIP:
    """The recipe's bundle with every stage trained so far; other stages random, or from the bundle `init`."""
    model = UnCLIP.random(recipe.bundle, seed=0) if init is None else initial_bundle(init, recipe)
    parts = {"clip": {"clip": model.clip.towers}, "prior": {"prior": model.prior},
             "decoder": {"decoder": model.decoder, "conditioning": model.conditioning},
             **{f"upsampler{i}": {"unet": u.first} for i, u in enumerate(model.upsamplers)}}
    for stage, modules in parts.items():
        path = run_dir / f"{stage}.pt"  # (an everyday run's upsamplers stay the init bundle's)
        if path.is_file():
            saved = torch.load(path, weights_only=True, map_location="cpu")
            state = saved.get("ema", saved["modules"])  # the weight average where the stage kept one
            for key, module in modules.items():
                module.load_state_dict(state[key])
    return model.eval()


def recipe_sampling(config: BundleConfig, bundle: BundleConfig) -> BundleConfig:
    """The config with the recipe's sampler and steps in place of a bundle's defaults.json, and no live decoder:
    what its stage configs hold, and what an export writes."""
    c = replace(config, live=None, sampler=bundle.sampler,
                decoder=replace(config.decoder, steps=bundle.decoder.steps),
                upsamplers=tuple(replace(u, steps=r.steps) for u, r in zip(config.upsamplers, bundle.upsamplers)))
    return c if c.prior is None or bundle.prior is None else replace(c, prior=replace(c.prior,
                                                                                       steps=bundle.prior.steps))


def initial_bundle(spec: str, recipe: Recipe = RECIPES["shapes"]) -> UnCLIP:
    """A bundle of the recipe's shape to start from (float32, CPU), or a one-line error. A recipe whose decoder
    differs (the everyday one's is folded) takes every other network from `spec` and starts its decoder afresh."""
    model = load_bundle(spec)
    model.live = None  # a live decoder is distilled from the decoder a bundle ships with, after training
    model.config = recipe_sampling(model.config, recipe.bundle)
    if replace(model.config, name=recipe.bundle.name) == recipe.bundle:
        return model
    if replace(model.config, name=recipe.bundle.name, decoder=recipe.bundle.decoder) != recipe.bundle:
        raise UserError(f"--init {spec}: its networks are not the shape of the {recipe.name} recipe "
                        "(engine/training/recipe.py), so its weights cannot seed this training")
    fresh = UnCLIP.random(recipe.bundle, seed=0)
    model.config, model.decoder, model.conditioning = recipe.bundle, fresh.decoder, fresh.conditioning
    return model


def run(stage: str, run_dir: Path, steps: int | None, scenes: int, seed: int, device: str = "cpu",
        init: str | None = None, batch: int | None = None, budget: Budget | None = None,
        world: str | None = None, favour: str | None = None, jitter: bool = False, workers: int | None = None,
        recipe: Recipe = RECIPES["shapes"]) -> None:
    """Train one stage through its schedule segments (earlier stages' checkpoints are loaded first).

    `steps` replaces the recipe's segments with one on `world`; `favour`: a shape whose scenes are drawn more
    often; `jitter`: every segment's scenes carry unnamed jitter; `budget` fits each segment to its share of a
    wall-clock budget (the loop measures its rate and shortens its cosine schedule to what fits). `workers`: CLIP's
    batch-drawing processes (None: none on the CPU, where the recipe's stream is drawn in this process; one per
    spare core, at most 12, on an accelerator, whose steps outrun one process's rendering of the twins).
    """
    sized = {} if batch is None else {"batch": batch}
    torch.backends.cudnn.benchmark = device.startswith("cuda")  # fixed shapes: let cuDNN time its kernels once
    for segment in segments(stage, steps, world, recipe):
        opts = {**sized, **share(budget)}
        torch.manual_seed(seed)
        model = trained_model(run_dir, init, recipe).to(device)
        if stage.startswith("upsampler"):
            train_upsampler(model, int(stage[-1]), segment.until, run_dir, **opts)
            continue
        data = world_set(recipe, segment, scenes, seed, run_dir, favour, jitter)
        if stage == "decoder":
            train_decoder(model, data, segment.until, run_dir, size=segment.size, **opts)
            continue
        if stage == "clip":
            train_clip(model, data, segment.until, run_dir, workers=clip_workers(device, workers), **opts)
            continue
        train_prior(model, data, segment.until, run_dir, **opts)


def clip_workers(device: str, workers: int | None) -> int:
    """CLIP's batch-drawing processes: as asked, else none on the CPU and one per spare core (≤ 12) elsewhere."""
    if workers is not None:
        return workers
    return 0 if torch.device(device).type == "cpu" else max(0, min(12, (os.cpu_count() or 1) - 1))


def world_set(recipe: Recipe, segment: Segment, scenes: int, seed: int, run_dir: Path, favour: str | None,
              jitter: bool):
    """The segment's rendered scenes at the decoder's size: the everyday world's or the shapes world's."""
    size = recipe.bundle.decoder.size
    if segment.world == "everyday":
        return everyday_set(scenes, size, seed, run_dir, jitter, recipe.things)
    return scene_set(scenes, size, seed, cache=run_dir, world=segment.world, favour=favour, jitter=jitter)


def segments(stage: str, steps: int | None, world: str | None = None,
             recipe: Recipe = RECIPES["shapes"]) -> tuple[Segment, ...]:
    """The stage's recipe segments, or one segment to `steps` on `world` (None: the recipe's own world)."""
    if steps is not None:
        return (Segment(steps, world or ("everyday" if recipe.things else "full")),)
    return recipe.steps[stage]


def share(budget: Budget | None) -> dict[str, float]:
    """The next segment's `deadline` argument: now plus its share of the budget's time left (none without one).

    Called before the segment loads its model and data, so that work comes out of its own share."""
    return {} if budget is None else {"deadline": time.time() + budget.next_seconds()}


def export(run_dir: Path, out: Path, init: str | None = None, recipe: Recipe = RECIPES["shapes"]) -> Path:
    """Write the trained stages (the rest from `init`) as an embedded bundle (fp16 safetensors), with the world's
    vocabulary.json."""
    missing = [s for s in STAGES if not (run_dir / f"{s}.pt").is_file()]
    if missing and init is None:
        raise UserError(f"cannot export: stages not trained yet: {', '.join(missing)} (in {run_dir})")
    model = trained_model(run_dir, init, recipe)
    model.vocabulary = world_vocabulary(recipe.things)
    return save_bundle(model, out, dtype=torch.float16)


def card(run_dir: Path, folder: Path, eval_json: Path, notes: Path | None, recipe: Recipe = RECIPES["shapes"]) -> Path:
    """Pictures and README.md for an exported bundle, from its training logs and eval table."""
    model = load_bundle(str(folder))
    table = markdown(json.loads(eval_json.read_text()))
    text = notes.read_text() if notes else ""
    if recipe.things:
        return write_everyday_card(folder, model, table, training_times(run_dir), text)
    pictures(model, folder)
    return write_card(folder, model, table, training_times(run_dir), text)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="unclip-studio train", description=__doc__)
    parser.add_argument("stage", choices=STAGES + ("all", "export", "card", "vocabulary"),
                        help="a stage, all of them, or: export a bundle, write its card, write its vocabulary.json")
    parser.add_argument("--run", default="runs/default", help="checkpoint folder (resumes from it)")
    parser.add_argument("--steps", type=int, help="train the stage to this step (default: the recipe's segments)")
    parser.add_argument("--scenes", type=int, default=20000, help="rendered scenes for CLIP, prior and decoder")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu", help="train on this torch device (cpu, cuda, cuda:1 …)")
    parser.add_argument("--init", help="start from this bundle's weights (e.g. default) where --run has no checkpoint")
    parser.add_argument("--batch", type=int, help="batch size for the stage (default: the recipe's)")
    parser.add_argument("--minutes", type=float, help="fit the training to this wall clock: each segment of the "
                        "recipe (or the one --steps segment) gets its share of the time left and runs as many steps "
                        "as its measured rate fits, at most its own; training time already logged in --run counts")
    parser.add_argument("--recipe", choices=tuple(RECIPES), default="shapes",
                        help="the bundle to train: the shapes world's, or the everyday world's (engine/training/"
                        "recipe.py; everyday trains CLIP, prior and decoder, seeding the rest from --init)")
    parser.add_argument("--world", choices=("full", "centred", "mixed", "everyday"),
                        help="with --steps: the scenes CLIP, prior or decoder train on (default: the recipe's; "
                        "mixed: a quarter of draws single centred objects)")
    parser.add_argument("--jitter", action="store_true", help="every scene, in any world or recipe segment, carries "
                        "unnamed jitter: an offset within its position, a size within ±12%%, a turn, a pattern phase")
    parser.add_argument("--favour", choices=SHAPES, help=f"draw the scenes holding this shape {FAVOURED:g}× as often")
    parser.add_argument("--workers", type=int, help="CLIP: processes drawing its batches (default: none on the CPU, "
                        "one per spare core, at most 12, on an accelerator)")
    parser.add_argument("--out", default=str(default_bundle_path()), help="export folder")
    parser.add_argument("--eval", help="card: the JSON written by `python main.py eval --out`")
    parser.add_argument("--notes", help="card: a Markdown file of remarks to include")
    args = parser.parse_args(argv)
    if args.batch is not None and args.batch < 2:
        raise UserError(f"--batch must be at least 2 (CLIP pairs each scene with a changed twin), got {args.batch}")
    if args.workers is not None and args.workers < 0:
        raise UserError(f"--workers must be 0 or more, got {args.workers}")
    if args.minutes is not None and args.minutes <= 0:
        raise UserError(f"--minutes must be a positive number of minutes, got {args.minutes:g}")
    run_dir, recipe = Path(args.run), RECIPES[args.recipe]
    if args.stage == "export":
        print(export(run_dir, Path(args.out), args.init, recipe))
        return
    if args.stage == "vocabulary":  # the world's words into a bundle folder; no weights change, nor its hash
        print(write_vocabulary(Path(args.out), world_vocabulary(recipe.things)))
        return
    if args.stage == "card":
        if args.eval is None:
            raise UserError("train card needs --eval: the JSON written by `python main.py eval --out`")
        print(card(run_dir, Path(args.out), Path(args.eval), Path(args.notes) if args.notes else None, recipe))
        return
    stages = tuple(recipe.steps) if args.stage == "all" else (args.stage,)
    device, budget = resolve_device(args.device), None
    if args.minutes is not None:
        weights = [seg.minutes for stage in stages for seg in segments(stage, args.steps, args.world, recipe)]
        spent = Budget.spent(run_dir, stages)
        budget = Budget(args.minutes * 60 - spent, weights)
        print(f"budget: {args.minutes:g} min, {spent / 60:.1f} of them already logged in {run_dir}", file=sys.stderr)
    for stage in stages:
        print(f"== {stage}", file=sys.stderr)
        run(stage, run_dir, args.steps, args.scenes, args.seed, device, args.init, args.batch, budget, args.world,
            args.favour, args.jitter, args.workers, recipe)
