"""Read a bundle in the project's own layout: configs are our frozen dataclasses as JSON, weights our state dicts."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

import dataclasses

from ...config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig, from_dict
from ...limits import SAMPLER_NAMES
from ...nn.live import LiveConfig, LiveDecoder
from ...model import UnCLIP, Upsampler, clip_dtype
from ...nn.conditioning import DecoderConditioning
from ...nn.transformer import PriorTransformer
from ...nn.unet import UNet
from ...stages.embed import ClipEncoder, ClipTowers
from ...weights import IDENTITY, BundleError, load_module, read_files, weight_files
from ..files import read_json, read_vocabulary
from .layout import CONDITIONING, CONFIG, DEFAULTS, FIRST, LAST, LIVE, MODEL


def _component(folder: Path, name: str, cls):
    """A component's config from `name/config.json`."""
    try:
        return from_dict(cls, read_json(folder / name / CONFIG))
    except BundleError:
        raise
    except (TypeError, ValueError) as err:
        raise BundleError(f"{name}/{CONFIG}: {err}")


def _upsampler(folder: Path, name: str) -> UpsamplerStageConfig:
    """An upsampler's config. One written before configs named their padding (the embedded default's, whose
    config.json is part of its fingerprint) gets the way it ran then: "reflect" without a last-step model."""
    data = read_json(folder / name / CONFIG)
    if isinstance(data, dict) and "padding" not in data:
        data = {**data, "padding": "zero" if data.get("last_step_model", True) else "reflect"}
    try:
        return from_dict(UpsamplerStageConfig, data)
    except (TypeError, ValueError) as err:
        raise BundleError(f"{name}/{CONFIG}: {err}")


def bundle_config(folder: Path, index: dict) -> BundleConfig:
    """The BundleConfig of a folder in our layout (no prior/ folder: an image-variations bundle), with its sampling
    defaults (defaults.json) and live decoder (live_decoder/) where it has them."""
    config = BundleConfig(
        name=index.get("name", folder.name),
        clip=_component(folder, "clip", ClipConfig),
        prior=_component(folder, "prior", PriorStageConfig) if (folder / "prior").is_dir() else None,
        decoder=_component(folder, "decoder", DecoderStageConfig),
        upsamplers=tuple(_upsampler(folder, u) for u in index.get("upsamplers", [])),
        default_size=index.get("default_size"),
        live=_component(folder, LIVE, LiveConfig) if (folder / LIVE).is_dir() else None,
    )
    return with_defaults(config, read_json(folder / DEFAULTS)) if (folder / DEFAULTS).is_file() else config


def with_defaults(config: BundleConfig, data: dict) -> BundleConfig:
    """The config with defaults.json's sampler and steps: {"sampler", "prior_steps", "decoder_steps",
    "upsampler_steps": [one per upsampler]}, each optional."""
    unknown = set(data) - {"sampler", "prior_steps", "decoder_steps", "upsampler_steps"}
    ups = data.get("upsampler_steps", [u.steps for u in config.upsamplers])
    steps = [data.get(k, 1) for k in ("prior_steps", "decoder_steps")] + list(ups)
    if unknown or data.get("sampler", config.sampler) not in SAMPLER_NAMES or len(ups) != len(config.upsamplers) \
            or not all(isinstance(n, int) and n >= 1 for n in steps):
        raise BundleError(f"{DEFAULTS}: expected a known sampler and positive whole steps, one per upsampler; "
                          f"got {data}")
    prior = config.prior and dataclasses.replace(config.prior, steps=data.get("prior_steps", config.prior.steps))
    return dataclasses.replace(
        config, sampler=data.get("sampler", config.sampler), prior=prior,
        decoder=dataclasses.replace(config.decoder, steps=data.get("decoder_steps", config.decoder.steps)),
        upsamplers=tuple(dataclasses.replace(u, steps=n) for u, n in zip(config.upsamplers, ups)))


def load(folder: Path, index: dict, device: torch.device | str, dtype: torch.dtype) -> UnCLIP:
    """Every component into our networks, straight to `device` in `dtype` (CLIP as `clip_dtype` says)."""
    config = bundle_config(folder, index)

    def module(factory, name: str, stem: str = MODEL, dtype_=dtype) -> nn.Module:
        return load_module(factory, [(read_files(weight_files(folder / name, (stem,)), device), IDENTITY)],
                           f"{name}/{stem}", device, dtype_)

    clip = module(lambda: ClipTowers(config.clip), "clip", dtype_=clip_dtype(device, dtype))
    prior = module(lambda: PriorTransformer(config.prior.network), "prior") if config.prior else None
    decoder = module(lambda: UNet(config.decoder.network), "decoder")
    conditioning = module(lambda: DecoderConditioning(config.decoder.conditioning), "decoder", CONDITIONING)
    upsamplers = []
    for name, cfg in zip(index.get("upsamplers", []), config.upsamplers):
        first = module(lambda: UNet(cfg.network), name, FIRST)
        last = module(lambda: UNet(cfg.network), name, LAST) if cfg.last_step_model else None
        upsamplers.append(Upsampler(first, last))
    live = module(lambda: LiveDecoder(config.live), LIVE) if config.live is not None else None
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, upsamplers,
                  vocabulary=read_vocabulary(folder), live=live)
