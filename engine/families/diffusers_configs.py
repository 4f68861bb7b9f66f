"""diffusers' and transformers' component configs → our frozen configs, for every family in their layout.

Each reader goes through a table of every field its class's constructor takes: a field is read (translated into
our config), ignored (the table says why it changes no number of ours: an encoder we never run, training only),
or held to the values we build; any other value is refused with an error naming the field. Nothing loads
silently wrong. Fields a class does not take are ignored, as diffusers itself ignores them.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..config import ClipConfig
from ..diffusion.schedule import DiffusionConfig
from ..nn.movq import MoVQConfig
from ..nn.transformer import PriorConfig
from ..nn.unet import UNetConfig
from ..weights import BundleError
from .files import read_json


@dataclass(frozen=True)
class Field:
    """How a reader treats one config field: `allowed` values (else refused), or read / ignored (allowed None)."""

    default: object = None
    allowed: tuple | None = None
    why: str = ""  # for an ignored field: why it changes none of our numbers


def read() -> Field:
    """A field the reader translates into our config."""
    return Field()


def ignored(why: str) -> Field:
    """A field that changes none of our numbers."""
    return Field(why=why)


def only(default, *others) -> Field:
    """A field held to its default (or the other values listed)."""
    return Field(default, (default, *others))


def check(where: str, cfg: dict, table: dict[str, Field]) -> None:
    """Refuse, naming the field, any value outside what the table allows."""
    for key, f in table.items():
        value = cfg.get(key, f.default)
        if isinstance(value, list):  # a per-level form: one value for every level is that value
            value = value[0] if value and all(v == value[0] for v in value) else tuple(value)
        if f.allowed is not None and value not in f.allowed:
            raise BundleError(f"{where}: unsupported {key}={cfg.get(key)!r} (this loader builds "
                              f"{' or '.join(map(repr, f.allowed))})")


def read_config(folder: Path, name: str, file: str = "config.json") -> tuple[dict, str]:
    """`name/file` of the folder as a JSON object, and the name to say in errors."""
    return read_json(folder / name / file), f"{name}/{file}"


def refuse(where: str, key: str, value, why: str) -> BundleError:
    """The error for a field whose value we cannot build."""
    return BundleError(f"{where}: unsupported {key}={value!r} ({why})")


def per_level(where: str, cfg: dict, key: str, levels: int, default) -> tuple:
    """An int-or-per-level field as one value per level."""
    value = cfg.get(key, default)
    values = tuple(value) if isinstance(value, (list, tuple)) else (value,) * levels
    if len(values) != levels:
        raise refuse(where, key, value, f"expected one value per level ({levels})")
    return values


# --- schedulers ---------------------------------------------------------------------------------------------------

UNCLIP_SCHEDULER = {
    "num_train_timesteps": read(), "clip_sample": read(), "clip_sample_range": read(),
    "variance_type": only("fixed_small_log", "learned_range"), "prediction_type": only("epsilon", "sample"),
    "beta_schedule": only("squaredcos_cap_v2"),
}


def unclip_scheduler(cfg: dict, where: str) -> DiffusionConfig:
    """diffusers' UnCLIPScheduler → DiffusionConfig (its own respacing: round(i · (T − 1) / (n − 1)))."""
    check(where, cfg, UNCLIP_SCHEDULER)
    clip = cfg.get("clip_sample_range", 1.0) if cfg.get("clip_sample", True) else None
    return DiffusionConfig(train_steps=cfg.get("num_train_timesteps", 1000), prediction=cfg.get("prediction_type", "epsilon"),
                           variance=cfg.get("variance_type", "fixed_small_log"), clip_range=clip)


DDPM_SCHEDULER = {
    "num_train_timesteps": read(), "beta_start": read(), "beta_end": read(),
    "beta_schedule": only("linear", "scaled_linear", "squaredcos_cap_v2"), "trained_betas": only(None),
    "variance_type": only("fixed_small", "fixed_small_log", "learned_range"), "clip_sample": read(),
    "clip_sample_range": read(), "prediction_type": only("epsilon", "sample", "v_prediction"),
    "thresholding": only(False), "dynamic_thresholding_ratio": ignored("only with thresholding"),
    "sample_max_value": ignored("only with thresholding"),
    "timestep_spacing": only("leading"),  # linspace and trailing step to t − T // n, not to the next timestep
    "steps_offset": read(), "rescale_betas_zero_snr": only(False),
}


