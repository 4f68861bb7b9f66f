"""A loaded unCLIP model: CLIP, prior, decoder and upsamplers on one device in one dtype."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

import torch
from torch import nn

from .config import BundleConfig
from .diffusion.samplers import Process
from .diffusion.schedule import Schedule
from .nn.conditioning import DecoderConditioning
from .nn.latent_unet import ImageConditionedUNet
from .nn.live import LiveDecoder
from .nn.movq import MoVQDecoder
from .nn.transformer import PriorTransformer
from .nn.unet import UNet
from .stages.clip_towers import ExactClipTowers
from .stages.embed import ClipEncoder, ClipTowers
from .stages.latent_decoder import fit_preview_map, latent_betas, preview_pixels
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
    conditioning: DecoderConditioning | None  # None for a latent decoder, which conditions itself on z_i
    upsamplers: list[Upsampler]
    model_id: str = "random"
    fingerprint: str = ""
    processes: dict = field(default_factory=dict)
    vocabulary: Vocabulary | None = None  # what its captions were made of, where its bundle says (vocabulary.json)
    movq: MoVQDecoder | None = None  # a latent decoder's latent → pixels (Kandinsky 2.2); None: the decoder paints
    derived: dict = field(default_factory=dict)  # computed once from the weights: negative embedding, preview map
    offload: torch.device | None = None  # stage-wise offload: networks wait on the CPU and run here, one stage at a time
    live: LiveDecoder | None = None  # a one-step student of the decoder for previews while the hand moves; optional

    @classmethod
    def random(cls, config: BundleConfig, seed: int = 0) -> "UnCLIP":
        """Random weights of the configured shapes (tests, smoke runs, the start of training)."""
        torch.manual_seed(seed)
        if config.latent is not None:
            return cls(config=config, clip=ClipEncoder(ExactClipTowers(config.clip), config.clip),
                       prior=PriorTransformer(config.prior.network) if config.prior else None,
                       decoder=ImageConditionedUNet(config.decoder.network, config.latent.conditioning),
                       conditioning=None, upsamplers=[], movq=MoVQDecoder(config.latent.movq)).eval()
        model = cls(
            config=config,
            clip=ClipEncoder(ClipTowers(config.clip), config.clip),
            prior=PriorTransformer(config.prior.network) if config.prior else None,
            decoder=UNet(config.decoder.network),
            conditioning=DecoderConditioning(config.decoder.conditioning),
            upsamplers=[Upsampler(UNet(u.network), UNet(u.network) if u.last_step_model else None)
                        for u in config.upsamplers],
            live=LiveDecoder(config.live) if config.live is not None else None,
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
        if self.conditioning is None:
            del named["conditioning"]
        if self.movq is not None:
            named["movq"] = self.movq
        if self.live is not None:
            named["live"] = self.live
        for i, u in enumerate(self.upsamplers):
            named[f"upsampler{i}.first"] = u.first
            if u.last is not None:
                named[f"upsampler{i}.last"] = u.last
        return named

    def to(self, device: torch.device | str, dtype: torch.dtype = torch.float32) -> "UnCLIP":
        """Move every network (CLIP stays float32 on CPU, as open_clip expects)."""
        for name, module in self.modules().items():
            module.to(device=device, dtype=clip_dtype(device, dtype) if name == "clip" else dtype)
        self.derived.pop("negative", None)  # computed where the networks were
        return self

    def channels_last(self) -> "UnCLIP":
        """Lay the UNets' convolution weights out channels-last (NHWC): oneDNN and cuDNN pick faster kernels
        (bench/cpu_layout.py measures the ratio on the embedded default)."""
        for module in self.modules().values():
            if isinstance(module, (UNet, MoVQDecoder, LiveDecoder)):
                module.to(memory_format=torch.channels_last)
        return self

    def eval(self) -> "UnCLIP":
        for module in self.modules().values():
            module.eval().requires_grad_(False)
        return self

    @property
    def device(self) -> torch.device:
        """Where the networks run (with offload: where each stage runs, though they wait on the CPU)."""
        return self.offload if self.offload is not None else self.decoder.conv_in.weight.device

    def offloaded(self, device: torch.device | str) -> "UnCLIP":
        """Keep every network on the CPU and move each stage's networks to `device` only while it runs (cards with
        less memory than the whole model: the peak is the largest stage's networks, not their sum)."""
        dtype = self.dtype
        for name, module in self.modules().items():  # CLIP in the dtype it would run in, resident, on `device`
            module.to("cpu", clip_dtype(device, dtype) if name == "clip" else dtype)
        self.offload = torch.device(device)
        self.derived.pop("negative", None)
        return self

    @contextmanager
    def running(self, *names: str) -> Iterator[None]:
        """The named networks (of `modules()`; absent names are skipped) on the running device for a stage; with
        offload, back on the CPU when the outermost stage that asked for them ends."""
        if self.offload is None:
            yield
            return
        present, users = self.modules(), self.derived.setdefault("users", {})
        names = [n for n in names if n in present]
        for name in names:
            users[name] = users.get(name, 0) + 1
            if users[name] == 1:
                present[name].to(self.offload)
        try:
            yield
        finally:
            for name in names:
                users[name] -= 1
                if users[name] == 0:
                    present[name].to("cpu")

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
            latent = self.config.latent if stage == "decoder" else None  # its betas are named by the latent stage
            self.processes[stage] = Process(cfg) if latent is None else \
                Process(cfg, Schedule(latent_betas(latent.betas, cfg.train_steps)))
        return self.processes[stage]

    def negative_embed(self) -> torch.Tensor:
        """A latent decoder's unconditional z_i (1, D): CLIP's embedding of an all-zero input image, as diffusers'
        KandinskyV22PriorPipeline makes its negative_image_embeds."""
        if "negative" not in self.derived:
            size = self.config.clip.image_size
            with torch.inference_mode(), self.running("clip"):
                zeros = torch.zeros(1, 3, size, size, device=self.clip.device)
                self.derived["negative"] = self.clip.encode_image(zeros).float().to(self.device)
        return self.derived["negative"]

    def preview(self, x0: torch.Tensor) -> torch.Tensor:
        """What a step's pred_x0 looks like (B, 3, h, w), about [-1, 1]: itself, or a latent through a linear map
        fitted once to the MoVQ."""
        if self.movq is None:
            return x0
        if "preview" not in self.derived:
            self.derived["preview"] = fit_preview_map(self.movq)
        return preview_pixels(x0, self.derived["preview"])
