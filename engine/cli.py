"""Headless commands: generate, vary, info (the contract in DESIGN.md). Progress on stderr."""
from __future__ import annotations

import argparse
import json
import re
import secrets
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from .bundles import load_bundle, save_bundle
from .cpu import dtype_named
from .diffusion.noise import MAX_SEED
from .errors import UserError
from .events import Cancelled, Failed, Finished, StageStarted, StepDone
from .metadata import parameters_text, read_png_metadata, save_png
from .model import UnCLIP
from .pipeline import CancelToken, generate, resolve_settings
from .requests import FREE_LAYOUT, PRESETS, ImageVariation, Settings, TextToImage
from .sources import load_image, load_image_with_notes

MAX_COUNT = 64


class InternalError(RuntimeError):
    """A failure inside the engine (exit status 1)."""


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one `error: …` line, status 2."""

    def error(self, message: str):
        raise UserError(message)


def _whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return value


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default", help="default | FOLDER")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "float16", "bfloat16"))
    p.add_argument("--size", type=_whole_number, help="output side in px: a stage size of the model")
    p.add_argument("--prior-guidance", type=_number)
    p.add_argument("--decoder-guidance", type=_number)
    p.add_argument("--layout-guidance", type=_number, help="decoder guidance on its first, layout steps "
                   "(t ≥ 0.9 T); lower lets position, size and count vary (variations: try "
                   f"{FREE_LAYOUT.layout_guidance:g} with --candidates {FREE_LAYOUT.decoder_candidates}); default: the "
                   "decoder guidance")
    p.add_argument("--candidates", type=_whole_number, default=1, help="decoder candidates per image, 1 to 8: "
                   "the first whose CLIP embedding reaches --accept-cosine to z_i is kept, else the closest "
                   "(up to K times the decoder's time)")
    p.add_argument("--accept-cosine", type=_number, help="with --candidates: stop drawing at this CLIP cosine "
                   "to z_i, −1 to 1; 1 keeps the closest of all K; default: the model's")
    p.add_argument("--steps", help="PRIOR,DECODER,UPSAMPLER step counts, e.g. 25,25,7")
    p.add_argument("--preset", choices=tuple(PRESETS), help="Karlo's step presets: fast = 25,25,7; "
                   "quality = 25,50,7 (Karlo's original default); --steps wins")
    p.add_argument("--sampler", default="ddpm", choices=("ddpm", "ddim"))
    p.add_argument("--eta", type=_number, default=0.0, help="DDIM noise (0 = deterministic)")
    p.add_argument("--count", type=_whole_number, default=1, help=f"images, 1 to {MAX_COUNT}")
    p.add_argument("--seed", type=_whole_number, help="seed of the first image; the next use seed+1, …")


def _frames_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=_whole_number, default=9, help="frames, ends included")
    p.add_argument("--out", required=True, help="FILE.gif | FILE.webp | FILE.mp4 | SHEET.png | a folder of PNGs")
    p.add_argument("--fps", type=_number, default=8.0)
    p.add_argument("--pingpong", action="store_true", help="play forward then back")
    p.add_argument("--batch", type=_whole_number, default=4, help="frames rendered together")
    _common(p)


def build_parser() -> argparse.ArgumentParser:
    """The command line of DESIGN.md."""
    parser = _Parser(prog="unclip-studio", description="unCLIP Studio: headless commands")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    gen = sub.add_parser("generate", help="text → images")
    gen.add_argument("prompt")
    gen.add_argument("--out", help="file.png, or a folder (default: outputs/)")
    _common(gen)
    vary = sub.add_parser("vary", help="image → variations")
    vary.add_argument("image")
    vary.add_argument("--out", help="folder (default: outputs/)")
    vary.add_argument("--amount", type=_number, default=0.0,
                      help="0 = same embedding, new noise (the paper's variations); up to 1 = the meaning drifts too")
    _common(vary)
    interp = sub.add_parser("interpolate", help="frames along the slerp between two sources' image embeddings")
    interp.add_argument("a", help='image path or "text:PROMPT"')
    interp.add_argument("b", help='image path or "text:PROMPT"')
    interp.add_argument("--noise", default="fixed", choices=("fixed", "inverted"),
                        help="decoder noise: one seed for every frame, or slerped DDIM inversions of two images")
    _frames_options(interp)
    diff = sub.add_parser("textdiff", help="push an image toward a phrase (paper §3.3 text diffs)")
    diff.add_argument("image")
    diff.add_argument("target", help="the phrase to move toward")
    diff.add_argument("--caption", default="", help="a caption of the image (z_t0; empty by default)")
    diff.add_argument("--theta", type=_number, default=0.5, help="largest θ, at most 0.5")
    _frames_options(diff)
    batch = sub.add_parser("batch", help="render a JSON Lines job file (here, or on Ray with --ray)")
    batch.add_argument("jobs", help="JOBS.jsonl: one request per line, in the schema of the PNG unclip chunk")
    batch.add_argument("--out", required=True, help="folder for the images (re-runs skip finished ones)")
    batch.add_argument("--ray", help="run on Ray: a cluster address, 'auto' (the running cluster) or 'local'")
    batch.add_argument("--workers", type=_whole_number, help="Ray actors (default: one per GPU or CPU slot)")
    batch.add_argument("--chunk", type=_whole_number, default=2, help="jobs per Ray call")
    batch.add_argument("--model", default="default", help="default | FOLDER")
    batch.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    batch.add_argument("--dtype", default="auto", choices=("auto", "float32", "float16", "bfloat16"))
    grid = sub.add_parser("grid", help="write a job file: every prompt × seed × guidance")
    grid.add_argument("prompts", nargs="+")
    grid.add_argument("--seeds", default="0", help="e.g. 0-9 or 1,5,7")
    grid.add_argument("--prior-guidance", help="comma-separated values, e.g. 2,4")
    grid.add_argument("--decoder-guidance", help="comma-separated values, e.g. 3,8")
    grid.add_argument("--size", type=_whole_number)
    grid.add_argument("--out", required=True, help="JOBS.jsonl to write")
    info = sub.add_parser("info", help="print the settings stored in a generated PNG")
    info.add_argument("image")
    sub.add_parser("train", help="train the embedded default (see: train --help)", add_help=False)
    sub.add_parser("eval", help="evaluate a bundle on the procedural world (see: eval --help)", add_help=False)
    rnd = sub.add_parser("random-bundle", help="write a tiny random-weight bundle (for smoke tests)")
    rnd.add_argument("folder")
    rnd.add_argument("--seed", type=_whole_number, default=0)
    return parser


def _steps(text: str | None) -> tuple[int | None, int | None, int | None]:
    if text is None:
        return None, None, None
    parts = text.split(",")
    if len(parts) != 3 or not all(re.fullmatch(r"\s*\d+\s*", p) for p in parts):
        raise UserError(f"--steps takes three whole numbers PRIOR,DECODER,UPSAMPLER, got {text!r}")
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def _settings(args) -> Settings:
    p, d, u = _steps(args.steps) if args.steps or not args.preset else PRESETS[args.preset]
    return Settings(prior_steps=p, decoder_steps=d, upsampler_steps=u, prior_guidance=args.prior_guidance,
                    decoder_guidance=args.decoder_guidance, layout_guidance=args.layout_guidance,
                    decoder_candidates=args.candidates, accept_cosine=args.accept_cosine, sampler=args.sampler,
                    eta=args.eta, size=args.size)


def _seeds(args) -> tuple[int, ...]:
    if not 1 <= args.count <= MAX_COUNT:
        raise UserError(f"--count must be from 1 to {MAX_COUNT}, got {args.count}")
    first = secrets.randbelow(MAX_SEED + 1 - args.count) if args.seed is None else args.seed
    if not 0 <= first <= MAX_SEED - args.count + 1:
        raise UserError(f"--seed must be from 0 to {MAX_SEED - args.count + 1}, got {first}")
    return tuple(range(first, first + args.count))


def _device(args, exact: bool = False) -> tuple[str, torch.dtype]:
    device = args.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    elif device == "cuda" and not torch.cuda.is_available():
        raise UserError("--device cuda: no CUDA GPU is available on this machine")
    return device, dtype_named(args.dtype, device, exact)


def _load(args, exact: bool = False) -> UnCLIP:
    device, dtype = _device(args, exact)
    return load_bundle(args.model, device, dtype)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "image"


def _paths(out: str | None, stem: str, seeds: tuple[int, ...], file_ok: bool) -> list[Path]:
    target = Path(out) if out else Path("outputs")
    if file_ok and target.suffix.lower() == ".png":
        if len(seeds) == 1:
            return [target]
        return [target.with_name(f"{target.stem}-{s}.png") for s in seeds]
    if target.exists() and not target.is_dir():
        raise UserError(f"--out must be a folder here: {target}")
    return [target / f"{stem}-{s}.png" for s in seeds]


def _run(model: UnCLIP, request, noise=None) -> list:
    """Drive the pipeline with a progress bar per stage; Ctrl+C cancels cleanly."""
    cancel, bar = CancelToken(), None
    events = generate(model, request, cancel, previews=False, noise=noise)
    try:
        for event in events:
            if isinstance(event, StageStarted):
                if bar:
                    bar.close()
                bar = tqdm(total=event.steps, desc=event.stage, file=sys.stderr, unit="step", leave=False)
            elif isinstance(event, StepDone) and bar:
                bar.update(1)
            elif isinstance(event, Finished):
                return list(event.images)
            elif isinstance(event, Failed):
                if event.details:
                    raise InternalError(event.message)
                raise UserError(event.message)
            elif isinstance(event, Cancelled):
                raise KeyboardInterrupt
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    finally:
        if bar:
            bar.close()
    raise InternalError("the pipeline ended without images")


def _write(images: list, paths: list[Path]) -> None:
    for image, path in zip(images, paths):
        save_png(path, image.image, image.metadata)
        print(path)


def cmd_generate(args) -> None:
    model, seeds = _load(args), _seeds(args)
    request = TextToImage(args.prompt, seeds, _settings(args))
    resolve_settings(model, request.settings)
    if not request.prompt.strip():
        print("warning: empty prompt: the prior samples unconditionally", file=sys.stderr)
    if model.clip.token_count(request.prompt) > model.config.clip.context_length:
        print(f"warning: the prompt is longer than CLIP's {model.config.clip.context_length} tokens; "
              "the rest is ignored", file=sys.stderr)
    paths = _paths(args.out, _slug(request.prompt), seeds, file_ok=True)
    _write(_run(model, request), paths)


def cmd_vary(args) -> None:
    image, notes = load_image_with_notes(args.image)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    model, seeds = _load(args), _seeds(args)
    request = ImageVariation(image, seeds, _settings(args), source_name=Path(args.image).name, amount=args.amount)
    resolve_settings(model, request.settings)
    paths = _paths(args.out, f"{_slug(Path(args.image).stem)}-var", seeds, file_ok=False)
    _write(_run(model, request), paths)


def _render_strip(strip, args) -> None:
    """Render every frame (coarse to fine, in batches) and export them as --out asks."""
    from .animation import export
    from .explore import frame_order
    if not 1 <= args.batch <= MAX_COUNT:
        raise UserError(f"--batch must be from 1 to {MAX_COUNT}, got {args.batch}")
    order, done = frame_order(len(strip)), {}
    for start in range(0, len(order), args.batch):
        chunk = order[start: start + args.batch]
        request, noise = strip.request(chunk, args.model_obj.device)
        for index, image in zip(chunk, _run(args.model_obj, request, noise)):
            meta = dict(image.metadata, frame=index, frames=len(strip), position=float(strip.positions[index]))
            done[index] = (image.image, meta)
        print(f"frames {len(done)}/{len(strip)}", file=sys.stderr)
    frames = [done[i] for i in range(len(strip))]
    for path in export([f for f, _ in frames], [m for _, m in frames], args.out, args.fps, pingpong=args.pingpong):
        print(path)


def _frame_count(args) -> None:
    if not 2 <= args.frames <= 256:
        raise UserError(f"--frames must be from 2 to 256, got {args.frames}")


def cmd_interpolate(args) -> None:
    from .explore import Source, interpolation
    _frame_count(args)
    a, b = (Source.parse(x, load_image) for x in (args.a, args.b))
    args.model_obj = model = _load(args)
    seed = _seeds(args)[0]
    settings = _settings(args)
    resolve_settings(model, settings)
    _render_strip(interpolation(model, a, b, args.frames, seed, settings, args.noise), args)


def cmd_textdiff(args) -> None:
    from .explore import Source, text_diff_strip
    _frame_count(args)
    source = Source(image=load_image(args.image), label=Path(args.image).name)
    args.model_obj = model = _load(args)
    settings = _settings(args)
    resolve_settings(model, settings)
    _render_strip(text_diff_strip(model, source, args.target, args.caption, args.frames, _seeds(args)[0], settings,
                                  args.theta), args)


def cmd_batch(args) -> None:
    from .batch import run_local
    from .jobs import parse_jobs
    jobs = parse_jobs(args.jobs)
    if args.ray:
        from .ray_batch import run_ray
        summary = run_ray(args.ray, args.model, args.device, args.dtype, jobs, Path(args.out), args.chunk, args.workers)
    else:
        summary = run_local(_load(args, exact=True), jobs, Path(args.out))
    print(summary.text())
    if summary.failed and not summary.done and not summary.skipped:
        raise UserError(f"every job failed (first: line {summary.failed[0][0]}: {summary.failed[0][1]})")


def _floats(text: str | None) -> list[float | None]:
    if not text:
        return [None]
    try:
        return [float(x) for x in text.split(",")]
    except ValueError:
        raise UserError(f"expected comma-separated numbers, got {text!r}") from None


def _seed_list(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise UserError(f"--seeds takes numbers and ranges such as 0-9 or 1,5,7, got {text!r}")
        lo, hi = int(match.group(1)), int(match.group(2) or match.group(1))
        if hi < lo or hi - lo > 100_000:
            raise UserError(f"bad seed range {part!r}")
        out += list(range(lo, hi + 1))
    return out


def cmd_grid(args) -> None:
    from .jobs import grid
    base = {"size": args.size} if args.size else {}
    records = grid(args.prompts, _seed_list(args.seeds), _floats(args.prior_guidance),
                   _floats(args.decoder_guidance), base)
    Path(args.out).write_text("".join(json.dumps(r) + "\n" for r in records))
    print(f"{args.out}: {len(records)} jobs")


def cmd_info(args) -> None:
    meta = read_png_metadata(args.image)
    print(meta.pop("parameters", "") or parameters_text(meta))
    print(json.dumps(meta, indent=2, sort_keys=True))


def cmd_random_bundle(args) -> None:
    from .tiny import tiny_config
    print(save_bundle(UnCLIP.random(tiny_config(), seed=args.seed), args.folder))


COMMANDS = {"generate": cmd_generate, "vary": cmd_vary, "interpolate": cmd_interpolate, "textdiff": cmd_textdiff,
            "batch": cmd_batch, "grid": cmd_grid, "info": cmd_info, "random-bundle": cmd_random_bundle}


def main(argv: list[str] | None = None) -> int:
    """Run one command; 0 = done, 2 = user error, 1 = internal failure, 130 = interrupted."""
    try:
        if argv and argv[0] in ("train", "eval"):
            from .training.command import main as train_main
            from .training.evaluate import main as eval_main
            (train_main if argv[0] == "train" else eval_main)(argv[1:])
            return 0
        args = build_parser().parse_args(argv)
        COMMANDS[args.command](args)
        return 0
    except UserError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted; nothing unfinished was written", file=sys.stderr)
        return 130
    except InternalError as err:
        print(f"error: internal failure: {err}", file=sys.stderr)
        return 1
