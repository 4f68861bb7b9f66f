"""The command line of DESIGN.md, parsed and checked without torch, so a wrong usage answers at once."""
from __future__ import annotations

import argparse
import re
import secrets

from ..errors import UserError
from ..limits import FREE_LAYOUT_CANDIDATES, FREE_LAYOUT_GUIDANCE, MAX_COUNT, MAX_SEED, PRESETS, SAMPLER_NAMES
from .outputs import ANIMATIONS

COMMANDS = ("generate", "vary", "interpolate", "textdiff", "batch", "grid", "info", "random-bundle", "train",
            "eval")


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line as one `error: …` line, status 2."""

    def error(self, message: str):
        raise UserError(message)


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}")


def _device(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default="default",
                   help="default | a shipped bundle (shapes, everyday) | FOLDER | REPO_ID (in the local HF cache)")
    p.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    p.add_argument("--dtype", default="auto", choices=("auto", "float32", "float16", "bfloat16"))
    p.add_argument("--offload", action="store_true", help="stage-wise offload for small cards: the networks wait "
                   "on the CPU and each stage's move to the device only while it runs (same pixels, slower)")
    p.add_argument("--compile", action="store_true", help="the fast path: torch.compile of the repeated blocks and "
                   "fused GroupNorm+SiLU (compiles on first use; pixels may differ slightly from the plain path)")


def _common(p: argparse.ArgumentParser) -> None:
    _device(p)
    p.add_argument("--size", type=_whole_number, help="output side in px: a stage size of the model")
    p.add_argument("--prior-guidance", type=_number)
    p.add_argument("--decoder-guidance", type=_number)
    p.add_argument("--layout-guidance", type=_number, help="decoder guidance on its first, layout steps "
                   "(t ≥ 0.9 T); lower lets position, size and count vary (variations: try "
                   f"{FREE_LAYOUT_GUIDANCE:g} with --candidates {FREE_LAYOUT_CANDIDATES}); default: the "
                   "decoder guidance")
    p.add_argument("--candidates", type=_whole_number, default=1, help="decoder candidates per image, 1 to 8: "
                   "the first whose CLIP embedding reaches --accept-cosine to z_i is kept, else the closest "
                   "(up to K times the decoder's time)")
    p.add_argument("--accept-cosine", type=_number, help="with --candidates: stop drawing at this CLIP cosine "
                   "to z_i, −1 to 1; 1 keeps the closest of all K; default: the model's")
    p.add_argument("--steps", help="PRIOR,DECODER,UPSAMPLER step counts, e.g. 25,25,7")
    p.add_argument("--preset", choices=tuple(PRESETS), help="Karlo's step presets: fast = 25,25,7; "
                   "quality = 25,50,7 (Karlo's original default); --steps wins")
    p.add_argument("--sampler", choices=SAMPLER_NAMES, help="ddpm (ancestral), ddim, dpm++2m or unipc "
                   "(multistep solvers: fewer steps); default: the model's")
    p.add_argument("--eta", type=_number, default=0.0, help="DDIM noise (0 = deterministic)")
    p.add_argument("--count", type=_whole_number, default=1, help=f"images, 1 to {MAX_COUNT}")
    p.add_argument("--seed", type=_whole_number, help="seed of the first image; the next use seed+1, …")


def _frames_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--frames", type=_whole_number, default=9, help="frames, ends included")
    p.add_argument("--out", required=True, help=f"FILE{'|FILE'.join(ANIMATIONS)} | SHEET.png | a folder of PNGs")
    p.add_argument("--fps", type=_number, default=8.0)
    p.add_argument("--pingpong", action="store_true", help="play forward then back")
    p.add_argument("--batch", type=_whole_number, default=4, help="frames rendered together")
    p.add_argument("--plan", default="even", choices=("even", "refined"), help="even: frames evenly along the path; "
                   "refined: the ends, then each frame where the neighbouring frames differ most (one at a time)")
    _common(p)


def build_parser() -> argparse.ArgumentParser:
    """The command line of DESIGN.md."""
    parser = Parser(prog="unclip-studio", description="unCLIP Studio: headless commands")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    gen = sub.add_parser("generate", help="text → images")
    gen.add_argument("prompt")
    gen.add_argument("--out", help="FILE.png, or a folder (default: the pictures folder's unCLIP Studio)")
    _common(gen)
    vary = sub.add_parser("vary", help="image → variations")
    vary.add_argument("image")
    vary.add_argument("--out", help="a folder (default: the pictures folder's unCLIP Studio)")
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
    _device(batch)
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


def steps(text: str | None) -> tuple[int | None, int | None, int | None]:
    """--steps PRIOR,DECODER,UPSAMPLER as three whole numbers."""
    if text is None:
        return None, None, None
    parts = text.split(",")
    if len(parts) != 3 or not all(re.fullmatch(r"\s*\d+\s*", p) for p in parts):
        raise UserError(f"--steps takes three whole numbers PRIOR,DECODER,UPSAMPLER, got {text!r}")
    return tuple(int(p) for p in parts)  # type: ignore[return-value]


def seeds(args) -> tuple[int, ...]:
    """--seed and --count as the seeds of the images (a random first seed when none is given)."""
    if not 1 <= args.count <= MAX_COUNT:
        raise UserError(f"--count must be from 1 to {MAX_COUNT}, got {args.count}")
    first = secrets.randbelow(MAX_SEED + 1 - args.count) if args.seed is None else args.seed
    if not 0 <= first <= MAX_SEED - args.count + 1:
        raise UserError(f"--seed must be from 0 to {MAX_SEED - args.count + 1}, got {first}")
    return tuple(range(first, first + args.count))


def frame_count(args) -> None:
    if not 2 <= args.frames <= 256:
        raise UserError(f"--frames must be from 2 to 256, got {args.frames}")
    if not 1 <= args.batch <= MAX_COUNT:
        raise UserError(f"--batch must be from 1 to {MAX_COUNT}, got {args.batch}")


def settings(args):
    """The Settings the sampling flags ask for (checked on construction)."""
    from ..requests import Settings
    p, d, u = steps(args.steps) if args.steps or not args.preset else PRESETS[args.preset]
    return Settings(prior_steps=p, decoder_steps=d, upsampler_steps=u, prior_guidance=args.prior_guidance,
                    decoder_guidance=args.decoder_guidance, layout_guidance=args.layout_guidance,
                    decoder_candidates=args.candidates, accept_cosine=args.accept_cosine, sampler=args.sampler,
                    eta=args.eta, size=args.size)


def check(args) -> None:
    """Every check that needs no model, so a wrong usage fails before torch is imported."""
    from pathlib import Path

    from .outputs import IMAGES, checked
    if args.command in ("generate", "vary", "interpolate", "textdiff"):
        seeds(args)
        settings(args)
    if getattr(args, "ray", None) and args.offload:
        raise UserError("--offload is for one process on one card; Ray's workers load their own copies (drop it)")
    if getattr(args, "ray", None) and getattr(args, "compile", False):
        raise UserError("--compile is for one process; Ray's workers load their own copies (drop it)")
    if args.command == "generate":
        checked(args.out, IMAGES)
    elif args.command == "vary":
        checked(args.out, ())
    elif args.command in ("interpolate", "textdiff"):
        frame_count(args)
        checked(args.out, IMAGES + ANIMATIONS)
    for name in ("image", "a", "b"):
        value = getattr(args, name, None)
        if value and not value.startswith("text:") and not Path(value).exists():
            raise UserError(f"file not found: {value}")
