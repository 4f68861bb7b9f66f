"""A latent decoder p(latent | z_i) and its MoVQ: CLIP image embedding → latent → pixels (Kandinsky 2.2).

The unCLIP decoder of §2.1 moved into a latent space: the UNet denoises a (B, 4, s/8, s/8) latent conditioned
only on z_i, and MoVQ's decoder turns the latent into the image. Guidance swaps in the CLIP embedding of an
all-zero image, as the reference's prior pipeline makes its negative embedding.
"""
from __future__ import annotations

from typing import Generator

import torch
import torch.nn.functional as F

from ..diffusion.guidance import Scale, classifier_free
from ..diffusion.samplers import SAMPLERS, ModelFn, NoiseFn, Process, Step, ddim_invert, run_to_end
from ..diffusion.schedule import cosine_betas, respace
from ..errors import UserError
from ..nn.latent_unet import ImageConditionedUNet
from ..nn.movq import MoVQDecoder
from ..requests import Settings
from .decoder import layout_schedule

PREVIEW_FIT_SIDE = 16  # latent cells a side in the one MoVQ decode that fits the preview map


def latent_betas(spec: tuple[str, float, float], train_steps: int) -> torch.Tensor:
    """diffusers' beta schedules by name: linear or scaled_linear (in float32, as its schedulers make them), cosine."""
    name, start, end = spec
    if name == "linear":
        return torch.linspace(start, end, train_steps, dtype=torch.float32)
    if name == "scaled_linear":
        return torch.linspace(start**0.5, end**0.5, train_steps, dtype=torch.float32) ** 2
    if name == "squaredcos_cap_v2":
        return cosine_betas(train_steps)
    raise ValueError(f"unknown beta schedule {name!r}")


def latent_timesteps(s: Settings, train_steps: int, offset: int) -> list[int]:
    """Descending timesteps: diffusers' "leading" spacing (i · T // n + offset), or even DDIM strides ("even")."""
    n = s.decoder_steps
    if s.decoder_spacing == "even":
        return respace(f"ddim{n}", train_steps)[0]
    ratio = train_steps // n
    if (n - 1) * ratio + offset >= train_steps:
        raise UserError(f"decoder steps must be at most {train_steps - offset} for this model, got {n}")
    return [i * ratio + offset for i in reversed(range(n))]


def latent_decoder_fn(unet: ImageConditionedUNet, image_embed: torch.Tensor, negative_embed: torch.Tensor,
                      guidance: Scale, learned_variance: bool) -> ModelFn:
    """The latent UNet as a function of (x_t, t) for z_i (B, D), guided by the negative embedding (1, D) if asked;
    its variance channels are dropped unless the process learned them."""
    dtype = unet.conv_in.weight.dtype
    b, channels = image_embed.shape[0], unet.config.in_channels
    guided = callable(guidance) or guidance != 1
    z_i = image_embed.to(dtype)
    if guided:
        z_i = torch.cat([negative_embed.to(z_i).expand(b, -1), z_i])  # [uncond; cond]
    time_term, context = unet.condition(z_i)

    def model_fn(x_t: torch.Tensor, t: int) -> torch.Tensor:
        return unet(x_t.to(dtype), t, time_term, context)

    fn = classifier_free(model_fn, guidance, guided_channels=channels) if guided else model_fn
    return fn if learned_variance else lambda x_t, t: fn(x_t, t)[:, :channels]


def decode_latent(unet: ImageConditionedUNet, movq: MoVQDecoder, process: Process, image_embed: torch.Tensor,
                  negative_embed: torch.Tensor, noise: NoiseFn, size: int, s: Settings,
                  steps_offset: int) -> Generator[Step, None, torch.Tensor]:
    """Render z_i (B, D) at size px: sample the latent with the settings' steps, spacing, guidance and sampler, then
    decode it with MoVQ. Yields sampler steps (pred_x0 is a latent); returns the image (B, 3, size, size) in [-1, 1]."""
    schedule = layout_schedule(s.decoder_guidance, s.layout_guidance, process.schedule.train_steps, s.layout_from)
    fn = latent_decoder_fn(unet, image_embed, negative_embed, schedule, process.config.variance == "learned_range")
    timesteps = latent_timesteps(s, process.schedule.train_steps, steps_offset)
    side = size // movq.config.scale
    x = noise(torch.Size((image_embed.shape[0], unet.config.in_channels, side, side)))  # x_T ~ N(0, I)
    for step in SAMPLERS[s.sampler](fn, x, timesteps, process, noise, **s.sampler_options):
        yield step
        x = step.x
    return movq(x.to(movq.conv_in.weight.dtype)).float().clamp(-1, 1)


def invert_latent(unet: ImageConditionedUNet, movq: MoVQDecoder, process: Process, image: torch.Tensor,
                  image_embed: torch.Tensor, negative_embed: torch.Tensor, s: Settings,
                  steps_offset: int) -> torch.Tensor:
    """DDIM inversion in the latent space: the image (B, 3, size, size) in [-1, 1] through MoVQ's encoder, then the
    latent UNet run backwards along the settings' timesteps and guidance for z_i (B, D): the x_T (B, C, size/8,
    size/8) from which decode_latent's deterministic DDIM render gives back the encoded latent."""
    schedule = layout_schedule(s.decoder_guidance, s.layout_guidance, process.schedule.train_steps, s.layout_from)
    fn = latent_decoder_fn(unet, image_embed, negative_embed, schedule, process.config.variance == "learned_range")
    latent = movq.encoder(image.to(movq.conv_in.weight.dtype)).float()  # (B, C, size/8, size/8), unquantised
    timesteps = latent_timesteps(s, process.schedule.train_steps, steps_offset)
    return run_to_end(ddim_invert(fn, latent, timesteps, process)).float()


@torch.inference_mode()
def fit_preview_map(movq: MoVQDecoder, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A linear map latent → RGB (weight (3, C), bias (3,)), least-squares fitted once to what MoVQ decodes from
    random latents, area-averaged to the latent grid: previews without a MoVQ decode a step."""
    c, device, dtype = movq.config.latent_channels, movq.conv_in.weight.device, movq.conv_in.weight.dtype
    g = torch.Generator("cpu").manual_seed(seed)
    z = torch.randn(2, c, PREVIEW_FIT_SIDE, PREVIEW_FIT_SIDE, generator=g)
    rgb = F.adaptive_avg_pool2d(movq(z.to(device, dtype)).float().cpu(), PREVIEW_FIT_SIDE)  # (2, 3, 16, 16)
    a = torch.cat([z.permute(0, 2, 3, 1).reshape(-1, c), torch.ones(z.numel() // c, 1)], dim=1)  # (N, C + 1)
    solution = torch.linalg.lstsq(a.double(), rgb.permute(0, 2, 3, 1).reshape(-1, 3).double()).solution  # (C+1, 3)
    return solution[:c].T.float(), solution[c].float()


def preview_pixels(latent: torch.Tensor, preview_map: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """A latent (B, C, h, w) → its preview (B, 3, h, w), about [-1, 1], through the fitted linear map."""
    weight, bias = preview_map
    return torch.einsum("bchw,rc->brhw", latent.float().cpu(), weight) + bias[None, :, None, None]
