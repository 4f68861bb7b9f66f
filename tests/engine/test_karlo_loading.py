"""Finding and refusing Karlo folders: offline Hugging Face cache lookup, bad folders, memory."""
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from engine import BundleError, load_bundle
from engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


def fake_cache(tmp_path, source: Path, repo: str, revision: str = "0123456789abcdef") -> Path:
    """The real hub cache layout: models--owner--name/{refs/main, snapshots/<rev>/…}."""
    home = tmp_path / "hf"
    repo_dir = home / "hub" / ("models--" + repo.replace("/", "--"))
    shutil.copytree(source, repo_dir / "snapshots" / revision)
    (repo_dir / "refs").mkdir(parents=True)
    (repo_dir / "refs" / "main").write_text(revision)
    return home


def test_repo_id_is_found_in_the_local_cache_offline(karlo, tmp_path, monkeypatch):
    home = fake_cache(tmp_path, karlo["t2i_dir"], "kakaobrain/karlo-v1-alpha")
    monkeypatch.setenv("HF_HOME", str(home))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.delenv("HF_HUB_CACHE", raising=False)
    from engine.families import cached_models
    assert cached_models() == ["kakaobrain/karlo-v1-alpha"]
    model = load_bundle("kakaobrain/karlo-v1-alpha")
    assert model.model_id == "kakaobrain/karlo-v1-alpha" and model.config.name == "karlo-v1-alpha"
    with pytest.raises(BundleError, match=r"kakaobrain/karlo-v1-alpha-image-variations is not in the local "
                                          r"Hugging Face cache .*hf download kakaobrain/karlo-v1-alpha-image-variations"):
        load_bundle("kakaobrain/karlo-v1-alpha-image-variations")


def test_karlo_defaults_are_the_fast_preset(karlo):
    c = load_bundle(str(karlo["t2i_dir"])).config
    assert (c.prior.steps, c.prior.guidance, c.decoder.steps, c.decoder.guidance) == (25, 4.0, 25, 8.0)
    assert c.upsamplers[0].steps == 7 and c.upsamplers[0].last_step_model


def broken(karlo, tmp_path, how: str) -> Path:
    b = shutil.copytree(karlo["t2i_dir"], tmp_path / "broken")
    if how == "missing component":
        shutil.rmtree(b / "text_proj")
    elif how == "truncated":
        path = b / "decoder" / "diffusion_pytorch_model.safetensors"
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif how == "wrong shape":
        path = b / "text_proj" / "diffusion_pytorch_model.safetensors"
        w = load_file(str(path))
        w["embedding_proj.weight"] = w["embedding_proj.weight"][:, :16].contiguous()
        save_file(w, str(path))
    elif how == "other family":
        index = json.loads((b / "model_index.json").read_text())
        index["_class_name"] = "StableDiffusionPipeline"
        (b / "model_index.json").write_text(json.dumps(index))
    return b


@pytest.mark.parametrize("how,message", [
    ("missing component", "model folder incomplete: missing component text_proj/"),
    ("truncated", "decoder/diffusion_pytorch_model.safetensors is damaged or truncated"),
    ("wrong shape", "text_proj: tensor text_to_time.weight has shape (64, 16) in the file but the model expects (64, 32)"),
    ("other family", "is a StableDiffusionPipeline model, not an unCLIP model"),
])
def test_bad_folders_fail_with_one_line(karlo, tmp_path, capsys, how, message):
    folder = broken(karlo, tmp_path, how)
    assert main(["generate", "x", "--model", str(folder)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and message in err[0], err


def test_loading_holds_one_copy_of_the_weights(tmp_path):
    """Peak memory while loading a 417 MB bundle stays within 1.3× its weights (fresh process; the
    tokenizer's vocabulary, about 24 MB, is part of the growth)."""
    import dataclasses

    from engine import UnCLIP, save_bundle
    from engine.nn.unet import UNetConfig
    from engine.tiny import tiny_config
    c = tiny_config()
    big = UNetConfig(channels=(128, 256, 384, 512), layers_per_block=2, attention_levels=(False, True, True, True),
                     head_dim=32, context_dim=24, groups=32)
    folder = save_bundle(UnCLIP.random(dataclasses.replace(c, decoder=dataclasses.replace(c.decoder, network=big))),
                         tmp_path / "big")
    size = sum(p.stat().st_size for p in folder.rglob("*.safetensors"))
    script = textwrap.dedent(f"""
        import re, sys
        sys.path.insert(0, {str(ROOT)!r})
        from engine.families import load_bundle  # the loader's modules (torch, open_clip) before the baseline
        def status(field):  # kB; VmHWM is this process image's own peak (ru_maxrss keeps the forked parent's)
            return int(re.search(field + r":\\s+(\\d+)", open("/proc/self/status").read()).group(1)) * 1024
        before = status("VmRSS")
        model = load_bundle({str(folder)!r})
        total = sum(float(p.float().sum()) for p in model.decoder.parameters())  # touch every weight
        print(status("VmHWM") - before)
    """)
    peak = int(subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout)
    print(f"weights {size / 1e6:.0f} MB, peak growth {peak / 1e6:.0f} MB ({peak / size:.2f}x)")
    assert size > 400e6 and peak <= 1.3 * size, (size, peak)
