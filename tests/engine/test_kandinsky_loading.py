"""Finding and refusing Kandinsky 2.2 pairs: by folder, by repo id in an offline cache, damaged snapshots, the CLI."""
import json
import shutil

import numpy as np
import pytest
from PIL import Image
from safetensors.torch import load_file, save_file

from engine import BundleError, load_bundle
from engine.cli import main
from tests.engine.kandinsky_reference import fake_cache, kandinsky  # noqa: F401 (the fixture)

DECODER, PRIOR = "kandinsky-community/kandinsky-2-2-decoder", "kandinsky-community/kandinsky-2-2-prior"


def offline(monkeypatch, home):
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)


def test_a_decoder_folder_finds_its_prior_beside_it(kandinsky):  # noqa: F811
    model = load_bundle(str(kandinsky["decoder_dir"]))
    c = model.config
    assert c.name == "kandinsky-2-2" and model.movq is not None and model.prior is not None
    assert (c.prior.steps, c.prior.guidance, c.decoder.steps, c.decoder.guidance) == (25, 4.0, 100, 4.0)
    assert c.sizes == (16, 20, 24, 28, 32) and c.default_size == 16  # multiples of the MoVQ scale² (2² here)


def test_repo_ids_are_found_in_the_local_cache_offline(kandinsky, tmp_path, monkeypatch):  # noqa: F811
    home = fake_cache(tmp_path, {DECODER: kandinsky["decoder_dir"], PRIOR: kandinsky["prior_dir"]})
    offline(monkeypatch, home)
    from engine.families import cached_models
    assert cached_models() == [DECODER]  # the prior alone is no model: it is found beside its decoder
    model = load_bundle(DECODER)
    assert model.model_id == DECODER and model.config.name == "kandinsky-2-2"
    assert model.fingerprint == load_bundle(str(kandinsky["decoder_dir"])).fingerprint  # both snapshots hashed


def test_a_decoder_folder_finds_its_prior_in_the_cache_by_its_model_card(kandinsky, tmp_path, monkeypatch):  # noqa: F811
    home = fake_cache(tmp_path, {"someone/my-prior": kandinsky["prior_dir"]})
    offline(monkeypatch, home)
    decoder = shutil.copytree(kandinsky["decoder_dir"], tmp_path / "models" / "kandinsky-2-2-decoder")
    (decoder / "README.md").write_text("---\nlicense: apache-2.0\nprior:\n- someone/my-prior\n---\n# Kandinsky\n")
    assert load_bundle(str(decoder)).prior is not None


def broken(kandinsky, tmp_path, how: str) -> str:  # noqa: F811
    """A damaged copy of the pair; returns the --model value that names it."""
    root = tmp_path / "pair"
    decoder = shutil.copytree(kandinsky["decoder_dir"], root / "kandinsky-2-2-decoder")
    prior = shutil.copytree(kandinsky["prior_dir"], root / "kandinsky-2-2-prior")
    if how == "missing weights":
        (decoder / "unet" / "diffusion_pytorch_model.safetensors").unlink()
    elif how == "truncated weights":
        path = decoder / "movq" / "diffusion_pytorch_model.safetensors"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "wrong shape":
        path = decoder / "unet" / "diffusion_pytorch_model.safetensors"
        w = load_file(str(path))
        w["encoder_hid_proj.image_embeds.weight"] = w["encoder_hid_proj.image_embeds.weight"][:, :16].contiguous()
        save_file(w, str(path))
    elif how in ("encoder wrong shape", "encoder tensor missing"):
        path = decoder / "movq" / "diffusion_pytorch_model.safetensors"
        w = load_file(str(path))
        if how == "encoder tensor missing":
            del w["quant_conv.weight"]
        else:
            w["encoder.down_blocks.1.resnets.0.conv1.weight"] = w["encoder.down_blocks.1.resnets.0.conv1.weight"][:48]
        save_file(w, str(path))
    elif how == "encoder down block":
        config = json.loads((decoder / "movq" / "config.json").read_text())
        config["down_block_types"] = ["DownEncoderBlock2D", "SimpleCrossAttnDownBlock2D"]
        (decoder / "movq" / "config.json").write_text(json.dumps(config))
    elif how == "a prior without a decoder":
        shutil.rmtree(decoder)
        return str(prior)
    elif how == "a decoder without its prior":
        shutil.rmtree(prior)
    elif how == "missing component":
        shutil.rmtree(prior / "image_encoder")
    elif how == "unsupported field":
        config = json.loads((decoder / "unet" / "config.json").read_text())
        config["cross_attention_norm"] = "group_norm"
        (decoder / "unet" / "config.json").write_text(json.dumps(config))
    return str(decoder)


