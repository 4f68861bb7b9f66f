"""CLIP towers that honour every field of ClipConfig: MLP widths other than 4×, the activation of each tower, tanh GELU
and the LayerNorm epsilon (ViT-bigG's image tower, for one, has an 8192-wide MLP on 1664 channels)."""
from __future__ import annotations

from open_clip.model import _build_text_tower, _build_vision_tower
from torch import nn

from ..config import ClipConfig
from .embed import ClipTowers


def _ratio(mlp_width: int | None, width: int) -> float:
    """open_clip's mlp_ratio for an exact MLP width (it builds int(width · ratio) units)."""
    return 4.0 if mlp_width is None else (mlp_width + 0.5) / width


class ExactClipTowers(ClipTowers):
    """ClipTowers built from every ClipConfig field (same modules and tensor names, so the same key maps load it)."""

    def __init__(self, config: ClipConfig):
        nn.Module.__init__(self)
        c = config
        act = lambda quick: {"approximate": "tanh"} if c.gelu_tanh and not quick else None  # noqa: E731
        text = dict(context_length=c.context_length, vocab_size=c.vocab_size, width=c.text_width, heads=c.text_heads,
                    layers=c.text_layers, output_tokens=True, mlp_ratio=_ratio(c.text_mlp_width, c.text_width),
                    norm_kwargs={"eps": c.norm_eps}, act_kwargs=act(c.quick_gelu))
        self.text = _build_text_tower(c.embed_dim, text, quick_gelu=c.quick_gelu)
        self.visual = None
        if c.vision:
            quick = c.quick_gelu if c.vision_quick_gelu is None else c.vision_quick_gelu
            vision = dict(layers=c.vision_layers, width=c.vision_width, head_width=c.vision_head_width,
                          patch_size=c.patch_size, image_size=c.image_size,
                          mlp_ratio=_ratio(c.vision_mlp_width, c.vision_width), norm_kwargs={"eps": c.norm_eps},
                          act_kwargs=act(quick))
            self.visual = _build_vision_tower(c.embed_dim, vision, quick_gelu=quick)
