"""Karlo's own key maps: its UNets (ResNet and SimpleCrossAttn blocks) and its text_proj → our networks."""
from __future__ import annotations

from ...weights import KeyMap, Rule
from ..hf_keys import TIME_RULES

_RESNET = {"norm1": "norm1", "conv1": "conv1", "time_emb_proj": "time_proj", "norm2": "norm2", "conv2": "conv2",
           "conv_shortcut": "skip"}
_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "add_k_proj": "context_k",
              "add_v_proj": "context_v", r"to_out\.0": "out"}


def _unet_rules() -> tuple[Rule, ...]:
    """diffusers' UNet blocks (resnets, attentions, resamplers; down, mid, up) → our UNet's names."""
    rules = [*TIME_RULES,
             Rule(r"conv_in\.(\w+)", r"conv_in.\1"),
             Rule(r"conv_norm_out\.(\w+)", r"norm_out.\1"),
             Rule(r"conv_out\.(\w+)", r"conv_out.\1")]
    for src, dst in (("down_blocks", "down"), ("up_blocks", "up")):
        sampler = "downsamplers" if src == "down_blocks" else "upsamplers"
        for a, b in _RESNET.items():
            rules.append(Rule(rf"{src}\.(\d+)\.resnets\.(\d+)\.{a}\.(\w+)", rf"{dst}.\1.resnets.\2.{b}.\3"))
            rules.append(Rule(rf"{src}\.(\d+)\.{sampler}\.0\.{a}\.(\w+)", rf"{dst}.\1.resample.{b}.\2"))
        for a, b in _ATTENTION.items():
            rules.append(Rule(rf"{src}\.(\d+)\.attentions\.(\d+)\.{a}\.(\w+)", rf"{dst}.\1.attentions.\2.{b}.\3"))
    for a, b in _RESNET.items():
        rules.append(Rule(rf"mid_block\.resnets\.(\d+)\.{a}\.(\w+)", rf"mid.resnets.\1.{b}.\2"))
    for a, b in _ATTENTION.items():
        rules.append(Rule(rf"mid_block\.attentions\.0\.{a}\.(\w+)", rf"mid_attention.{b}.\1"))
    return tuple(rules)


UNET_MAP = KeyMap(_unet_rules())

TEXT_PROJ_MAP = KeyMap((
    Rule(r"learned_classifier_free_guidance_embeddings", r"null_image_embed"),
    Rule(r"clip_image_embeddings_project_to_time_embeddings\.(\w+)", r"image_to_time.\1"),
    Rule(r"embedding_proj\.(\w+)", r"text_to_time.\1"),
    Rule(r"clip_extra_context_tokens_proj\.(\w+)", r"image_to_tokens.\1"),
    Rule(r"encoder_hidden_states_proj\.(\w+)", r"text_states_proj.\1"),
    Rule(r"text_encoder_hidden_states_norm\.(\w+)", r"text_states_norm.\1"),
))
