"""diffusers' and transformers' tensor names → ours, for every family in diffusers' layout: the timestep MLP,
diffusers' PriorTransformer, and transformers' CLIP encoders (q, k, v fused into open_clip's in-projection)."""
from __future__ import annotations

from ..weights import KeyMap, Rule

TIME_RULES = (  # diffusers' TimestepEmbedding → our TimestepMLP, in the prior and every UNet
    Rule(r"time_embedding\.linear_1\.(\w+)", r"time_embed.fc1.\1"),
    Rule(r"time_embedding\.linear_2\.(\w+)", r"time_embed.fc2.\1"),
)

PRIOR_MAP = KeyMap(TIME_RULES + (
    Rule(r"proj_in\.(\w+)", r"image_in.\1"),
    Rule(r"embedding_proj\.(\w+)", r"text_embed_in.\1"),
    Rule(r"encoder_hidden_states_proj\.(\w+)", r"text_states_in.\1"),
    Rule(r"positional_embedding", r"pos_embed"),
    Rule(r"prd_embedding", r"query"),
    Rule(r"transformer_blocks\.(\d+)\.norm1\.(\w+)", r"blocks.\1.ln_1.\2"),
    Rule(r"transformer_blocks\.(\d+)\.attn1\.to_(q|k|v)\.(\w+)", r"blocks.\1.attn.\2.\3"),
    Rule(r"transformer_blocks\.(\d+)\.attn1\.to_out\.0\.(\w+)", r"blocks.\1.attn.out.\2"),
    Rule(r"transformer_blocks\.(\d+)\.norm3\.(\w+)", r"blocks.\1.ln_2.\2"),
    Rule(r"transformer_blocks\.(\d+)\.ff\.net\.0\.proj\.(\w+)", r"blocks.\1.fc.\2"),
    Rule(r"transformer_blocks\.(\d+)\.ff\.net\.2\.(\w+)", r"blocks.\1.proj.\2"),
    Rule(r"norm_out\.(\w+)", r"final_ln.\1"),
    Rule(r"proj_to_clip_embeddings\.(\w+)", r"out.\1"),
    Rule(r"clip_(mean|std)", r"clip_\1"),
))


def _encoder_rules(src: str, dst: str) -> tuple[Rule, ...]:
    """transformers' CLIP encoder layers → open_clip residual blocks (q, k, v fused into in_proj)."""
    layer = rf"{src}\.encoder\.layers\.(\d+)"
    block = rf"{dst}.transformer.resblocks.\1"
    return (
        Rule(rf"{layer}\.self_attn\.(q|k|v)_proj\.weight", rf"{block}.attn.in_proj_weight", None),
        Rule(rf"{layer}\.self_attn\.(q|k|v)_proj\.bias", rf"{block}.attn.in_proj_bias", None),
        Rule(rf"{layer}\.self_attn\.out_proj\.(\w+)", rf"{block}.attn.out_proj.\2"),
        Rule(rf"{layer}\.layer_norm1\.(\w+)", rf"{block}.ln_1.\2"),
        Rule(rf"{layer}\.layer_norm2\.(\w+)", rf"{block}.ln_2.\2"),
        Rule(rf"{layer}\.mlp\.fc1\.(\w+)", rf"{block}.mlp.c_fc.\2"),
        Rule(rf"{layer}\.mlp\.fc2\.(\w+)", rf"{block}.mlp.c_proj.\2"),
    )


def _qkv(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """Expand the fused in-projection rules into one rule per q, k and v."""
    out = []
    for r in rules:
        if "(q|k|v)" in r.pattern:
            out += [Rule(r.pattern.replace("(q|k|v)", p), r.target, p) for p in "qkv"]
        else:
            out.append(r)
    return tuple(out)


TEXT_MAP = KeyMap(_qkv(_encoder_rules(r"text_model", "text")) + (
    Rule(r"text_model\.embeddings\.token_embedding\.weight", r"text.token_embedding.weight"),
    Rule(r"text_model\.embeddings\.position_embedding\.weight", r"text.positional_embedding"),
    Rule(r"text_model\.final_layer_norm\.(\w+)", r"text.ln_final.\1"),
    Rule(r"text_projection\.weight", r"text.text_projection", "T"),
), skip=r".*position_ids")

VISION_MAP = KeyMap(_qkv(_encoder_rules(r"vision_model", "visual")) + (
    Rule(r"vision_model\.embeddings\.class_embedding", r"visual.class_embedding"),
    Rule(r"vision_model\.embeddings\.patch_embedding\.weight", r"visual.conv1.weight"),
    Rule(r"vision_model\.embeddings\.position_embedding\.weight", r"visual.positional_embedding"),
    Rule(r"vision_model\.pre_layrnorm\.(\w+)", r"visual.ln_pre.\1"),
    Rule(r"vision_model\.post_layernorm\.(\w+)", r"visual.ln_post.\1"),
    Rule(r"visual_projection\.weight", r"visual.proj", "T"),
), skip=r".*position_ids")

_RESNET = {"norm1": "norm1", "conv1": "conv1", "time_emb_proj": "time_proj", "norm2": "norm2", "conv2": "conv2",
           "conv_shortcut": "skip"}
_ATTENTION = {"group_norm": "norm", "to_q": "q", "to_k": "k", "to_v": "v", "add_k_proj": "context_k",
              "add_v_proj": "context_v", r"to_out\.0": "out"}


def _unet_rules() -> tuple[Rule, ...]:
    """diffusers' UNet of ResNet and SimpleCrossAttn blocks (resnets, attentions, resamplers; down, mid, up) → our
    UNet's names (Karlo's decoder and upsamplers, Kandinsky's latent decoder)."""
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


UNET_RULES = _unet_rules()
