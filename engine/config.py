"""Frozen configs of a whole unCLIP bundle; defaults equal Karlo v1 alpha (kakaobrain/karlo configs/)."""
from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass, field

from .diffusion.schedule import DiffusionConfig
from .nn.conditioning import ConditioningConfig
from .nn.latent_unet import ImageConditioningConfig
from .nn.live import LiveConfig
from .nn.movq import MoVQConfig
from .nn.transformer import PriorConfig
from .nn.unet import UPSAMPLER_UNET, UNetConfig

OPENAI_MEAN = (0.48145466, 0.4578275, 0.40821073)
OPENAI_STD = (0.26862954, 0.26130258, 0.27577711)
PADDINGS = ("zero", "reflect")  # an upsampler's edge padding (UpsamplerStageConfig.padding)


@dataclass(frozen=True)
class ClipConfig:
    """An open_clip CLIP; the defaults are OpenAI ViT-L/14, the CLIP of Karlo."""

    embed_dim: int = 768
    image_size: int = 224
    patch_size: int = 14
    vision_width: int = 1024
    vision_layers: int = 24
    vision_head_width: int = 64
    text_width: int = 768
    text_layers: int = 12
    text_heads: int = 12
    context_length: int = 77
    vocab_size: int = 49408
    quick_gelu: bool = True
    vision: bool = True  # False: a text-only CLIP (Karlo's text→image repo ships no image encoder)
    mean: tuple[float, ...] = OPENAI_MEAN
    std: tuple[float, ...] = OPENAI_STD
    text_mlp_width: int | None = None  # None: 4 × text_width (open_clip's default ratio)
    vision_mlp_width: int | None = None  # None: 4 × vision_width; ViT-bigG's is 8192 for 1664
    vision_quick_gelu: bool | None = None  # None: as quick_gelu (one activation for both towers)
    gelu_tanh: bool = False  # exact GELU replaced by its tanh approximation (transformers' gelu_new / gelu_pytorch_tanh)
    norm_eps: float = 1e-5  # every LayerNorm's epsilon

    def __post_init__(self) -> None:
        if self.text_width != self.embed_dim:
            raise ValueError("unCLIP feeds CLIP text states and embeddings to one projection: "
                             "text_width must equal embed_dim")


@dataclass(frozen=True)
class PriorStageConfig:
    """The diffusion prior: x0-predicting, fixed small variance, clamp as diffusers' prior_scheduler."""

    network: PriorConfig = PriorConfig()
    diffusion: DiffusionConfig = DiffusionConfig(prediction="sample", clip_range=5.0)
    steps: int = 25
    guidance: float = 4.0


@dataclass(frozen=True)
class DecoderStageConfig:
    """The 64 px decoder: eps-predicting with learned-range variance."""

    network: UNetConfig = UNetConfig()
    conditioning: ConditioningConfig = ConditioningConfig()
    diffusion: DiffusionConfig = DiffusionConfig(variance="learned_range")
    size: int = 64
    steps: int = 25
    guidance: float = 8.0
    accept_cosine: float = 1.0  # decoder candidates stop at the first this close to z_i; 1: the closest of all


@dataclass(frozen=True)
class UpsamplerStageConfig:
    """A diffusion upsampler to `size` px; Karlo's last step runs a separately fine-tuned network."""

    network: UNetConfig = UPSAMPLER_UNET
    diffusion: DiffusionConfig = DiffusionConfig()
    size: int = 256
    last_step_model: bool = True
    steps: int = 7
    # The image's edges: "zero" runs the network on the image as it is (Karlo, as diffusers runs it); "reflect"
    # mirrors a few pixels at each side and crops them off, for networks trained on crops whose zero-padded border
    # ring comes out noisy (the embedded default's; bench/edges.py). A request's upsampler_padding overrides it.
    padding: str = "zero"

    def __post_init__(self) -> None:
        if self.padding not in PADDINGS:
            raise ValueError(f"upsampler padding must be one of {', '.join(PADDINGS)}, got {self.padding!r}")


@dataclass(frozen=True)
class LatentStageConfig:
    """What a latent decoder adds (Kandinsky 2.2): its image conditioning, the MoVQ that turns its latent into
    pixels, the output sizes it renders and the schedule it was trained with.

    The decoder stage's network then denoises latents of side size / movq.scale; `sizes` are multiples of
    movq.scale² (the reference rounds any size up to one).
    """

    conditioning: ImageConditioningConfig = ImageConditioningConfig()
    movq: MoVQConfig = MoVQConfig()
    sizes: tuple[int, ...] = tuple(range(512, 1025, 64))
    betas: tuple[str, float, float] = ("linear", 0.00085, 0.012)  # diffusers' beta_schedule, beta_start, beta_end
    steps_offset: int = 1  # "leading" timestep spacing: i · T // n + steps_offset


@dataclass(frozen=True)
class BundleConfig:
    """Every part of an unCLIP model, in the order the image flows through them."""

    name: str = "karlo-v1-alpha"
    clip: ClipConfig = ClipConfig()
    prior: PriorStageConfig | None = PriorStageConfig()  # None: an image-variations bundle
    decoder: DecoderStageConfig = DecoderStageConfig()
    upsamplers: tuple[UpsamplerStageConfig, ...] = field(default_factory=lambda: (UpsamplerStageConfig(),))
    default_size: int | None = None  # output size when none is asked for; None = the largest stage
    latent: LatentStageConfig | None = None  # a latent decoder's MoVQ and sizes; None: the decoder makes pixels
    live: LiveConfig | None = None  # the optional live decoder (previews while a control moves)
    sampler: str = "ddpm"  # what a request that names none samples every stage with (Karlo's ancestral sampler)

    @property
    def sizes(self) -> tuple[int, ...]:
        """Output sizes this bundle can render: the decoder's and each upsampler's (a latent decoder's own list)."""
        if self.latent is not None:
            return self.latent.sizes
        return (self.decoder.size,) + tuple(u.size for u in self.upsamplers)


def to_dict(config) -> dict:
    """A config as plain JSON-ready data."""
    return dataclasses.asdict(config)


def from_dict(cls, data: dict):
    """Rebuild a (nested) frozen config from JSON data; unknown keys are an error."""
    if not isinstance(data, dict):
        raise ValueError(f"{cls.__name__}: expected an object, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = set(data) - names
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
    return cls(**{k: _convert(hints[k], v) for k, v in data.items()})


def _convert(hint, value):
    """Convert one JSON value to the annotated field type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value)
    if origin is tuple and isinstance(value, list):
        inner = args[0] if args else None
        return tuple(_convert(inner, v) if inner is not None and inner is not Ellipsis else v for v in value)
    return value
