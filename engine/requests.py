"""What the studio and the CLI ask the engine for; validated on construction."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from PIL import Image

from .errors import UserError
from .limits import FREE_LAYOUT_CANDIDATES, FREE_LAYOUT_GUIDANCE, MAX_SEED, MAX_STEPS, PRESETS, SAMPLER_NAMES  # noqa: F401

if TYPE_CHECKING:  # torch is not imported here, so a command line can build and check requests at once
    import torch


@dataclass(frozen=True)
class Settings:
    """Per-stage steps and guidance; None takes the bundle's default for that stage."""

    prior_steps: int | None = None
    decoder_steps: int | None = None
    upsampler_steps: int | None = None
    prior_guidance: float | None = None
    decoder_guidance: float | None = None
    sampler: str | None = None  # None: the bundle's (BundleConfig.sampler)
    eta: float = 0.0  # DDIM noise; 0 = deterministic
    size: int | None = None  # output side in px; None = the bundle's default
    prior_candidates: int = 1  # paper §2.2: draw this many z_i and keep the one closest to the caption
    decoder_candidates: int = 1  # the same trick one stage on: draw up to this many images (see accept_cosine)
    decoder_spacing: str = "karlo"  # "karlo": T−1 … 0 rounded; "even": DDIM strides, never t = T−1 (inversion)
    layout_guidance: float | None = None  # decoder guidance on its layout steps (t ≥ 0.9 T); None = decoder's
    accept_cosine: float | None = None  # decoder candidates: stop at the first this close to z_i; 1 = closest of all
    layout_from: float = 0.9  # layout steps: t ≥ layout_from · T, where the composition is decided (bench/variations.py)
    # The upsamplers' image edges: "zero" (records of schema ≤ 2) runs the network on the image as it is, whose
    # zero-padded border ring comes out noisy; "reflect" runs it on the input mirrored by a few pixels at each side
    # and crops them off (bench/edges.py). None: the bundle's way (UpsamplerStageConfig.padding; edge_padding).
    upsampler_padding: str | None = None
    # Steps of each upsampler in order, where upsampler_steps is unset: resolved from the bundle's defaults and kept
    # in every record, so an image replays with the steps it was made with after the defaults change.
    upsampler_plan: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        for name in ("prior_steps", "decoder_steps", "upsampler_steps"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= MAX_STEPS):
                raise UserError(f"{name.replace('_', ' ')} must be a whole number from 1 to {MAX_STEPS}, got {v!r}")
        for name in ("prior_guidance", "decoder_guidance", "layout_guidance", "eta"):
            v = getattr(self, name)
            if v is not None and (not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0 or v > 100):
                raise UserError(f"{name.replace('_', ' ')} must be a number from 0 to 100, got {v!r}")
        if isinstance(self.layout_from, bool) or not isinstance(self.layout_from, (int, float)) \
                or not 0 <= self.layout_from <= 1:
            raise UserError(f"layout from must be a number from 0 to 1, got {self.layout_from!r}")
        v = self.accept_cosine
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)
                              or not -1 <= v <= 1):
            raise UserError(f"accept cosine must be a number from -1 to 1, got {v!r}")
        plan = self.upsampler_plan
        if plan is not None and (not isinstance(plan, (tuple, list)) or not all(
                isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= MAX_STEPS for v in plan)):
            raise UserError(f"upsampler plan must be whole numbers of steps from 1 to {MAX_STEPS}, got {plan!r}")
        if isinstance(plan, list):
            object.__setattr__(self, "upsampler_plan", tuple(plan))
        for name in ("prior_candidates", "decoder_candidates"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 8:
                raise UserError(f"{name.replace('_', ' ')} must be a whole number from 1 to 8, got {v!r}")
        if self.upsampler_padding not in (None, "zero", "reflect"):
            raise UserError(f"unknown upsampler padding {self.upsampler_padding!r}: choose zero or reflect")
        if self.decoder_spacing not in ("karlo", "even"):
            raise UserError(f"unknown decoder spacing {self.decoder_spacing!r}: choose karlo or even")
        if self.sampler is not None and self.sampler not in SAMPLER_NAMES:
            raise UserError(f"unknown sampler {self.sampler!r}: choose one of {', '.join(SAMPLER_NAMES)}")

    @property
    def sampler_options(self) -> dict:
        """The sampler's own options: DDIM's η."""
        return {"eta": self.eta} if self.sampler == "ddim" else {}


FREE_LAYOUT = Settings(layout_guidance=FREE_LAYOUT_GUIDANCE, decoder_candidates=FREE_LAYOUT_CANDIDATES)


def check_seeds(seeds: tuple[int, ...]) -> None:
    """Seeds are whole numbers in [0, 2³² − 1], at least one."""
    if not seeds:
        raise UserError("at least one seed (image) is needed")
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s <= MAX_SEED:
            raise UserError(f"seed must be a whole number from 0 to {MAX_SEED}, got {s!r}")


def clean_prompt(prompt: str) -> str:
    """Drop control characters (NUL included) that no tokenizer should see; keep all printable text."""
    return "".join(ch for ch in prompt if ch.isprintable() or ch in " \n\t").replace("\n", " ").replace("\t", " ")


@dataclass(frozen=True)
class TextToImage:
    """A caption → images, one per seed."""

    prompt: str
    seeds: tuple[int, ...] = (0,)
    settings: Settings = Settings()
    kind: str = field(default="text2image", init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "prompt", clean_prompt(self.prompt))
        check_seeds(self.seeds)


@dataclass(frozen=True, eq=False)
class ImageVariation:
    """Variations of an image: its CLIP image embedding, new decoder noise per seed."""

    image: Image.Image
    seeds: tuple[int, ...] = (0,)
    settings: Settings = Settings()
    source_name: str = ""
    amount: float = 0.0  # 0: same z_i, new noise (the paper's variations); 1: z_i half-way to a random direction
    kind: str = field(default="variation", init=False)

    def __post_init__(self) -> None:
        check_seeds(self.seeds)
        if isinstance(self.amount, bool) or not isinstance(self.amount, (int, float)) \
                or not math.isfinite(self.amount) or not 0 <= self.amount <= 1:
            raise UserError(f"variation amount must be a number from 0 to 1, got {self.amount!r}")

    @property
    def prompt(self) -> str:
        return ""

    @property
    def source_sha256(self) -> str:
        """Hash of the decoded RGB pixels, so that re-encoding the file does not change it."""
        rgb = self.image.convert("RGB")
        return hashlib.sha256(f"{rgb.size}".encode() + rgb.tobytes()).hexdigest()


@dataclass(frozen=True, eq=False)
class EmbeddingToImage:
    """Images from a given CLIP image embedding: the general form exploration builds on."""

    image_embed: "torch.Tensor"  # (D,) or (B, D), unnormalised
    seeds: tuple[int, ...] = (0,)
    settings: Settings = Settings()
    prompt: str = ""
    label: str = ""
    kind: str = field(default="embedding", init=False)

    def __post_init__(self) -> None:
        check_seeds(self.seeds)
        z = self.image_embed
        if z.dim() not in (1, 2) or (z.dim() == 2 and z.shape[0] not in (1, len(self.seeds))):
            raise UserError(f"image embedding must be (D,) or (images, D), got {tuple(z.shape)}")
        if not bool(z.isfinite().all()):
            raise UserError("image embedding contains NaN or infinity")


Request = TextToImage | ImageVariation | EmbeddingToImage
