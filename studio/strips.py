"""What the engine thread runs for the explorer: strips to build (an interpolation, a text diff, a mix of the pad's
corners) and the sources' embeddings they share, kept in the worker's memo; and the key that names a strip."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict


def strip_key(a: str, b: str, seed: int, settings, frames: int, noise: str, model: str) -> str:
    """What makes a strip's frames what they are (sources, seed, settings, frame count, noise, model)."""
    blob = json.dumps([a, b, seed, asdict(settings), frames, noise, model], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def strip_maker(a, b, n: int, seed: int, settings, mode: str):
    """What the engine thread runs once to build the strip: an interpolation or a text diff."""
    from engine.explore import interpolation, text_diff_strip
    if mode == "text diff":
        return lambda model: text_diff_strip(model, a, b.text, "", n, seed, settings)
    return lambda model: interpolation(model, a, b, n, seed, settings, mode)


def embedded(model, memo: dict | None, source, seed: int, settings):
    """A source's z_i (on the engine thread), kept in `memo` by source, seed and the prior's settings."""
    from engine.explore import embed_source
    if memo is None:
        return embed_source(model, source, seed, settings)
    prior = () if source.image is not None else (settings.prior_steps, settings.prior_guidance, settings.sampler,
                                                 settings.eta, settings.prior_candidates)
    key = ("z_i", source.label, seed, prior)
    if key not in memo:
        memo[key] = embed_source(model, source, seed, settings)
    return memo[key]


def mixed_strip(model, sources: list, weights: list[float], seed: int, settings, label: str, memo: dict | None = None):
    """A one-frame strip: the sources' embeddings mixed by barycentric weights (on the engine thread)."""
    import torch

    from engine.explore import Strip, mix
    z = mix(torch.stack([embedded(model, memo, s, seed, settings) for s in sources]), weights)
    return Strip(z[None], torch.zeros(1), seed, settings, label)


def built(memo: dict, key: str, make_strip, model):
    """The strip `key` as the worker keeps it, built (on the engine thread) if it is not yet."""
    if key not in memo:
        memo[key] = make_strip(model)
    return memo[key]
