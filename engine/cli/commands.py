"""The headless commands (DESIGN.md's contract), each on the one runner; progress bars on stderr."""
from __future__ import annotations

import sys
from pathlib import Path

from tqdm import tqdm

from ..devices import resolve_device
from ..errors import EngineFailure, JobCancelled, UserError
from ..events import StageStarted, StepDone
from ..explore import Source, interpolation, text_diff_strip
from ..cpu import dtype_named, keep_freed_memory
from ..families import load_bundle, save_bundle
from ..model import UnCLIP
from ..nn.fused import FastPath, enable
from ..pipeline import CancelToken, resolve_settings
from ..record import write_png
from ..requests import ImageVariation, Settings, TextToImage
from ..runner import render_strip, run
from ..sources import load_image, load_image_with_notes
from . import parser as cli
from .outputs import ANIMATIONS, IMAGES, checked, image_paths, slug


class InternalError(RuntimeError):
    """A failure inside the engine (exit status 1)."""


_settings = cli.settings


def _load(args, exact: bool = False) -> UnCLIP:
    """The --model on --device in --dtype; --offload: held on the CPU, run there stage by stage; --compile: fast."""
    keep_freed_memory()
    device = resolve_device(args.device)
    dtype = dtype_named(args.dtype, device, exact)
    model = load_bundle(args.model, "cpu", dtype).offloaded(device) if args.offload else \
        load_bundle(args.model, device, dtype)
    if args.compile:  # the opt-in fast path; records and settings do not change
        enable(model.modules().values(), FastPath())
    return model


class _Progress:
    """One tqdm bar per stage, fed by the runner's events."""

    def __init__(self) -> None:
        self.bar = None

    def __call__(self, event) -> None:
        if isinstance(event, StageStarted):
            self.close()
            self.bar = tqdm(total=event.steps, desc=event.stage.display, file=sys.stderr, unit="step", leave=False)
        elif isinstance(event, StepDone) and self.bar:
            self.bar.update(1)

    def close(self) -> None:
        if self.bar:
            self.bar.close()
            self.bar = None


def _guarded(work):
    """Run `work(cancel, on_event)` with progress bars; Ctrl+C cancels cleanly, failures become exit codes."""
    cancel, progress = CancelToken(), _Progress()
    try:
        return work(cancel, progress)
    except KeyboardInterrupt:
        cancel.cancel()
        raise
    except JobCancelled:
        raise KeyboardInterrupt from None
    except EngineFailure as err:
        raise InternalError(str(err)) from None
    finally:
        progress.close()


def _write(images: list, paths: list[Path]) -> None:
    for image, path in zip(images, paths):
        write_png(path, image.image, image.metadata)
        print(f"{path}\tseed {image.seed}")


def _checked_request(model: UnCLIP, request) -> None:
    """Settings the model cannot run are a user error; a prompt it will not read as asked gets a warning on stderr
    (too long for CLIP; none of its words in the model's vocabulary, where the bundle carries one)."""
    resolve_settings(model, request.settings)
    if request.prompt and model.clip.token_count(request.prompt) > model.config.clip.context_length:
        print(f"warning: the prompt is longer than CLIP's {model.config.clip.context_length} tokens; "
              "the rest is ignored", file=sys.stderr)
    if request.prompt and model.vocabulary is not None:
        known, unknown = model.vocabulary.known(request.prompt)
        if unknown and not known:
            print(f"warning: none of these words are in the model's vocabulary ({', '.join(unknown)}); "
                  f"it knows: {model.vocabulary.summary()}", file=sys.stderr)


def cmd_generate(args) -> None:
    seeds, settings = cli.seeds(args), _settings(args)
    request = TextToImage(args.prompt, seeds, settings)
    paths = image_paths(args.out, slug(request.prompt), seeds, file_ok=True)
    model = _load(args)
    _checked_request(model, request)
    if not request.prompt.strip():
        print("warning: empty prompt: the prior samples unconditionally", file=sys.stderr)
    _write(_guarded(lambda cancel, on: run(model, request, cancel=cancel, on_event=on)), paths)


def cmd_vary(args) -> None:
    seeds, settings = cli.seeds(args), _settings(args)
    paths = image_paths(args.out, f"{slug(Path(args.image).stem)}-var", seeds, file_ok=False)
    image, notes = load_image_with_notes(args.image)
    for note in notes:
        print(f"warning: {note}", file=sys.stderr)
    request = ImageVariation(image, seeds, settings, source_name=Path(args.image).name, amount=args.amount)
    model = _load(args)
    _checked_request(model, request)
    _write(_guarded(lambda cancel, on: run(model, request, cancel=cancel, on_event=on)), paths)


def _export_strip(model: UnCLIP, strip, args) -> None:
    """Render every frame (coarse to fine, --batch at a time) and export them as --out asks."""
    from ..animation import export

    done: list = []

    def count(frame) -> None:
        done.append(frame)
        print(f"frames {len(done)}/{len(strip)}", file=sys.stderr)

    if args.plan == "refined":
        from ..refine import render_refined
        frames = _guarded(lambda cancel, on: render_refined(
            model, strip, len(strip), cancel=cancel, on_event=on,
            on_count=lambda n: print(f"frames {n}/{len(strip)}", file=sys.stderr)))
    else:
        frames = _guarded(lambda cancel, on: render_strip(model, strip, batch=args.batch, cancel=cancel,
                                                          on_event=on, on_frame=count))
    for path in export([f.image for f in frames], [f.record for f in frames], args.out, args.fps,
                       pingpong=args.pingpong):
        print(path)


def _strip_model(args) -> tuple[UnCLIP, Settings, int]:
    cli.frame_count(args)
    checked(args.out, IMAGES + ANIMATIONS)
    settings, seed = _settings(args), cli.seeds(args)[0]
    model = _load(args)
    resolve_settings(model, settings)
    return model, settings, seed


def cmd_interpolate(args) -> None:
    a, b = (Source.parse(x, load_image) for x in (args.a, args.b))
    model, settings, seed = _strip_model(args)
    _export_strip(model, interpolation(model, a, b, args.frames, seed, settings, args.noise), args)


def cmd_textdiff(args) -> None:
    source = Source(image=load_image(args.image), label=Path(args.image).name)
    model, settings, seed = _strip_model(args)
    _export_strip(model, text_diff_strip(model, source, args.target, args.caption, args.frames, seed, settings,
                                         args.theta), args)


def cmd_batch(args) -> None:
    from ..batch import run_local
    from ..jobs import parse_jobs
    jobs = parse_jobs(args.jobs)
    if args.ray:
        from ..ray_batch import run_ray
        summary = run_ray(args.ray, args.model, args.device, args.dtype, jobs, Path(args.out), args.chunk, args.workers)
    else:
        summary = run_local(_load(args, exact=True), jobs, Path(args.out))
    print(summary.text())
    if summary.failed and not summary.done and not summary.skipped:
        raise UserError(f"every job failed (first: line {summary.failed[0][0]}: {summary.failed[0][1]})")


def cmd_random_bundle(args) -> None:
    from ..tiny import tiny_config
    print(save_bundle(UnCLIP.random(tiny_config(), seed=args.seed), args.folder))


COMMANDS = {"generate": cmd_generate, "vary": cmd_vary, "interpolate": cmd_interpolate, "textdiff": cmd_textdiff,
            "batch": cmd_batch, "random-bundle": cmd_random_bundle}
