"""CLIP through open_clip: caption token states, projected text embeddings and image embeddings."""
from __future__ import annotations

from dataclasses import dataclass

import open_clip
import torch
from PIL import Image

from ..config import ClipConfig


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


def build_clip(config: ClipConfig) -> open_clip.CLIP:
    """An open_clip CLIP of the configured shape, with random weights."""
    vision = dict(layers=config.vision_layers, width=config.vision_width, head_width=config.vision_head_width,
                  patch_size=config.patch_size, image_size=config.image_size)
    text = dict(context_length=config.context_length, vocab_size=config.vocab_size, width=config.text_width,
                heads=config.text_heads, layers=config.text_layers)
    return open_clip.CLIP(config.embed_dim, vision, text, quick_gelu=config.quick_gelu)


class ClipEncoder:
    """A frozen open_clip model with its tokenizer and image preprocessing."""

    def __init__(self, model: open_clip.CLIP, config: ClipConfig):
        self.model, self.config = model.eval(), config
        self.tokenizer = open_clip.tokenizer.SimpleTokenizer(context_length=config.context_length)
        self.preprocess = open_clip.transform.image_transform(config.image_size, is_train=False,
                                                              mean=config.mean, std=config.std)

    @property
    def device(self) -> torch.device:
        return self.model.text_projection.device

    def token_count(self, prompt: str) -> int:
        """Tokens a caption needs, start and end tokens included (the context holds 77)."""
        return len(self.tokenizer.encode(prompt)) + 2

    def encode_text(self, prompts: list[str]) -> TextEncoding:
        """Captions → token states and projected embeddings (captions longer than 77 tokens are cut)."""
        m = self.model
        tokens = self.tokenizer(prompts).to(self.device)  # (B, 77), zero padded, EOT = highest id
        dtype = m.transformer.get_cast_dtype()
        x = m.token_embedding(tokens).to(dtype) + m.positional_embedding.to(dtype)
        states = m.ln_final(m.transformer(x, attn_mask=m.attn_mask))  # (B, 77, W)
        eot = tokens.argmax(dim=-1)
        embed = states[torch.arange(len(prompts), device=self.device), eot] @ m.text_projection  # (B, D)
        mask = torch.arange(tokens.shape[1], device=self.device)[None] <= eot[:, None]
        return TextEncoding(embed, states, mask)

    def image_pixels(self, images: list[Image.Image]) -> torch.Tensor:
        """PIL images → CLIP input (B, 3, S, S), resized on the short side, centre-cropped, normalised."""
        return torch.stack([self.preprocess(im.convert("RGB")) for im in images]).to(self.device)

    def encode_image(self, pixels: torch.Tensor) -> torch.Tensor:
        """CLIP input (B, 3, S, S) → projected image embeddings z_i (B, D), unnormalised."""
        return self.model.encode_image(pixels.to(self.model.visual.conv1.weight.dtype))
