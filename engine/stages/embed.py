"""CLIP through open_clip: caption token states, projected text embeddings and image embeddings."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import open_clip
import torch
import torch.nn.functional as F
from open_clip.model import _build_text_tower, _build_vision_tower
from PIL import Image
from torch import nn

from ..config import ClipConfig
from ..errors import UserError

BPE = Path(__file__).resolve().parents[2] / "resources" / "clip" / "bpe-merges.txt.gz"  # the merges open_clip reads


@dataclass(frozen=True)
class TextEncoding:
    """What the prior and decoder read from CLIP for a batch of captions."""

    embed: torch.Tensor  # (B, D) projected text embedding z_t, unnormalised
    states: torch.Tensor  # (B, 77, W) token states after the final LayerNorm
    mask: torch.Tensor  # (B, 77) bool, True up to and including the end-of-text token

    @staticmethod
    def cat(parts: list["TextEncoding"]) -> "TextEncoding":
        """Batch encodings along the first axis."""
        return TextEncoding(*(torch.cat([getattr(p, f) for p in parts]) for f in ("embed", "states", "mask")))


class ClipTowers(nn.Module):
    """open_clip's text tower and, when the bundle has one, its vision tower."""

    def __init__(self, config: ClipConfig):
        super().__init__()
        text = dict(context_length=config.context_length, vocab_size=config.vocab_size, width=config.text_width,
                    heads=config.text_heads, layers=config.text_layers, output_tokens=True)
        self.text = _build_text_tower(config.embed_dim, text, quick_gelu=config.quick_gelu)
        self.visual = None
        if config.vision:
            vision = dict(layers=config.vision_layers, width=config.vision_width,
                          head_width=config.vision_head_width, patch_size=config.patch_size,
                          image_size=config.image_size)
            self.visual = _build_vision_tower(config.embed_dim, vision, quick_gelu=config.quick_gelu)

    def restore_buffers(self) -> None:
        """Rebuild the causal mask, which is not saved with the weights."""
        self.text.register_buffer("attn_mask", self.text.build_causal_mask().to(self.text.positional_embedding.device),
                                  persistent=False)


class ClipEncoder:
    """Frozen CLIP towers with open_clip's tokenizer and image preprocessing."""

    def __init__(self, towers: ClipTowers, config: ClipConfig):
        self.towers, self.config = towers.eval(), config
        self.tokenizer = open_clip.tokenizer.SimpleTokenizer(str(BPE), context_length=config.context_length)
        self.preprocess = open_clip.transform.image_transform(config.image_size, is_train=False,
                                                              mean=config.mean, std=config.std)

    @property
    def device(self) -> torch.device:
        return self.towers.text.positional_embedding.device

    def token_count(self, prompt: str) -> int:
        """Tokens a caption needs, start and end tokens included (the context holds 77)."""
        return len(self.tokenizer.encode(prompt)) + 2

    def encode_text(self, prompts: list[str]) -> TextEncoding:
        """Captions → token states and projected embeddings (captions longer than 77 tokens are cut)."""
        tokens = self.tokenizer(prompts).to(self.device)  # (B, 77), zero padded, EOT = highest id
        embed, states = self.towers.text(tokens)  # (B, D), (B, 77, W)
        eot = tokens.argmax(dim=-1)
        mask = torch.arange(tokens.shape[1], device=self.device)[None] <= eot[:, None]
        return TextEncoding(embed, states, mask)

    def image_pixels(self, images: list[Image.Image]) -> torch.Tensor:
        """PIL images → CLIP input (B, 3, S, S), resized on the short side, centre-cropped, normalised."""
        return torch.stack([self.preprocess(im.convert("RGB")) for im in images]).to(self.device)

    def tensor_pixels(self, images: torch.Tensor) -> torch.Tensor:
        """Images (B, 3, s, s) in [-1, 1] → CLIP input (B, 3, S, S): resized (bicubic, antialiased), normalised."""
        x = (images.float().clamp(-1, 1) + 1) / 2
        if x.shape[-1] != self.config.image_size:
            x = F.interpolate(x, size=(self.config.image_size,) * 2, mode="bicubic", antialias=True).clamp(0, 1)
        mean = torch.tensor(self.config.mean, device=x.device).view(1, 3, 1, 1)
        std = torch.tensor(self.config.std, device=x.device).view(1, 3, 1, 1)
        return ((x - mean) / std).to(self.device)

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        """CLIP input (B, 3, S, S) → projected image embeddings z_i (B, D), unnormalised."""
        if self.towers.visual is None:
            raise UserError("this model has no CLIP image encoder, so it cannot make variations of an image "
                            "(use an image-variations bundle such as kakaobrain/karlo-v1-alpha-image-variations)")
        return self.towers.visual(pixels.to(self.towers.visual.conv1.weight.dtype))