def ddpm_scheduler(cfg: dict, where: str) -> tuple[DiffusionConfig, tuple[str, float, float], int]:
    """diffusers' DDPMScheduler → DiffusionConfig, its betas (schedule, start, end) and its steps_offset.

    fixed_small and fixed_small_log have the same standard deviation, √(posterior variance).
    """
    check(where, cfg, DDPM_SCHEDULER)
    clip = cfg.get("clip_sample_range", 1.0) if cfg.get("clip_sample", True) else None
    variance = "learned_range" if cfg.get("variance_type") == "learned_range" else "fixed_small_log"
    schedule = cfg.get("beta_schedule", "linear")
    diffusion = DiffusionConfig(schedule="squaredcos_cap_v2" if schedule == "squaredcos_cap_v2" else "linear",
                                train_steps=cfg.get("num_train_timesteps", 1000),
                                prediction=cfg.get("prediction_type", "epsilon"), variance=variance, clip_range=clip)
    betas = (schedule, float(cfg.get("beta_start", 0.0001)), float(cfg.get("beta_end", 0.02)))
    return diffusion, betas, int(cfg.get("steps_offset", 0))


# --- the prior ----------------------------------------------------------------------------------------------------

PRIOR = {
    "num_attention_heads": read(), "attention_head_dim": read(), "num_layers": read(), "embedding_dim": read(),
    "num_embeddings": read(), "additional_embeddings": only(4), "dropout": ignored("training only"),
    "time_embed_act_fn": only("silu"), "norm_in_type": only(None), "embedding_proj_norm_type": only(None),
    "encoder_hid_proj_type": only("linear"), "added_emb_type": only("prd"), "time_embed_dim": only(None),
    "embedding_proj_dim": only(None), "clip_embed_dim": only(None),
}


def prior(cfg: dict, where: str) -> PriorConfig:
    """diffusers' PriorTransformer (the unCLIP variant: Karlo's and Kandinsky's) → PriorConfig."""
    check(where, cfg, PRIOR)
    heads, head_dim = cfg.get("num_attention_heads", 32), cfg.get("attention_head_dim", 64)
    return PriorConfig(clip_dim=cfg.get("embedding_dim", 768), width=heads * head_dim, layers=cfg.get("num_layers", 20),
                       heads=heads, text_ctx=cfg.get("num_embeddings", 77))


# --- CLIP ---------------------------------------------------------------------------------------------------------

PRETRAINED = {k: ignored("bookkeeping of transformers' PretrainedConfig") for k in (
    "transformers_version", "architectures", "output_hidden_states", "return_dict", "dtype", "torch_dtype",
    "chunk_size_feed_forward", "is_encoder_decoder", "id2label", "label2id", "problem_type")}
ACTIVATIONS = ("quick_gelu", "gelu", "gelu_new", "gelu_pytorch_tanh")
CLIP_TOWER = {
    **PRETRAINED, "hidden_size": read(), "intermediate_size": read(), "projection_dim": read(),
    "num_hidden_layers": read(), "num_attention_heads": read(), "hidden_act": only("quick_gelu", *ACTIVATIONS[1:]),
    "layer_norm_eps": read(), "attention_dropout": ignored("training only"),
    "initializer_range": ignored("initialisation only"), "initializer_factor": ignored("initialisation only"),
}
CLIP_TEXT = {
    **CLIP_TOWER, "vocab_size": only(49408), "max_position_embeddings": read(),
    "pad_token_id": ignored("from the tokenizer; the causal mask hides it"), "bos_token_id": ignored("tokenizer's"),
    "eos_token_id": only(2, 49407),  # 2: pool at the highest id (legacy), 49407: at the first end-of-text; the same
}
CLIP_VISION = {**CLIP_TOWER, "num_channels": only(3), "image_size": read(), "patch_size": read()}
IMAGE_PROCESSOR = {
    "do_resize": only(True), "resample": only(3), "do_center_crop": only(True), "do_rescale": only(True),
    "do_normalize": only(True), "do_convert_rgb": only(True, None), "image_mean": read(), "image_std": read(),
    "size": read(), "crop_size": read(), "rescale_factor": read(),
    **dict.fromkeys(("image_processor_type", "feature_extractor_type", "processor_class"), ignored("the class name")),
}


def _mlp_width(cfg: dict, hidden: int, mlp: int) -> int | None:
    """The MLP width (transformers' defaults: `hidden`, `mlp`), None where it is open_clip's 4 × width."""
    width, size = cfg.get("intermediate_size", mlp), cfg.get("hidden_size", hidden)
    return None if width == 4 * size else width


