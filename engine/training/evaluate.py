"""`python main.py eval`: how well a bundle draws the world, judged by a probe trained on renders.

Reproducible from a seed. Reports probe accuracy on held-out renders, then for the whole chain:
shape / colour / background accuracy on single-object prompts (medium+large, and small apart),
attribute binding on two-object prompts with and without the paper's two-sample prior trick,
variation consistency and diversity, CLIP retrieval top-1 and shape zero-shot (where shape is
lost: CLIP, prior or decoder), the decoder alone from each render's own embedding and whether
its shapes follow its conditioning at all, a Fréchet distance in probe features, single-object
accuracy at every stage size, and misses inside the vocabulary: whether an object lands on the
side its prompt names, and two-object prompts shape by shape (`--rows misses`: these alone).
"""
from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from ..devices import resolve_device
from ..errors import UserError
from ..families import load_bundle
from ..model import UnCLIP
from ..requests import FREE_LAYOUT, Settings, TextToImage
from .chain_rows import decoder_alone, run_requests, shape_follows, variations
from .clip_rows import retrieval_top1, shape_zero_shot
from .data import rendered
from .everyday_rows import everyday_table
from .judging import PROBE_RECIPE, attribute_accuracy, frechet, probe_gate
from .miss_rows import miss_rows
from .probe import held_out_accuracy, read, train_probe
from .prompts import COLOR_NAMES, prompt_of, single_object_prompts
from .table import markdown
from .world import SHAPES


