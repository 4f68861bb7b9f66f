"""Steps against quality on the embedded default: the eval's sampling-dependent rows and the 256 px time, per setting.

    python bench/cpu_steps.py [--model default] [--prompts 48] [--configs "ddpm:25,25,7" "dpm++2m:10,10,3"] --json

Each config is SAMPLER:PRIOR,DECODER,UPSAMPLER steps; the first is the baseline. Every config renders the same
prompts with the same seeds, in one run, judged by the eval's probe (runs/probe cache, seed 0):

- single object, medium+large, 256 px (`--prompts`): shape, colour, background, and the Fréchet distance of the
  probe's features against clean renders;
- single object, small, 256 px (half as many);
- binding, two objects, one prior sample (half as many);
- variations keep shape and colour (a quarter as many sources, three variations each, 256 px);
- the decoder alone from each render's own z_i, 64 px (as many as the first row).

`--only` runs some of these groups (single, small, binding, variations, decoder); each group's prompts are the
same whichever run. CLIP's retrieval and zero-shot rows read no sampler, so they are the same for every config and are not rerun.
`t2i_256_s` is the median of `--repeats` timed 256 px renders after a warm-up, torch threads as set; `ratio` is a
config's time over the baseline's, and `worst_delta_points` its largest drop in a row (percentage points; the
Fréchet distance is reported, not counted).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import Finished, Settings, TextToImage, load_bundle, serve  # noqa: E402
from engine.cpu import dtype_named, keep_freed_memory  # noqa: E402
from engine.training.chain_rows import decoder_alone, run_requests, variations  # noqa: E402
from engine.training.data import rendered  # noqa: E402
from engine.training.judging import PROBE_RECIPE, attribute_accuracy, frechet  # noqa: E402
from engine.training.probe import read, train_probe  # noqa: E402
from engine.training.prompts import COLOR_NAMES, prompt_of, single_object_prompts  # noqa: E402
from engine.training.world import SHAPES  # noqa: E402

PROMPT = "a large red circle on a blue background"
OLD_DEFAULTS = "ddpm:25,25,7"  # the embedded default's sampling before its defaults.json


def parse(config: str) -> Settings:
    """"dpm++2m:10,10,3" → Settings with that sampler and those prior, decoder and upsampler steps."""
    sampler, steps = config.split(":")
    prior, decoder, up = (int(x) for x in steps.split(","))
    return Settings(sampler=sampler, prior_steps=prior, decoder_steps=decoder, upsampler_steps=up)


def seconds_256(model, s: Settings, repeats: int) -> float:
    """Median wall seconds of a 256 px text→image after one warm-up."""
    times = []
    for i in range(repeats + 1):
        start = time.perf_counter()
        end = serve(model, TextToImage(PROMPT, seeds=(3,), settings=replace(s, size=256)))
        if not isinstance(end, Finished):
            raise RuntimeError(f"generation failed: {end}")
        times.append(time.perf_counter() - start)
    return statistics.median(times[1:])


GROUPS = ("single", "small", "binding", "variations", "decoder")  # the row groups, in the order they are drawn


def rows(model, probe, s: Settings, n: int, seed: int = 0, only: tuple[str, ...] = GROUPS) -> dict[str, float]:
    """The sampling-dependent rows of the groups in `only`, as fractions (the Fréchet distance as it is); every
    group's prompts are drawn whether it runs or not, so a group's prompts never depend on `only`."""
    rng = np.random.default_rng(seed)
    s256 = replace(s, size=256)
    out: dict[str, float] = {}
    scenes = single_object_prompts(rng, n, ("medium", "large"))
    if "single" in only:
        images = run_requests(model, [TextToImage(prompt_of(sc), (seed + i,), s256) for i, sc in enumerate(scenes)],
                              "single objects")
        out.update({f"single {k}": v for k, v in attribute_accuracy(probe, images, scenes).items()})
        with torch.no_grad():
            out["frechet"] = frechet(probe.embed(F.interpolate(images, size=(64, 64), mode="area")),
                                     probe.embed(rendered(scenes, 64)))
    small = single_object_prompts(rng, n // 2, ("small",))
    if "small" in only:
        got = run_requests(model, [TextToImage(prompt_of(sc), (seed + i,), s256) for i, sc in enumerate(small)],
                           "small")
        out.update({f"small {k}": v for k, v in attribute_accuracy(probe, got, small).items()})
    pairs = []
    for _ in range(n // 2):
        (s1, s2), (c1, c2) = rng.choice(SHAPES, 2, replace=False), rng.choice(COLOR_NAMES, 2, replace=False)
        pairs.append(((str(s1), str(c1)), (str(s2), str(c2))))
    a = lambda word: "an" if word[0] in "aeiou" else "a"  # noqa: E731
    texts = [f"{a(c1)} {c1} {s1} and {a(c2)} {c2} {s2}" for (s1, c1), (s2, c2) in pairs]
    if "binding" in only:
        seen = read(probe, run_requests(model, [TextToImage(t, (seed + i,), s256) for i, t in enumerate(texts)],
                                        "binding"), objects=2)
        out["binding"] = float(np.mean([v["pairs"] == set(p) for v, p in zip(seen, pairs)]))
    sources = single_object_prompts(rng, n // 4, ("medium", "large"))
    if "variations" in only:
        out["variations keep"] = float(np.mean(variations(model, probe, sources, seed, s256)["kept"]))
    if "decoder" in only:
        alone = decoder_alone(model, probe, scenes, seed, replace(s, size=model.config.decoder.size))
        out.update({f"decoder alone {k}": v for k, v in alone.items()})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default")
    parser.add_argument("--prompts", type=int, default=48)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--configs", nargs="+", default=[OLD_DEFAULTS, "ddpm:25,10,3", "dpm++2m:10,10,3"])
    parser.add_argument("--probe-cache", default="runs/probe")
    parser.add_argument("--only", nargs="+", choices=GROUPS, default=list(GROUPS), help="row groups to run")
    parser.add_argument("--threads", type=int, help="torch's CPU threads (default: torch's own choice)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    keep_freed_memory()
    model = load_bundle(args.model, "cpu", dtype_named("auto", "cpu"))
    steps, scenes = PROBE_RECIPE[False]  # the eval's probe, from its cache
    probe = train_probe(steps, 0, scenes=scenes, cache=Path(args.probe_cache))
    table = {}
    for config in args.configs:
        s = parse(config)
        table[config] = {"t2i_256_s": seconds_256(model, s, args.repeats),
                         **rows(model, probe, s, args.prompts, only=tuple(args.only))}
        print(config, json.dumps(table[config]), file=sys.stderr, flush=True)
    base = table[args.configs[0]]
    for config, row in table.items():
        row["ratio"] = row["t2i_256_s"] / base["t2i_256_s"]
        row["worst_delta_points"] = max(100 * (base[k] - row[k]) for k in row
                                        if k not in ("t2i_256_s", "frechet", "ratio"))
    meta = {"date": time.strftime("%Y-%m-%d"), "torch_threads": torch.get_num_threads(), "prompts": args.prompts,
            "rows": args.only}
    print(json.dumps({"meta": meta, "configs": table}, indent=1) if args.json else
          "\n".join(f"{c}: {r['t2i_256_s']:.2f} s (×{r['ratio']:.2f}), worst drop {r['worst_delta_points']:.1f} pts"
                    for c, r in table.items()))


if __name__ == "__main__":
    main()
