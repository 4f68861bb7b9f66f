"""Reproducible noise: one CPU generator per image and stage, so results do not depend on batch or device."""
from __future__ import annotations

import numpy as np
import torch


def stage_seed(seed: int, stage: str) -> int:
    """A 63-bit seed for one image's stage, derived from the image seed (numpy SeedSequence)."""
    words = np.random.SeedSequence([int(seed)] + [ord(ch) for ch in stage]).generate_state(2)
    return ((int(words[0]) << 32) | int(words[1])) & (2**63 - 1)


class PerImageNoise:
    """N(0, I) noise for a batch, each image drawn from its own seeded generator."""

    def __init__(self, seeds: list[int], stage: str, device: torch.device | str = "cpu"):
        self.generators = [torch.Generator("cpu").manual_seed(stage_seed(s, stage)) for s in seeds]
        self.device = torch.device(device)

    def __call__(self, shape: torch.Size) -> torch.Tensor:
        """Noise of `shape` (B, ...) with B equal to the number of seeds; float32."""
        if shape[0] != len(self.generators):
            raise ValueError(f"noise for {shape[0]} images requested from {len(self.generators)} seeds")
        parts = [torch.randn(tuple(shape[1:]), generator=g, dtype=torch.float32) for g in self.generators]
        return torch.stack(parts).to(self.device)
