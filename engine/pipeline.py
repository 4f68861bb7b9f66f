"""unCLIP end to end: embed → prior → decode → upsample, as a generator of events.

A latent decoder (Kandinsky 2.2) decodes through its MoVQ and has no upsamplers: embed → prior → decode → MoVQ.

`generate` yields StageStarted / StepDone (with previews) / ImageReady, then Finished, Cancelled or Failed;
engine.runner drains it. A CancelToken is checked between sampler steps.
"""
from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from typing import Callable, Generator

import torch
import torch.nn.functional as F

from .config import PriorStageConfig, UpsamplerStageConfig
from .diffusion.noise import PerImageNoise
from .diffusion.samplers import NoiseFn, Step
from .diffusion.schedule import respace
from .errors import UserError
from .events import Cancelled, Event, Failed, FailureKind, Finished, ImageReady, StageStarted, StepDone, drain
from .latent import vary_embedding
from .model import UnCLIP
from .record import describe
from .requests import ImageVariation, Request, Settings, TextToImage
from .stage import Stage
from .stages.decoder import decode
from .stages.embed import TextEncoding
from .stages.latent_decoder import decode_latent
from .stages.prior import sample_prior
from .stages.upsampler import edge_padding, upsample

PREVIEW_MAX = 256  # px; larger stages are previewed downscaled
NoiseFactory = Callable[[Stage], NoiseFn]  # a stage → its noise source


class CancelToken:
    """Set from any thread; the pipeline stops before its next sampler step."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()


class _Stop(Exception):
    """Raised inside the pipeline when its CancelToken is set."""


def resolve_settings(model: UnCLIP, settings: Settings) -> Settings:
    """Fill unset steps and guidance from the bundle and check the size against its stages."""
    c = model.config
    size = settings.size or c.default_size or c.sizes[-1]
    if size not in c.sizes:
        raise UserError(f"size {size} is not a stage of this model: choose one of {', '.join(map(str, c.sizes))}")
    pick = lambda value, default: default if value is None else value  # noqa: E731
    prior = c.prior or PriorStageConfig()
    steps = pick(settings.decoder_steps, c.decoder.steps)
    guidance = pick(settings.decoder_guidance, c.decoder.guidance)
    if settings.decoder_spacing == "even":
        try:
            respace(f"ddim{steps}", c.decoder.diffusion.train_steps)
        except ValueError as err:
            raise UserError(f"even decoder spacing: {err}") from None
    return dataclasses.replace(
        settings, size=size,
        sampler=pick(settings.sampler, c.sampler),
        prior_steps=pick(settings.prior_steps, prior.steps),
        decoder_steps=pick(settings.decoder_steps, c.decoder.steps),
        upsampler_steps=settings.upsampler_steps,  # None: each upsampler the plan's steps
        upsampler_plan=settings.upsampler_plan or (
            None if settings.upsampler_steps else tuple(u.steps for u in c.upsamplers)),
        prior_guidance=pick(settings.prior_guidance, prior.guidance),
        decoder_guidance=guidance, layout_guidance=pick(settings.layout_guidance, guidance),
        accept_cosine=pick(settings.accept_cosine, c.decoder.accept_cosine))


def upsampler_steps(s: Settings, stage: UpsamplerStageConfig, index: int) -> int:
    """The steps upsampler `index` runs: the request's for every upsampler, else the plan's, else the stage's own."""
    if s.upsampler_steps:
        return s.upsampler_steps
    return s.upsampler_plan[index] if s.upsampler_plan and index < len(s.upsampler_plan) else stage.steps