def _image_size(processor: dict, where: str) -> int:
    """The processor's crop side, refused unless it resizes the short side to the same length (as open_clip)."""
    crop, size = processor.get("crop_size", 224), processor.get("size", 224)
    crop = crop.get("height") if isinstance(crop, dict) and crop.get("height") == crop.get("width") else crop
    size = size.get("shortest_edge") if isinstance(size, dict) and set(size) == {"shortest_edge"} else size
    if not isinstance(crop, int) or size != crop:
        raise refuse(where, "size", processor.get("size"), f"CLIP's short side resized to the crop side, {crop}")
    if abs(processor.get("rescale_factor", 1 / 255) - 1 / 255) > 1e-9:
        raise refuse(where, "rescale_factor", processor.get("rescale_factor"), "CLIP's 1/255")
    return crop


def clip(text: dict, vision: dict | None, processor: dict | None, vocab: int, where: dict[str, str]) -> ClipConfig:
    """transformers' CLIP text (and image) encoder configs, and the image processor, → ClipConfig.

    `where` names each part's file for errors: keys 'text', 'vision', 'processor', 'tokenizer'.
    """
    check(where["text"], text, CLIP_TEXT)
    if vocab != 49408:
        raise BundleError(f"{where['tokenizer']}: unsupported tokenizer ({vocab} tokens; CLIP's BPE has 49408)")
    acts = [text.get("hidden_act", "quick_gelu")]
    if vision is not None:
        check(where["vision"], vision, CLIP_VISION)
        acts.append(vision.get("hidden_act", "quick_gelu"))
        if vision.get("projection_dim", 512) != text.get("projection_dim", 512):
            raise refuse(where["vision"], "projection_dim", vision.get("projection_dim"), "the text encoder's")
        if vision.get("layer_norm_eps", 1e-5) != text.get("layer_norm_eps", 1e-5):
            raise refuse(where["vision"], "layer_norm_eps", vision.get("layer_norm_eps"), "the text encoder's")
        if vision.get("hidden_size", 768) % vision.get("num_attention_heads", 12):
            raise refuse(where["vision"], "num_attention_heads", vision.get("num_attention_heads"),
                         "a divisor of hidden_size")
    tanh = [a in ("gelu_new", "gelu_pytorch_tanh") for a in acts]
    if any(tanh) and not all(t or a == "quick_gelu" for t, a in zip(tanh, acts)):
        raise refuse(where["vision"], "hidden_act", acts[-1], "tanh GELU in one tower needs it in both or QuickGELU")
    width, dim = text.get("hidden_size", 512), text.get("projection_dim", 512)
    if width != dim:
        raise refuse(where["text"], "projection_dim", dim,
                     "unCLIP reads text states and embeddings through one projection: equal to hidden_size")
    mean_std, image_size = {}, None
    if processor is not None:
        check(where["processor"], processor, IMAGE_PROCESSOR)
        image_size = _image_size(processor, where["processor"])
        mean_std = {k: tuple(processor.get(f"image_{k}", getattr(ClipConfig, k))) for k in ("mean", "std")}
    v = vision or {}
    if vision is not None and image_size is not None and image_size != v.get("image_size", 224):
        raise refuse(where["processor"], "crop_size", processor.get("crop_size"),
                     f"the image encoder's image_size, {v.get('image_size', 224)}")
    return ClipConfig(
        embed_dim=dim, text_width=width, text_layers=text.get("num_hidden_layers", 12),
        text_heads=text.get("num_attention_heads", 8), context_length=text.get("max_position_embeddings", 77),
        vocab_size=text.get("vocab_size", 49408), quick_gelu=acts[0] == "quick_gelu",
        vision=vision is not None, image_size=v.get("image_size", 224), patch_size=v.get("patch_size", 32),
        vision_width=v.get("hidden_size", 768), vision_layers=v.get("num_hidden_layers", 12),
        vision_head_width=v.get("hidden_size", 768) // v.get("num_attention_heads", 12),
        text_mlp_width=_mlp_width(text, 512, 2048), vision_mlp_width=_mlp_width(v, 768, 3072) if vision else None,
        vision_quick_gelu=None if vision is None else acts[-1] == "quick_gelu", gelu_tanh=any(tanh),
        norm_eps=text.get("layer_norm_eps", 1e-5), **mean_std)


