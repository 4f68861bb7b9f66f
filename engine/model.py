"""A loaded unCLIP model: CLIP, prior, decoder and upsamplers on one device in one dtype."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .config import BundleConfig
from .diffusion.samplers import Process
from .nn.conditioning import DecoderConditioning
from .nn.transformer import PriorTransformer
from .nn.unet import UNet
from .stages.embed import ClipEncoder, ClipTowers
from .vocabulary import Vocabulary


def clip_dtype(device: torch.device | str, dtype: torch.dtype) -> torch.dtype:
    """CLIP runs in float32 on a CPU, as open_clip expects (a small share of the time), else in `dtype`."""
    return torch.float32 if torch.device(device).type == "cpu" else dtype


@dataclass
class Upsampler:
    """One upsampling stage: the network for the first steps and, optionally, one for the last step."""

    first: UNet
    last: UNet | None


@dataclass
class UnCLIP:
    """Every network of a bundle, its configs, and where it came from."""

    config: BundleConfig
    clip: ClipEncoder
    prior: PriorTransformer | None  # None in image-variations bundles
    decoder: UNet
    conditioning: DecoderConditioning
    upsamplers: list[Upsampler]
    model_id: str = "random"
    fingerprint: str = ""
    processes: dict = field(default_factory=dict)
    vocabulary: Vocabulary | None = None  # what its captions were made of, where its bundle says (vocabulary.json)

    @classmethod
    def random(cls, config: BundleConfig, seed: int = 0) -> "UnCLIP":
        """Random weights of the configured shapes (tests, smoke runs, the start of training)."""
        torch.manual_seed(seed)
        model = cls(
            config=config,
            clip=ClipEncoder(ClipTowers(config.clip), config.clip),
            prior=PriorTransformer(config.prior.network) if config.prior else None,
            decoder=UNet(config.decoder.network),
            conditioning=DecoderConditioning(config.decoder.conditioning),
            upsamplers=[Upsampler(UNet(u.network), UNet(u.network) if u.last_step_model else None)
                        for u in config.upsamplers],
        )
        with torch.no_grad():  # learned embeddings start at zero in the modules; make them informative
            model.conditioning.null_image_embed.normal_(0, 0.02)
            if model.prior is not None:
                model.prior.pos_embed.normal_(0, 0.02)
                model.prior.query.normal_(0, 0.02)
        return model.eval()

    def modules(self) -> dict[str, nn.Module]:
        """Every network by a stable name."""
        named = {"clip": self.clip.towers, "prior": self.prior, "decoder": self.decoder,
                 "conditioning": self.conditioning}
        if self.prior is None:
            del named["prior"]
        for i, u in enumerate(self.upsamplers):
            named[f"upsampler{i}.first"] = u.first
            if u.last is not None:
                named[f"upsampler{i}.last"] = u.last
        return named

    def to(self, device: torch.device | str, dtype: torch.dtype = torch.float32) -> "UnCLIP":
        """Move every network (CLIP stays float32 on CPU, as open_clip expects)."""
        for name, module in self.modules().items():
            module.to(device=device, dtype=clip_dtype(device, dtype) if name == "clip" else dtype)
        return self

    def channels_last(self) -> "UnCLIP":
        """Lay the UNets' convolution weights out channels-last (NHWC): oneDNN and cuDNN pick faster kernels
        (bench/cpu_layout.py measures the ratio on the embedded default)."""
        for module in self.modules().values():
            if isinstance(module, UNet):
                module.to(memory_format=torch.channels_last)
        return self

    def eval(self) -> "UnCLIP":
        for module in self.modules().values():
            module.eval().requires_grad_(False)
        return self

    @property
    def device(self) -> torch.device:
        return self.decoder.conv_in.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.decoder.conv_in.weight.dtype

    def process(self, stage: str) -> Process:
        """The diffusion process of 'prior', 'decoder' or 'upsampler{i}'."""
        if stage not in self.processes:
            if stage == "prior":
                cfg = self.config.prior.diffusion
            elif stage == "decoder":
                cfg = self.config.decoder.diffusion
            else:
                cfg = self.config.upsamplers[int(stage.removeprefix("upsampler"))].diffusion
            self.processes[stage] = Process(cfg)
        return self.processes[stage]