def to_uint8(x: torch.Tensor) -> torch.Tensor:
    """(B, 3, H, W) in [-1, 1] → (B, H, W, 3) uint8 on the CPU."""
    return ((x.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu()


class _Driver:
    """Runs one stage's sampler, turning its steps into events and honouring the cancel token."""

    def __init__(self, cancel: CancelToken, previews: bool, to_pixels: Callable[[torch.Tensor], torch.Tensor] | None = None):
        self.cancel, self.previews = cancel, previews
        self.to_pixels = to_pixels or (lambda x0: x0)  # a latent pred_x0 → something that looks like it
        self.stage: Stage | None = None
        self.step = 0

    def __call__(self, stage: Stage, steps: int,
                 sampler: Generator[Step, None, torch.Tensor]) -> Generator[Event, None, torch.Tensor]:
        self.stage, self.step = stage, 0
        yield StageStarted(stage, steps)
        while True:
            if self.cancel.cancelled:
                raise _Stop
            try:
                with torch.inference_mode():
                    step = next(sampler)
            except StopIteration as done:
                return done.value
            self.step = step.index + 1
            yield StepDone(stage, self.step, step.total, self._preview(step) if stage.makes_image else None)

    def _preview(self, step: Step):
        if not self.previews:
            return None
        x0 = self.to_pixels(step.pred_x0)
        if x0.shape[-1] > PREVIEW_MAX:
            x0 = F.interpolate(x0.float(), size=(PREVIEW_MAX, PREVIEW_MAX), mode="area")
        return to_uint8(x0).numpy()


def generate(model: UnCLIP, request: Request, cancel: CancelToken | None = None, previews: bool = True,
             noise: NoiseFactory | None = None) -> Generator[Event, None, Event]:
    """Serve a request (Ramesh et al. 2022, fig. 2): CLIP → prior → decoder → upsamplers.

    Yields every event and returns the last (Finished, Failed or Cancelled). `noise(stage)` may replace the
    per-image seeded noise (parity tests replay a reference's draws; strips start from given x_T).
    """
    cancel, start = cancel or CancelToken(), time.perf_counter()
    drive = _Driver(cancel, previews, model.preview)
    try:
        s = resolve_settings(model, request.settings)
        seeds = list(request.seeds)
        noise = noise or seeded_noise(seeds, model.device)
        text, uncond = encode_captions(model, request.prompt, len(seeds))
        z_i = yield from image_embedding(model, request, text, uncond, s, noise, drive)
        x = yield from decode_image(model, z_i, text, uncond, s, noise, drive)
        x = yield from upsample_image(model, x, s, noise, drive)
        pixels = to_uint8(x).numpy()
        done = [upsampler_steps(s, u, i) for i, u in enumerate(model.config.upsamplers) if u.size <= s.size]
        ready = tuple(ImageReady(i, seed, pixels[i], describe(model, request, s, i, z_i[i], done))
                      for i, seed in enumerate(seeds))
        yield from ready
        end: Event = Finished(ready, time.perf_counter() - start, x.float().cpu())
    except _Stop:
        end = Cancelled(drive.stage, drive.step)
    except UserError as err:
        end = Failed(str(err))
    except (torch.OutOfMemoryError, MemoryError) as err:
        end = Failed(f"{type(err).__name__}: {err}", traceback.format_exc(), FailureKind.OUT_OF_MEMORY)
    except Exception as err:  # a failing stage ends this request, never the caller
        end = Failed(f"{type(err).__name__}: {err}", traceback.format_exc(), FailureKind.INTERNAL)
    yield end
    return end


def seeded_noise(seeds: list[int], device) -> NoiseFactory:
    """Each image's noise for a stage drawn from its own seed and the stage's noise name."""
    return lambda stage: PerImageNoise(seeds, stage.noise_name, device)


def encode_captions(model: UnCLIP, prompt: str, b: int) -> tuple[TextEncoding, TextEncoding]:
    """CLIP's encoding of the caption and of the empty caption (for guidance), each for a batch of b."""
    with torch.inference_mode(), model.running("clip"):
        if model.movq is not None:
            model.negative_embed()  # a latent decoder's guidance needs CLIP once more: while it is here
        return model.clip.encode_text([prompt] * b), model.clip.encode_text([""] * b)


def image_embedding(model: UnCLIP, request: Request, text: TextEncoding, uncond: TextEncoding, s: Settings,
                    noise: NoiseFactory, drive: _Driver) -> Generator[Event, None, torch.Tensor]:
    """z_i (B, D): from the prior for a caption, from CLIP for an image, or as given."""
    b = text.embed.shape[0]
    if isinstance(request, TextToImage):
        if model.prior is None:
            raise UserError("this model has no diffusion prior (an image-variations bundle): it makes "
                            "variations of images, not images from text")
        candidates = []
        with model.running("prior"):
            for k in range(s.prior_candidates):
                stage = Stage.prior(k)
                candidates.append((yield from drive(stage, s.prior_steps, sample_prior(
                    model.prior, model.process(stage.component), text, uncond, noise(stage), s))))
        candidates = torch.stack(candidates)  # (K, B, D)
        return candidates[closest(candidates, text.embed), torch.arange(b)]
    with torch.inference_mode(), model.running("clip"):
        if isinstance(request, ImageVariation):
            z = model.clip.encode_image(model.clip.image_pixels([request.image])).float()
            if request.amount > 0:  # each image drifts its own way, drawn from its seed
                return torch.stack([vary_embedding(z[0].cpu(), request.amount, seed) for seed in request.seeds]
                                   ).to(model.device)
        else:
            z = request.image_embed.reshape(-1, request.image_embed.shape[-1])
        return z.to(model.device, torch.float32).expand(b, -1).clone()


def run_embedding(model: UnCLIP, request: Request) -> torch.Tensor:
    """z_i (B, D) of a request alone: the prior's sample for a text (seeded), CLIP's embedding for an image."""
    s = resolve_settings(model, request.settings)
    return request_embedding(model, request, s, seeded_noise(list(request.seeds), model.device))[0]


def request_embedding(model: UnCLIP, request: Request, s: Settings,
                      noise: NoiseFactory) -> tuple[torch.Tensor, TextEncoding, TextEncoding]:
    """z_i (B, D) of a request under resolved settings, with its caption's and the empty caption's encodings."""
    text, uncond = encode_captions(model, request.prompt, len(request.seeds))
    z_i = drain(image_embedding(model, request, text, uncond, s, noise, _Driver(CancelToken(), previews=False)))
    return z_i, text, uncond


def decode_image(model: UnCLIP, z_i: torch.Tensor, text: TextEncoding, uncond: TextEncoding, s: Settings,
                 noise: NoiseFactory, drive: _Driver) -> Generator[Event, None, torch.Tensor]:
    """The decoder's image (B, 3, 64, 64) in [-1, 1] for each z_i (a latent decoder's: at the asked size).

    With several candidates (the paper's two-sample trick of §2.2, one stage on), each image is the first draw
    whose CLIP image embedding reaches cosine `accept_cosine` to z_i, else the closest of all; a draw is made
    only while some image has not been accepted.
    """
    size = model.config.decoder.size if model.movq is None else s.size
    best = best_cos = None
    for k in range(s.decoder_candidates):
        stage = Stage.decoder(size, k)
        x = yield from drive(stage, s.decoder_steps, render(model, stage, z_i, text, uncond, s, noise(stage)))
        if s.decoder_candidates == 1:
            return x
        with torch.inference_mode(), model.running("clip"):
            cos = F.cosine_similarity(model.clip.encode_image(model.clip.tensor_pixels(x)).float(),
                                      z_i.float(), dim=-1)  # (B,)
            if best is None:
                best, best_cos = x.clone(), cos
            else:
                take = (best_cos < s.accept_cosine) & (cos > best_cos)  # an accepted image stays
                best[take], best_cos = x[take], torch.where(take, cos, best_cos)
        if s.accept_cosine < 1 and bool((best_cos >= s.accept_cosine).all()):
            break
    return best


def render(model: UnCLIP, stage: Stage, z_i: torch.Tensor, text: TextEncoding, uncond: TextEncoding, s: Settings,
           noise: NoiseFn) -> Generator[Step, None, torch.Tensor]:
    """One decoder draw at the stage's size: the pixel decoder's, or a latent decoder's through its MoVQ."""
    process = model.process(stage.component)
    with model.running("decoder", "conditioning", "movq"):
        if model.movq is None:
            return (yield from decode(model.decoder, model.conditioning, process, z_i, text, uncond, noise, stage.size,
                                      s))
        return (yield from decode_latent(model.decoder, model.movq, process, z_i, model.negative_embed(), noise,
                                         stage.size, s, model.config.latent.steps_offset))


def upsample_image(model: UnCLIP, x: torch.Tensor, s: Settings, noise: NoiseFactory,
                   drive: _Driver) -> Generator[Event, None, torch.Tensor]:
    """(B, 3, 64, 64) → (B, 3, s.size, s.size) in [-1, 1] through the upsamplers up to the asked size."""
    for i, (cfg, up) in enumerate(zip(model.config.upsamplers, model.upsamplers)):
        if cfg.size > s.size:
            break
        stage, steps = Stage.upsampler(i, cfg.size), upsampler_steps(s, cfg, i)
        padded = dataclasses.replace(s, upsampler_padding=edge_padding(s, cfg))  # the request's, else the stage's
        with model.running(f"upsampler{i}.first", f"upsampler{i}.last"):
            x = yield from drive(stage, steps, upsample(
                up.first, up.last, model.process(stage.component), x, cfg.size, noise(stage), steps, padded))
    return x


def closest(candidates: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per item, the index of the candidate (K, B, D) with the highest cosine similarity to the target (B, D)."""
    return F.cosine_similarity(candidates.float(), target.float()[None], dim=-1).argmax(0)