def tokenizer_vocab(folder: Path) -> int:
    """Size of a tokenizer folder's vocabulary (slow vocab.json or fast tokenizer.json)."""
    if (folder / "vocab.json").is_file():
        return len(read_json(folder / "vocab.json"))
    fast = read_json(folder / "tokenizer.json")
    vocab = fast.get("model", {}).get("vocab", {})
    return len(vocab) + len([t for t in fast.get("added_tokens", []) if t.get("content") not in vocab])


# --- UNets --------------------------------------------------------------------------------------------------------

DOWN = {"ResnetDownsampleBlock2D": False, "SimpleCrossAttnDownBlock2D": True}
UP = {"ResnetUpsampleBlock2D": False, "SimpleCrossAttnUpBlock2D": True}
TRANSFORMER_ONLY = "read only by transformer (CrossAttn) blocks; these are ResNet and SimpleCrossAttn blocks"
UNET_COMMON = {
    "sample_size": read(), "in_channels": read(), "out_channels": read(), "center_input_sample": only(False),
    "flip_sin_to_cos": only(True), "freq_shift": only(0), "down_block_types": read(), "up_block_types": read(),
    "block_out_channels": read(), "layers_per_block": read(), "mid_block_scale_factor": only(1, 1.0),
    "downsample_padding": ignored("these blocks downsample inside a residual block, without padding"),
    "dropout": ignored("training only"), "act_fn": only("silu"), "norm_num_groups": read(), "norm_eps": only(1e-5),
    "resnet_time_scale_shift": only("default", "scale_shift"), "time_embedding_type": only("positional"),
    "time_embedding_dim": only(None), "num_class_embeds": only(None), "attention_head_dim": read(),
}
UNET_CONDITION = {
    **UNET_COMMON, "mid_block_type": Field("UNetMidBlock2DCrossAttn", ("UNetMidBlock2DSimpleCrossAttn",)),
    "only_cross_attention": only(False), "cross_attention_dim": read(),
    "transformer_layers_per_block": ignored(TRANSFORMER_ONLY),
    "reverse_transformer_layers_per_block": ignored(TRANSFORMER_ONLY), "encoder_hid_dim": read(),
    "encoder_hid_dim_type": only(None, "image_proj"), "num_attention_heads": only(None),
    "dual_cross_attention": ignored(TRANSFORMER_ONLY), "use_linear_projection": ignored(TRANSFORMER_ONLY),
    "class_embed_type": only(None, "identity"), "addition_embed_type": only(None, "image"),
    "addition_time_embed_dim": ignored("only with addition_embed_type='text_time'"),
    "upcast_attention": ignored(TRANSFORMER_ONLY + " (SimpleCrossAttn always softmaxes in float32)"),
    "resnet_skip_time_act": only(False), "resnet_out_scale_factor": only(1, 1.0), "time_embedding_act_fn": only(None),
    "timestep_post_act": only(None), "time_cond_proj_dim": only(None), "conv_in_kernel": only(3),
    "conv_out_kernel": only(3),
    "projection_class_embeddings_input_dim": ignored("only with class_embed_type 'projection' or 'text_time'"),
    "attention_type": only("default"), "class_embeddings_concat": only(False),
    "mid_block_only_cross_attention": only(None, False), "cross_attention_norm": only(None),
    "addition_embed_type_num_heads": ignored("only with addition_embed_type='text'"),
}
UNET_PLAIN = {
    **UNET_COMMON, "mid_block_type": only("UNetMidBlock2D"), "downsample_type": ignored("ResnetDownsample blocks"),
    "upsample_type": ignored("ResnetUpsample blocks"), "add_attention": only(True, False),
    "attn_norm_num_groups": ignored("no attention"), "class_embed_type": only(None),
    "num_train_timesteps": ignored("only with time_embedding_type='learned'"),
}


