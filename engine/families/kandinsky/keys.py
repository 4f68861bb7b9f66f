"""Kandinsky 2.2's own key maps: its latent UNet's image conditioning, and MoVQ's decoder and encoder → ours."""
from __future__ import annotations

from ...weights import KeyMap, Rule
from ..hf_keys import UNET_RULES

UNET_MAP = KeyMap(UNET_RULES + (
    Rule(r"add_embedding\.image_proj\.(\w+)", r"image_to_time.\1"),
    Rule(r"add_embedding\.image_norm\.(\w+)", r"time_norm.\1"),
    Rule(r"encoder_hid_proj\.image_embeds\.(\w+)", r"image_to_tokens.\1"),
    Rule(r"encoder_hid_proj\.norm\.(\w+)", r"tokens_norm.\1"),
))

_SPATIAL = {"norm_layer": "norm", "conv_y": "scale", "conv_b": "shift"}
_RESNET = {**{f"norm{i}\\.{a}": f"norm{i}.{b}" for i in (1, 2) for a, b in _SPATIAL.items()},
           "conv1": "conv1", "conv2": "conv2", "conv_shortcut": "skip"}
# today's names, and the names of diffusers' deprecated attention block that older MoVQ files carry
_ATTENTION = {**{f"spatial_norm\\.{a}": f"norm.{b}" for a, b in _SPATIAL.items()},
              "(?:to_q|query)": "q", "(?:to_k|key)": "k", "(?:to_v|value)": "v", r"(?:to_out\.0|proj_attn)": "out"}


def _movq_rules() -> tuple[Rule, ...]:
    """diffusers' VQModel decoder (mid block, up blocks, spatial norms) → our MoVQDecoder's names."""
    rules = [Rule(r"post_quant_conv\.(\w+)", r"post_quant_conv.\1"),
             Rule(r"decoder\.conv_in\.(\w+)", r"conv_in.\1"),
             Rule(r"decoder\.conv_out\.(\w+)", r"conv_out.\1"),
             Rule(r"decoder\.up_blocks\.(\d+)\.upsamplers\.0\.conv\.(\w+)", r"up.\1.upsample.\2")]
    rules += [Rule(rf"decoder\.conv_norm_out\.{a}\.(\w+)", rf"norm_out.{b}.\1") for a, b in _SPATIAL.items()]
    places = ((r"decoder\.mid_block\.resnets\.(\d)", r"mid.\1", 1, _RESNET),
              (r"decoder\.up_blocks\.(\d+)\.resnets\.(\d+)", r"up.\1.resnets.\2", 2, _RESNET),
              (r"decoder\.mid_block\.attentions\.0", r"mid_attention", 0, _ATTENTION),
              (r"decoder\.up_blocks\.(\d+)\.attentions\.(\d+)", r"up.\1.attentions.\2", 2, _ATTENTION))
    for src, dst, groups, parts in places:
        rules += [Rule(rf"{src}\.{a}\.(\w+)", rf"{dst}.{b}.\{groups + 1}") for a, b in parts.items()]
    return tuple(rules)


_ENCODER_RESNET = {"norm1": "norm1", "conv1": "conv1", "norm2": "norm2", "conv2": "conv2", "conv_shortcut": "skip"}
_ENCODER_ATTENTION = {"group_norm": "norm", "(?:to_q|query)": "q", "(?:to_k|key)": "k", "(?:to_v|value)": "v",
                      r"(?:to_out\.0|proj_attn)": "out"}


def _encoder_rules() -> tuple[Rule, ...]:
    """diffusers' VQModel encoder and quant_conv (VQModel.encode) → our MoVQDecoder's `encoder`."""
    rules = [Rule(r"quant_conv\.(\w+)", r"encoder.quant_conv.\1"),
             Rule(r"encoder\.conv_in\.(\w+)", r"encoder.conv_in.\1"),
             Rule(r"encoder\.conv_out\.(\w+)", r"encoder.conv_out.\1"),
             Rule(r"encoder\.conv_norm_out\.(\w+)", r"encoder.norm_out.\1"),
             Rule(r"encoder\.down_blocks\.(\d+)\.downsamplers\.0\.conv\.(\w+)", r"encoder.down.\1.downsample.\2")]
    places = ((r"encoder\.mid_block\.resnets\.(\d)", r"encoder.mid.\1", 1, _ENCODER_RESNET),
              (r"encoder\.down_blocks\.(\d+)\.resnets\.(\d+)", r"encoder.down.\1.resnets.\2", 2, _ENCODER_RESNET),
              (r"encoder\.mid_block\.attentions\.0", r"encoder.mid_attention", 0, _ENCODER_ATTENTION),
              (r"encoder\.down_blocks\.(\d+)\.attentions\.(\d+)", r"encoder.down.\1.attentions.\2", 2,
               _ENCODER_ATTENTION))
    for src, dst, groups, parts in places:
        rules += [Rule(rf"{src}\.{a}\.(\w+)", rf"{dst}.{b}.\{groups + 1}") for a, b in parts.items()]
    return tuple(rules)


MOVQ_MAP = KeyMap(_movq_rules() + _encoder_rules(), skip=r"quantize\..*")  # the codebook: Kandinsky never quantises
