"""Kandinsky 2.2's weights, read through the key maps into our networks, straight to the device in the dtype."""
from __future__ import annotations

from pathlib import Path

import torch

from ...model import UnCLIP, clip_dtype
from ...nn.latent_unet import ImageConditionedUNet
from ...nn.movq import MoVQDecoder
from ...nn.transformer import PriorTransformer
from ...stages.clip_towers import ExactClipTowers
from ...stages.embed import ClipEncoder
from ...weights import load_module, read_files, weight_files
from ..hf_keys import PRIOR_MAP, TEXT_MAP, VISION_MAP
from .config import kandinsky_config
from .keys import MOVQ_MAP, UNET_MAP
from .pair import prior_folder

DIFFUSERS_STEMS = ("diffusion_pytorch_model", "diffusion_pytorch_model.fp16")
TRANSFORMERS_STEMS = ("model", "pytorch_model", "model.fp16")


def folders(decoder: Path, index: dict) -> tuple[Path, ...]:
    """Both snapshots a Kandinsky model reads: the decoder named, and its prior found beside it."""
    return decoder, prior_folder(decoder)


def load(decoder: Path, index: dict, device: torch.device | str, dtype: torch.dtype) -> UnCLIP:
    """Every network of the pair into ours, one component at a time, straight to `device` in `dtype`."""
    prior = prior_folder(decoder)
    config = kandinsky_config(decoder, prior)

    def tensors(folder: Path, name: str, stems=DIFFUSERS_STEMS):
        return read_files(weight_files(folder / name, stems), device)

    clip = load_module(lambda: ExactClipTowers(config.clip),
                       [(tensors(prior, "text_encoder", TRANSFORMERS_STEMS), TEXT_MAP),
                        (tensors(prior, "image_encoder", TRANSFORMERS_STEMS), VISION_MAP)],
                       "text_encoder", device, clip_dtype(device, dtype))
    prior_net = load_module(lambda: PriorTransformer(config.prior.network), [(tensors(prior, "prior"), PRIOR_MAP)],
                            "prior", device, dtype)
    unet = load_module(lambda: ImageConditionedUNet(config.decoder.network, config.latent.conditioning),
                       [(tensors(decoder, "unet"), UNET_MAP)], "unet", device, dtype)
    movq = load_module(lambda: MoVQDecoder(config.latent.movq), [(tensors(decoder, "movq"), MOVQ_MAP)], "movq",
                       device, dtype)
    return UnCLIP(config, ClipEncoder(clip, config.clip), prior_net, unet, None, [], movq=movq)