def unet(cfg: dict, where: str, conditional: bool) -> tuple[UNetConfig, int]:
    """diffusers' UNet2DConditionModel (conditional) or UNet2DModel of ResNet and SimpleCrossAttn blocks → UNetConfig
    and its sample size. The family checks the conditioning fields (encoder_hid_dim_type, class and addition
    embeddings) it builds."""
    check(where, cfg, UNET_CONDITION if conditional else UNET_PLAIN)
    downs, ups = tuple(cfg.get("down_block_types", ())), tuple(cfg.get("up_block_types", ()))
    if any(d not in DOWN for d in downs) or any(u not in UP for u in ups):
        raise BundleError(f"{where}: unsupported block types {list(downs)} / {list(ups)}")
    levels = tuple(DOWN[d] for d in downs)
    if tuple(UP[u] for u in reversed(ups)) != levels:
        raise BundleError(f"{where}: up blocks do not mirror the down blocks")
    n = len(levels)
    layers = set(per_level(where, cfg, "layers_per_block", n, 2))
    if len(layers) != 1:
        raise refuse(where, "layers_per_block", cfg.get("layers_per_block"), "one count for every level")
    heads = per_level(where, cfg, "attention_head_dim", n, 8)
    if conditional:
        contexts = set(per_level(where, cfg, "cross_attention_dim", n, 1280))
        if len(contexts) != 1:
            raise refuse(where, "cross_attention_dim", cfg.get("cross_attention_dim"), "one width for every level")
        mid, context = True, contexts.pop()
    else:
        mid, context = bool(cfg.get("add_attention", True)), None
        if mid:
            raise refuse(where, "add_attention", cfg.get("add_attention", True), "upsamplers without attention")
    channels = tuple(cfg.get("block_out_channels", (320, 640, 1280, 1280)))
    uses = [(ch, heads[i]) for i, ch in enumerate(channels) if levels[i]]  # down level i and up block i (coarsest
    uses += [(ch, heads[j]) for j, ch in enumerate(reversed(channels)) if levels[n - 1 - j]]  # first) take entry i
    uses += [(channels[-1], heads[-1])] if conditional else []
    for ch, head in uses:
        if ch % head:
            raise refuse(where, "attention_head_dim", cfg.get("attention_head_dim"), f"widths dividing {ch}")
    net = UNetConfig(in_channels=cfg.get("in_channels", 4), out_channels=cfg.get("out_channels", 4), channels=channels,
                     layers_per_block=layers.pop(), attention_levels=levels, mid_attention=mid, head_dim=heads[-1],
                     context_dim=context, scale_shift=cfg.get("resnet_time_scale_shift", "default") == "scale_shift",
                     groups=cfg.get("norm_num_groups", 32), level_head_dims=None if len(set(heads)) == 1 else heads)
    return net, cfg.get("sample_size", 64)


# --- MoVQ ---------------------------------------------------------------------------------------------------------

MOVQ_UP = {"UpDecoderBlock2D": False, "AttnUpDecoderBlock2D": True}
VQ_MODEL = {
    "in_channels": ignored("the encoder's; only the decoder is loaded"),
    "down_block_types": ignored("the encoder's"), "sample_size": ignored("not read by the decoder"),
    "num_vq_embeddings": ignored("the codebook: Kandinsky decodes unquantised latents"),
    "norm_num_groups": ignored("the encoder's (the spatial norm always has 32 groups)"),
    "scaling_factor": ignored("Kandinsky's pipelines decode the latent unscaled"),
    "force_upcast": ignored("read by other pipelines' VAEs only"),
    "out_channels": read(), "up_block_types": read(), "block_out_channels": read(), "layers_per_block": read(),
    "latent_channels": read(), "vq_embed_dim": read(), "mid_block_add_attention": read(),
    "act_fn": only("silu"), "norm_type": only("spatial"), "lookup_from_codebook": only(False),
}


def movq(cfg: dict, where: str) -> MoVQConfig:
    """diffusers' VQModel with spatial norm (MoVQ) → MoVQConfig of its decoder."""
    check(where, cfg, VQ_MODEL)
    ups = tuple(cfg.get("up_block_types", ("UpDecoderBlock2D",)))
    channels = tuple(cfg.get("block_out_channels", (64,)))
    if any(u not in MOVQ_UP for u in ups) or len(ups) != len(channels):
        raise refuse(where, "up_block_types", list(ups), f"one of {list(MOVQ_UP)} per level")
    latent = cfg.get("latent_channels", 3)
    if cfg.get("vq_embed_dim") not in (None, latent):
        raise refuse(where, "vq_embed_dim", cfg.get("vq_embed_dim"), "the latent_channels")
    if any(c % 32 for c in channels):
        raise refuse(where, "block_out_channels", list(channels), "multiples of 32, the spatial norm's groups")
    return MoVQConfig(latent_channels=latent, out_channels=cfg.get("out_channels", 3), channels=channels,
                      layers_per_block=cfg.get("layers_per_block", 1),
                      attention_levels=tuple(MOVQ_UP[u] for u in reversed(ups)),
                      mid_attention=bool(cfg.get("mid_block_add_attention", True)))
