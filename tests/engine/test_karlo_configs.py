"""The loaders honour every config field diffusers and transformers honour, or refuse it by name.

1. Every constructor field of every component class is in the reader's table (read, ignored for a stated reason, or
   held to the values we build): a field added to diffusers fails here until someone decides.
2. Configs diffusers accepts, one changed field at a time, saved into a tiny Karlo folder: the loader either matches
   diffusers' network (within 1e-5, the parity rule) or refuses with an error naming the field. Nothing loads silently
   wrong: among them the MLP width, per-level head widths and activation functions.
"""
import inspect
import shutil

import pytest
import torch

from engine import BundleError, load_bundle
from engine.families import diffusers_configs as hf
from engine.families.karlo.config import TEXT_PROJ

PROMPTS = ["a red circle on a blue background", "two yellow stars"]


def rel(ours, ref):
    return float((ours - ref).abs().max() / ref.abs().max())


def test_every_constructor_field_is_decided():
    from diffusers import DDPMScheduler, PriorTransformer, UnCLIPScheduler, UNet2DConditionModel, UNet2DModel, VQModel
    from diffusers.pipelines.deprecated.unclip.text_proj import UnCLIPTextProjModel
    from transformers import CLIPTextConfig, CLIPVisionConfig
    tables = {UNet2DConditionModel: hf.UNET_CONDITION, UNet2DModel: hf.UNET_PLAIN, PriorTransformer: hf.PRIOR,
              UnCLIPScheduler: hf.UNCLIP_SCHEDULER, DDPMScheduler: hf.DDPM_SCHEDULER, VQModel: hf.VQ_MODEL,
              UnCLIPTextProjModel: TEXT_PROJ, CLIPTextConfig: hf.CLIP_TEXT, CLIPVisionConfig: hf.CLIP_VISION}
    for cls, table in tables.items():
        fields = set(inspect.signature(cls.__init__).parameters) - {"self", "kwargs"}
        assert fields <= set(table), f"{cls.__name__}: undecided fields {sorted(fields - set(table))}"


def variant(base, overrides: dict):
    """The component rebuilt from its config with some fields changed (random weights, fixed seed)."""
    torch.manual_seed(1)
    if hasattr(base.config, "to_dict"):  # transformers
        return type(base)(type(base.config)(**{**base.config.to_dict(), **overrides})).eval()
    config = {k: v for k, v in base.config.items() if not k.startswith("_")}  # _use_default_values would undo overrides
    model = type(base).from_config({**config, **overrides}).eval()
    if hasattr(model, "positional_embedding"):  # a prior: make its learned embeddings non-trivial
        with torch.no_grad():
            model.positional_embedding.normal_(0, 0.5)
            model.prd_embedding.normal_(0, 0.5)
    return model


def text_encoder(karlo, ours, ref):
    ids = karlo["tokenizer"](PROMPTS, padding="max_length", max_length=77, truncation=True, return_tensors="pt")
    out, mine = ref(ids.input_ids), ours.clip.encode_text(PROMPTS)
    return max(rel(mine.embed, out.text_embeds), rel(mine.states, out.last_hidden_state))


def image_encoder(karlo, ours, ref):
    pixels = torch.randn(2, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    return rel(ours.clip.encode_image(pixels), ref(pixels).image_embeds)


def prior(karlo, ours, ref):
    g = torch.Generator().manual_seed(0)
    x, te, states = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g), torch.randn(2, 77, 32, generator=g)
    mask = torch.arange(77)[None] < torch.tensor([[9], [40]])
    out = ref(x, timestep=417, proj_embedding=te, encoder_hidden_states=states, attention_mask=mask)
    return rel(ours.prior(x, 417, te, states, mask), out.predicted_image_embedding)


def decoder(karlo, ours, ref):
    g = torch.Generator().manual_seed(1)
    z_i, te, states = torch.randn(2, 32, generator=g), torch.randn(2, 32, generator=g), torch.randn(2, 77, 32, generator=g)
    x, mask = torch.randn(2, 3, 16, 16, generator=g), torch.arange(77)[None] < torch.tensor([[5], [77]])
    ctx, time_term = karlo["text_proj"](image_embeddings=z_i, prompt_embeds=te, text_encoder_hidden_states=states,
                                        do_classifier_free_guidance=False)
    out = ref(x, 300, encoder_hidden_states=ctx, class_labels=time_term,
              attention_mask=torch.nn.functional.pad(mask, (4, 0), value=True)).sample
    ctx, ctx_mask, time_term = ours.conditioning(z_i, te, states, mask)
    return rel(ours.decoder(x, 300, time_term, ctx, ctx_mask), out)


