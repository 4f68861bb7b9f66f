"""Read a bundle in the project's own layout: configs are our frozen dataclasses as JSON, weights our state dicts."""
from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from ...config import BundleConfig, ClipConfig, DecoderStageConfig, PriorStageConfig, UpsamplerStageConfig, from_dict
from ...model import UnCLIP, Upsampler, clip_dtype
from ...nn.conditioning import DecoderConditioning
from ...nn.transformer import PriorTransformer
from ...nn.unet import UNet
from ...stages.embed import ClipEncoder, ClipTowers
from ...weights import IDENTITY, BundleError, load_module, read_files, weight_files
from ..files import read_json, read_vocabulary
from .layout import CONDITIONING, CONFIG, FIRST, LAST, MODEL


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
    """The BundleConfig of a folder in our layout (no prior/ folder: an image-variations bundle)."""
    return BundleConfig(
        name=index.get("name", folder.name),
        clip=_component(folder, "clip", ClipConfig),
        prior=_component(folder, "prior", PriorStageConfig) if (folder / "prior").is_dir() else None,
        decoder=_component(folder, "decoder", DecoderStageConfig),
        upsamplers=tuple(_upsampler(folder, u) for u in index.get("upsamplers", [])),
        default_size=index.get("default_size"),
    )


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
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, upsamplers,
                  vocabulary=read_vocabulary(folder))