@pytest.mark.parametrize("how,message", [
    ("missing weights", "model folder incomplete: no weights in unet/"),
    ("truncated weights", "movq/diffusion_pytorch_model.safetensors is damaged or truncated"),
    ("wrong shape", "unet: tensor image_to_tokens.weight has shape (768, 16) in the file but the model expects (768, 32)"),
    ("encoder wrong shape", "movq: tensor encoder.down.1.resnets.0.conv1.weight has shape (48, 32, 3, 3) in the "
                            "file but the model expects (64, 32, 3, 3)"),
    ("encoder tensor missing", "movq: 1 missing tensors ['encoder.quant_conv.weight']"),
    ("encoder down block", "movq/config.json: unsupported down_block_types=['DownEncoderBlock2D', "
                           "'SimpleCrossAttnDownBlock2D']"),
    ("a prior without a decoder", "is a KandinskyV22PriorPipeline model, not an unCLIP model (expected one of: "),
    ("a decoder without its prior", "kandinsky-2-2-decoder: a Kandinsky 2.2 decoder needs its prior"),
    ("missing component", "model folder incomplete: kandinsky-2-2-prior is missing component image_encoder/"),
    ("unsupported field", "unet/config.json: unsupported cross_attention_norm='group_norm'"),
])
def test_damaged_pairs_fail_with_one_line(kandinsky, tmp_path, capsys, monkeypatch, how, message):  # noqa: F811
    offline(monkeypatch, tmp_path / "empty-cache")
    spec = broken(kandinsky, tmp_path, how)
    assert main(["generate", "x", "--model", spec, "--steps", "2,2,1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_every_command_runs_on_the_pair(kandinsky, tmp_path, capsys):  # noqa: F811
    model, steps = str(kandinsky["decoder_dir"]), ["--steps", "2,2,1"]
    source = tmp_path / "source.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(source)
    assert main(["generate", "a red circle", "--model", model, "--size", "20", "--seed", "3",
                 "--out", str(tmp_path / "a.png"), *steps]) == 0
    assert Image.open(tmp_path / "a.png").size == (20, 20)
    assert main(["vary", str(source), "--model", model, "--amount", "0.3", "--out", str(tmp_path / "vary"), *steps]) == 0
    assert main(["interpolate", "text:a red circle", str(source), "--model", model, "--frames", "3",
                 "--out", str(tmp_path / "frames"), *steps]) == 0
    assert main(["textdiff", str(source), "a blue star", "--model", model, "--frames", "2",
                 "--out", str(tmp_path / "diff"), *steps]) == 0
    assert len(list((tmp_path / "vary").glob("*.png"))) == 1 and len(list((tmp_path / "frames").glob("*.png"))) == 3
    assert main(["info", str(tmp_path / "a.png")]) == 0
    assert "kandinsky-2-2" in capsys.readouterr().out


def test_replay_gives_the_same_pixels(kandinsky):  # noqa: F811
    from engine import Settings, TextToImage, run
    model = load_bundle(str(kandinsky["decoder_dir"]))
    request = TextToImage("two yellow stars", seeds=(5,), settings=Settings(prior_steps=2, decoder_steps=3, size=24))
    first, again = run(model, request)[0], run(load_bundle(str(kandinsky["decoder_dir"])), request)[0]
    assert first.image.shape == (24, 24, 3) and np.array_equal(first.image, again.image)


def test_a_damaged_prior_index_is_not_taken_for_the_prior(kandinsky, tmp_path, monkeypatch):  # noqa: F811
    offline(monkeypatch, tmp_path / "empty-cache")
    root = tmp_path / "pair"
    decoder = shutil.copytree(kandinsky["decoder_dir"], root / "kandinsky-2-2-decoder")
    (root / "kandinsky-2-2-prior").mkdir()
    (root / "kandinsky-2-2-prior" / "model_index.json").write_text("{not json")
    with pytest.raises(BundleError, match="needs its prior"):
        load_bundle(str(decoder))


def test_a_kandinsky_image_replays_in_a_batch_to_the_same_pixels(kandinsky, tmp_path):  # noqa: F811
    decoder = str(kandinsky["decoder_dir"])
    assert main(["generate", "a red fox", "--model", decoder, "--seed", "4", "--size", "24", "--steps", "2,2,1",
                 "--dtype", "float32", "--out", str(tmp_path / "orig.png")]) == 0
    record = json.loads(Image.open(tmp_path / "orig.png").text["unclip"])
    (tmp_path / "replay.jsonl").write_text(json.dumps(record) + "\n")
    assert main(["batch", str(tmp_path / "replay.jsonl"), "--model", decoder, "--out", str(tmp_path / "out")]) == 0
    [replayed] = (tmp_path / "out").glob("*.png")
    assert np.array_equal(np.asarray(Image.open(replayed)), np.asarray(Image.open(tmp_path / "orig.png")))
