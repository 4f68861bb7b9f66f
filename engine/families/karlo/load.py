"""Karlo's weights, read through the key maps into our networks; files on disk, or state dicts in memory."""
from __future__ import annotations

from pathlib import Path

import torch

from ...config import BundleConfig
from ...model import UnCLIP, Upsampler, clip_dtype
from ...nn.conditioning import DecoderConditioning
from ...nn.transformer import PriorTransformer
from ...nn.unet import UNet
from ...stages.clip_towers import ExactClipTowers
from ...stages.embed import ClipEncoder
from ...weights import load_module, read_files, weight_files
from ..hf_keys import PRIOR_MAP, TEXT_MAP, VISION_MAP
from .config import karlo_config
from .keys import TEXT_PROJ_MAP, UNET_MAP

DIFFUSERS_STEMS = ("diffusion_pytorch_model", "diffusion_pytorch_model.fp16")
TRANSFORMERS_STEMS = ("model", "pytorch_model", "model.fp16")


def load(folder: Path, index: dict, device: torch.device | str, dtype: torch.dtype) -> UnCLIP:
    """Every Karlo component into our networks, straight to `device` in `dtype`."""
    config = karlo_config(folder, index)

    def tensors(name: str, stems=DIFFUSERS_STEMS):
        return read_files(weight_files(folder / name, stems), device)

    sources = {name: tensors(name) for name in ("prior", "decoder", "text_proj", "super_res_first", "super_res_last")
               if (folder / name).is_dir()}
    sources["text_encoder"] = tensors("text_encoder", TRANSFORMERS_STEMS)
    if config.clip.vision:
        sources["image_encoder"] = tensors("image_encoder", TRANSFORMERS_STEMS)
    return assemble(config, sources, device, dtype)


def assemble(config: BundleConfig, sources: dict, device, dtype: torch.dtype) -> UnCLIP:
    """Our networks from diffusers-named tensors, per component (files, or state dicts in memory)."""
    clip_sources = [(sources["text_encoder"], TEXT_MAP)]
    if config.clip.vision:
        clip_sources.append((sources["image_encoder"], VISION_MAP))
    clip = load_module(lambda: ExactClipTowers(config.clip), clip_sources, "text_encoder", device, clip_dtype(device, dtype))
    prior = None
    if config.prior is not None:
        prior = load_module(lambda: PriorTransformer(config.prior.network), [(sources["prior"], PRIOR_MAP)], "prior",
                            device, dtype)
    decoder = load_module(lambda: UNet(config.decoder.network), [(sources["decoder"], UNET_MAP)], "decoder",
                          device, dtype)
    conditioning = load_module(lambda: DecoderConditioning(config.decoder.conditioning),
                               [(sources["text_proj"], TEXT_PROJ_MAP)], "text_proj", device, dtype)
    up = config.upsamplers[0]
    first = load_module(lambda: UNet(up.network), [(sources["super_res_first"], UNET_MAP)], "super_res_first",
                        device, dtype)
    last = load_module(lambda: UNet(up.network), [(sources["super_res_last"], UNET_MAP)], "super_res_last",
                       device, dtype) if up.last_step_model else None
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior, decoder, conditioning, [Upsampler(first, last)])
