"""A stage of the chain as a value: what it is (prior, decoder, upsampler), which one, which draw."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class StageKind(str, Enum):
    PRIOR = "prior"
    DECODER = "decoder"
    UPSAMPLER = "upsampler"


@dataclass(frozen=True)
class Stage:
    """One sampler run: `index` orders the upsamplers, `candidate` counts extra draws of the prior or decoder."""

    kind: StageKind
    index: int = 0
    candidate: int = 0
    size: int | None = None  # output side in px, for image stages

    @staticmethod
    def prior(candidate: int = 0) -> "Stage":
        return Stage(StageKind.PRIOR, candidate=candidate)

    @staticmethod
    def decoder(size: int, candidate: int = 0) -> "Stage":
        return Stage(StageKind.DECODER, candidate=candidate, size=size)

    @staticmethod
    def upsampler(index: int, size: int) -> "Stage":
        return Stage(StageKind.UPSAMPLER, index=index, size=size)

    @property
    def component(self) -> str:
        """The bundle component that runs it: 'prior', 'decoder', 'upsampler0', …"""
        return f"upsampler{self.index}" if self.kind is StageKind.UPSAMPLER else self.kind.value

    @property
    def noise_name(self) -> str:
        """The name its noise is seeded from; every saved seed depends on it, so it never changes."""
        return self.component if self.candidate == 0 else f"{self.component}{self.candidate}"

    @property
    def makes_image(self) -> bool:
        return self.kind is not StageKind.PRIOR

    @property
    def display(self) -> str:
        """The stage as an artist reads it: 'prior', 'decoder · 64 px', 'upsampler · 256 px'."""
        name = self.kind.value if self.size is None else f"{self.kind.value} · {self.size} px"
        return name if self.candidate == 0 else f"{name} · draw {self.candidate + 1}"

    def __str__(self) -> str:
        return self.display