def evaluate(model: UnCLIP, seed: int = 0, n: int = 48, probe_steps: int = 2500, top_n: int = 8,
             base: Settings = Settings(), probe_checks: int = 500, captions: int = 100,
             probe_cache: Path | None = None, probe_scenes: int = 24_000,
             layout_guidance: float = FREE_LAYOUT.layout_guidance, candidates: int = FREE_LAYOUT.decoder_candidates,
             probe_jitter: bool = False, probe_device: str = "cpu", misses: int = 8, only_misses: bool = False) -> dict:
    """The whole table; `n` prompts per single-object row (fewer elsewhere, as noted in the table).

    `base` sets the sampling (steps, guidance) of every generation; sizes are set per row. `probe_jitter`: the
    probe also learns jittered renders, and must pass its gate on jittered held-out renders as well; it trains on
    `probe_device` and reads on the CPU. `misses`: prompts per position and per shape in the rows of misses inside
    the vocabulary (0: none); `only_misses`: the probe's rows and those alone.
    """
    rng = np.random.default_rng(seed)
    began = time.time()
    probe = train_probe(probe_steps, seed, scenes=probe_scenes, cache=probe_cache, jitter=probe_jitter,
                        device=probe_device)
    table: dict = {"seed": seed, "probe (held-out renders)": held_out_accuracy(probe, seed, probe_checks)}
    held = {"": table["probe (held-out renders)"]}  # by the suffix that names the renders in the gate
    if probe_jitter:
        table["probe (held-out jittered renders)"] = held[" (jittered)"] = held_out_accuracy(
            probe, seed, probe_checks, jitter=True)
    table["probe gate (≥ 98% per attribute)"] = probe_gate(held)
    if only_misses:
        table.update(miss_rows(model, probe, seed, misses, base))
        table["seconds"] = round(time.time() - began, 1)
        return table
    s = replace(base, size=256)

    scenes = single_object_prompts(rng, n, ("medium", "large"))
    requests = [TextToImage(prompt_of(sc), seeds=(seed + i,), settings=s) for i, sc in enumerate(scenes)]
    images = run_requests(model, requests, "single objects")
    table["single object, medium+large, 256 px"] = attribute_accuracy(probe, images, scenes)
    renders = rendered(scenes, 64)
    with torch.no_grad():
        table["Fréchet distance (probe features) vs renders"] = frechet(
            probe.embed(F.interpolate(images, size=(64, 64), mode="area")), probe.embed(renders))

    small = single_object_prompts(rng, n // 2, ("small",))
    table["single object, small, 256 px"] = attribute_accuracy(
        probe, run_requests(model, [TextToImage(prompt_of(sc), seeds=(seed + i,), settings=s) for i, sc in enumerate(small)],
                       "small objects"), small)

    pairs = []
    for _ in range(n // 2):
        (s1, s2), (c1, c2) = rng.choice(SHAPES, 2, replace=False), rng.choice(COLOR_NAMES, 2, replace=False)
        pairs.append(((str(s1), str(c1)), (str(s2), str(c2))))
    texts = [f"{'an' if c1[0] in 'aeiou' else 'a'} {c1} {s1} and {'an' if c2[0] in 'aeiou' else 'a'} {c2} {s2}"
             for (s1, c1), (s2, c2) in pairs]
    for k in (1, 2):
        sk = replace(base, size=256, prior_candidates=k)
        images2 = run_requests(model, [TextToImage(t, seeds=(seed + i,), settings=sk) for i, t in enumerate(texts)],
                          f"binding, {k} prior sample(s)")
        seen = read(probe, images2, objects=2)
        table[f"binding, two objects, {k} prior sample{'s' if k > 1 else ''}"] = float(
            np.mean([v["pairs"] == set(p) for v, p in zip(seen, pairs)]))

    sources = single_object_prompts(rng, n // 4, ("medium", "large"))
    first = variations(model, probe, sources, seed, s)
    table["variations keep shape and colour"] = float(np.mean(first["kept"]))
    table["variations differ (RMS pixel distance, 0–1)"] = float(np.mean(first["spread"]))

    table[f"CLIP retrieval top-1 ({captions} held-out captions)"] = retrieval_top1(model, rng, captions)
    table[f"CLIP shape zero-shot, medium+large (1 of 8 captions, {captions} renders)"] = shape_zero_shot(
        model, rng, captions)

    at_decoder = replace(base, size=model.config.decoder.size)
    table[f"decoder alone, render's own z_i and caption, {at_decoder.size} px"] = decoder_alone(
        model, probe, scenes, seed, at_decoder)
    table["decoder's shape follows its conditioning (one step at t = 800, shape-swapped twin)"] = shape_follows(
        model, probe, scenes, rng)

    per_size = {}
    subset = scenes[:top_n]
    for size in model.config.sizes:
        sz = replace(base, size=size)
        per_size[f"{size} px"] = attribute_accuracy(probe, run_requests(
            model, [TextToImage(prompt_of(sc), seeds=(seed + i,), settings=sz) for i, sc in enumerate(subset)],
            f"{size} px"), subset)
    table[f"single object by size ({len(subset)} prompts, same seeds)"] = per_size

    # twice as many sources again, from their own stream so that every row above stays comparable across versions
    more = single_object_prompts(np.random.default_rng(seed + 1), n // 2, ("medium", "large"))
    wider = variations(model, probe, more, seed + 10 * len(sources), s)
    everything = f"all {len(sources) + len(more)} sources"
    table[f"variations keep shape and colour, {everything}"] = float(np.mean(first["kept"] + wider["kept"]))
    table[f"variations moved or resized (pairs), {everything}"] = float(np.mean(first["moved"] + wider["moved"]))
    # the same sources and seeds, the layout left to the noise: one draw, the closest of 3, then up to `candidates`
    rows = dict.fromkeys([(1, 1.0), (3, 1.0), (candidates, model.config.decoder.accept_cosine)])  # no repeats
    for k, accept in rows:
        free = replace(s, layout_guidance=layout_guidance, decoder_candidates=k, accept_cosine=accept)
        got = variations(model, probe, sources + more, seed, free)
        name = f"variations at layout guidance {layout_guidance:g}" + (
            "" if k == 1 else f", best of {k} by CLIP" if accept >= 1 else
            f", up to {k} by CLIP, accepted at cosine {accept:g}")
        table[f"{name}, {everything}"] = {
            "keep shape and colour": float(np.mean(got["kept"])),
            "differ (RMS pixel distance, 0–1)": float(np.mean(got["spread"])),
            "moved or resized (pairs)": float(np.mean(got["moved"])),
            "decoder runs per image": float(np.mean(got["draws"]))}
    if misses:  # last, from their own random stream: the rows above stay what they were
        table.update(miss_rows(model, probe, seed, misses, base))
    table["seconds"] = round(time.time() - began, 1)
    return table


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="unclip-studio eval", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--prompts", type=int, default=48, help="single-object prompts (other rows scale with it)")
    parser.add_argument("--probe-steps", type=int, help=f"default {PROBE_RECIPE[False][0]}, with --probe-jitter "
                        f"{PROBE_RECIPE[True][0]}")
    parser.add_argument("--probe-scenes", type=int, help=f"renders the probe trains on: default "
                        f"{PROBE_RECIPE[False][1]}, with --probe-jitter {PROBE_RECIPE[True][1]}")
    parser.add_argument("--probe-cache", default="runs/probe", help="reuse a probe trained with the same seed "
                        "and steps from this folder ('' to always retrain)")
    parser.add_argument("--layout-guidance", type=float, default=FREE_LAYOUT.layout_guidance,
                        help="the decoder's layout guidance for the row of freer variations")
    parser.add_argument("--candidates", type=int, default=FREE_LAYOUT.decoder_candidates,
                        help="most decoder candidates for the last row (freer variations, the first at the "
                             "model's accept cosine to z_i kept)")
    parser.add_argument("--probe-jitter", action="store_true",
                        help="train the probe on jittered renders too (half of them) and gate it on both: for a "
                        "decoder trained with --jitter, whose images carry unnamed offsets and turns")
    parser.add_argument("--dtype", default="float32", choices=("float32", "bfloat16"),
                        help="the precision the model runs in (the card's table: float32)")
    parser.add_argument("--device", default="cpu", help="run the model and train the probe on this torch device "
                        "(the card's table: cpu; a probe trained elsewhere is cached under its own name)")
    parser.add_argument("--rows", choices=("all", "misses", "everyday"), default="all",
                        help="misses: only the probe's rows and the misses inside the vocabulary (positions, "
                        "two objects by shape); everyday: the things of a bundle that names some, at 64 px")
    parser.add_argument("--misses", type=int, default=8,
                        help="prompts per position and per shape in the rows of misses (0: leave them out)")
    parser.add_argument("--thing-seeds", type=int, default=2, help="everyday: renders of each thing (variations of "
                        "each source: one more)")
    parser.add_argument("--composed-every", type=int, default=1, help="everyday: composed prompts for every n-th thing")
    parser.add_argument("--threads", type=int, help="torch's CPU threads (default: torch's own choice)")
    parser.add_argument("--out", help="write the table as JSON here")
    args = parser.parse_args(argv)
    if args.misses < 0 or args.rows == "misses" and args.misses < 1:
        raise UserError(f"--misses must be at least 1 with --rows misses, and never negative, got {args.misses}")
    if args.thing_seeds < 1 or args.composed_every < 1:
        raise UserError(f"--thing-seeds and --composed-every must be at least 1, got {args.thing_seeds} and "
                        f"{args.composed_every}")
    if args.threads is not None:
        if args.threads < 1:
            raise UserError(f"--threads must be at least 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    if args.prompts < 4:
        raise UserError(f"--prompts must be at least 4 (the variations row takes a quarter of them), got {args.prompts}")
    torch.manual_seed(args.seed)
    device = resolve_device(args.device)
    model = load_bundle(args.model, device, getattr(torch, args.dtype))
    steps, scenes = PROBE_RECIPE[args.probe_jitter]
    if args.rows == "everyday":
        table = everyday_table(model, args.seed, Path(args.probe_cache) if args.probe_cache else None,
                               seeds=args.thing_seeds, variations=args.thing_seeds + 1,
                               composed_every=args.composed_every)
    else:
        table = evaluate(model, args.seed, args.prompts, args.probe_steps or steps,
                         probe_scenes=args.probe_scenes or scenes,
                         probe_cache=Path(args.probe_cache) if args.probe_cache else None,
                         layout_guidance=args.layout_guidance, candidates=args.candidates,
                         probe_jitter=args.probe_jitter, probe_device=device, misses=args.misses,
                         only_misses=args.rows == "misses")
    print(markdown(table))
    if args.out:
        Path(args.out).write_text(json.dumps(table, indent=2) + "\n")