def upsampler(karlo, ours, ref):
    x = torch.randn(2, 6, 32, 32, generator=torch.Generator().manual_seed(2))
    return rel(ours.upsamplers[0].first(x, 123), ref(x, 123).sample)


COMPARE = {"text_encoder": text_encoder, "image_encoder": image_encoder, "prior": prior, "decoder": decoder,
           "super_res_first": upsampler}
TRANSFORMER_ONLY = {"upcast_attention": True, "use_linear_projection": True, "dual_cross_attention": True,
                    "downsample_padding": 0, "transformer_layers_per_block": 2, "addition_embed_type_num_heads": 8}

# (component, changed fields, None = must match diffusers, else the field the error must name)
VARIANTS = {
    "text MLP 48 wide": ("text_encoder", {"intermediate_size": 48}, None),
    "text GELU": ("text_encoder", {"hidden_act": "gelu"}, None),
    "text tanh GELU": ("text_encoder", {"hidden_act": "gelu_pytorch_tanh"}, None),
    "text LayerNorm eps": ("text_encoder", {"layer_norm_eps": 1e-6}, None),
    "text ReLU": ("text_encoder", {"hidden_act": "relu"}, "hidden_act"),
    "image MLP 80 wide": ("image_encoder", {"intermediate_size": 80}, None),
    "image GELU beside text QuickGELU": ("image_encoder", {"hidden_act": "gelu"}, None),
    "image SiLU": ("image_encoder", {"hidden_act": "silu"}, "hidden_act"),
    "decoder head widths per level": ("decoder", {"attention_head_dim": [16, 8]}, None),  # up blocks take entry i too
    "decoder head widths not dividing": ("decoder", {"attention_head_dim": [16, 12]}, "attention_head_dim"),
    "decoder transformer-only fields": ("decoder", TRANSFORMER_ONLY, None),
    "decoder Mish": ("decoder", {"act_fn": "mish"}, "act_fn"),
    "decoder resnet output scale": ("decoder", {"resnet_out_scale_factor": 2.0}, "resnet_out_scale_factor"),
    "decoder skip time activation": ("decoder", {"resnet_skip_time_act": True}, "resnet_skip_time_act"),
    "decoder cross-attention norm": ("decoder", {"cross_attention_norm": "layer_norm"}, "cross_attention_norm"),
    "decoder only cross-attention": ("decoder", {"only_cross_attention": True}, "only_cross_attention"),
    "decoder mid-block scale": ("decoder", {"mid_block_scale_factor": 2.0}, "mid_block_scale_factor"),
    "decoder norm eps": ("decoder", {"norm_eps": 1e-6}, "norm_eps"),
    "decoder time activation": ("decoder", {"time_embedding_act_fn": "silu"}, "time_embedding_act_fn"),
    "decoder input kernel": ("decoder", {"conv_in_kernel": 5}, "conv_in_kernel"),
    "decoder centred input": ("decoder", {"center_input_sample": True}, "center_input_sample"),
    "prior dropout": ("prior", {"dropout": 0.1}, None),
    "prior GELU time MLP": ("prior", {"time_embed_act_fn": "gelu"}, "time_embed_act_fn"),
    "prior input norm": ("prior", {"norm_in_type": "layer"}, "norm_in_type"),
    "upsampler scale-shift": ("super_res_first", {"resnet_time_scale_shift": "scale_shift"}, None),
    "upsampler attention": ("super_res_first", {"add_attention": True}, "add_attention"),
    "upsampler GELU": ("super_res_first", {"act_fn": "gelu"}, "act_fn"),
}


@pytest.mark.parametrize("name", list(VARIANTS))
def test_a_config_diffusers_accepts_loads_equal_or_is_refused_by_name(karlo, tmp_path, name):
    component, overrides, refused = VARIANTS[name]
    base = karlo["variation_dir"] if component == "image_encoder" else karlo["t2i_dir"]
    folder = shutil.copytree(base, tmp_path / base.name)
    ref = variant(karlo[component], overrides)
    ref.save_pretrained(folder / component, safe_serialization=True)
    if component == "super_res_first":  # the last-step model has the first's shape
        ref.save_pretrained(folder / "super_res_last", safe_serialization=True)
    if refused:
        with pytest.raises(BundleError, match=rf"{component}/config.json: unsupported {refused}="):
            load_bundle(str(folder))
        return
    with torch.no_grad():
        assert COMPARE[component](karlo, load_bundle(str(folder)), ref) < 1e-5
