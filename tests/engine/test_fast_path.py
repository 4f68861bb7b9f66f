"""The opt-in fast path (engine/nn/fused.py): off by default, the fused GroupNorm+SiLU within float32 rounding of
the unfused, every repeated block compiled whole (no graph break), and --compile on the command line."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

from engine import Settings, TextToImage, UnCLIP, run
from engine.cli import main
from engine.nn.fused import REPEATED, FastPath, compiled_group_norm_silu, enable, group_norm_silu
from engine.nn.layers import ResBlock
from engine.nn.unet import UNet, UNetConfig
from engine.record import read_png
from engine.tiny import tiny_config
from tests.conftest import DEVICE

TOLERANCE = 1e-5  # float32


def _norm(channels: int, groups: int, seed: int) -> torch.nn.GroupNorm:
    torch.manual_seed(seed)
    norm = torch.nn.GroupNorm(groups, channels)
    with torch.no_grad():
        norm.weight.normal_()
        norm.bias.normal_()
    return norm


@pytest.mark.parametrize("shape,groups", [((2, 16, 8, 8), 4), ((3, 32, 5, 7), 8), ((1, 64, 16, 16), 32)])
def test_fused_group_norm_silu_matches_the_unfused(shape, groups):
    norm = _norm(shape[1], groups, seed=shape[2])
    x = torch.randn(shape) * 3 + 1
    assert (group_norm_silu(x, norm) - F.silu(norm(x))).abs().max() < TOLERANCE
    scale, shift = torch.randn(shape[0], shape[1], 1, 1), torch.randn(shape[0], shape[1], 1, 1)
    unfused = F.silu(norm(x) * (1 + scale) + shift)
    assert (group_norm_silu(x, norm, scale, shift) - unfused).abs().max() < TOLERANCE
    cl = x.to(memory_format=torch.channels_last)  # the layout the UNets run in with channels_last()
    assert (group_norm_silu(cl, norm) - F.silu(norm(x))).abs().max() < TOLERANCE


@pytest.mark.parametrize("scale_shift", [True, False])
def test_a_resblock_on_the_fused_path_matches_its_plain_self(scale_shift):
    torch.manual_seed(0)
    block = ResBlock(16, 32, 24, scale_shift, resample="down", groups=8).eval()
    x, emb = torch.randn(2, 16, 8, 8), torch.randn(2, 24)
    with torch.no_grad():
        plain = block(x, emb)
        block.norm_act = group_norm_silu
        fused = block(x, emb)
    assert plain.shape == (2, 32, 4, 4) and (fused - plain).abs().max() < TOLERANCE


def test_the_plain_path_is_the_default():
    model = UnCLIP.random(tiny_config(), seed=0)
    for network in model.modules().values():
        for module in network.modules():
            assert getattr(module, "norm_act", None) is None
            assert getattr(module, "_compiled_call_impl", None) is None


def test_the_fused_norm_alone_compiles_once_per_shape_and_renders_alike():
    model = UnCLIP.random(tiny_config(), seed=0)
    request = TextToImage("a red circle", seeds=(3,), settings=Settings(size=32))
    plain = run(model, request)[0].image
    assert enable(model.modules().values(), FastPath(compile=False, backend="eager")) == 0
    fast = run(model, request)[0].image
    assert np.abs(fast.astype(int) - plain.astype(int)).max() <= 2


def test_every_repeated_block_compiles_whole_and_renders_alike():
    model = UnCLIP.random(tiny_config(), seed=0)
    request = TextToImage("a red circle", seeds=(3,), settings=Settings(size=32))
    plain = run(model, request)[0]
    blocks = sum(isinstance(m, REPEATED) for n in model.modules().values() for m in n.modules())
    assert enable(model.modules().values(), FastPath(backend="eager")) == blocks > 0  # fullgraph: no graph break
    fast = run(model, request)[0]
    assert fast.metadata == plain.metadata  # the fast path is recorded nowhere
    diff = np.abs(fast.image.astype(int) - plain.image.astype(int))
    assert diff.max() <= 2 and diff.mean() < 0.05  # float32 rounding of the fused norm, through 3 stages


def test_compile_on_the_command_line_keeps_the_records(tiny_bundle, tmp_path, monkeypatch):
    import engine.cli.commands as commands
    monkeypatch.setattr(commands, "FastPath", lambda: FastPath(backend="eager"))  # inductor's build: the slow test
    args = ["generate", "two stars", "--model", str(tiny_bundle), "--seed", "5", "--size", "32", "--steps", "2,2,2",
            "--dtype", "float32"]  # bfloat16 random weights: one rounding apart can end far apart
    for name, extra in (("plain", []), ("fast", ["--compile"])):
        assert main([*args, "--out", str(tmp_path / name), *extra]) == 0
    (plain,), (fast,) = sorted((tmp_path / "plain").glob("*.png")), sorted((tmp_path / "fast").glob("*.png"))
    assert read_png(plain) == read_png(fast)
    diff = np.abs(np.asarray(Image.open(plain), dtype=int) - np.asarray(Image.open(fast), dtype=int))
    assert diff.max() <= 2


def test_compile_with_ray_is_refused_in_one_line(tmp_path, capsys):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"prompt": "x"}\n')
    assert main(["batch", str(jobs), "--out", str(tmp_path / "out"), "--ray", "local", "--compile"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: --compile is for one process")


@pytest.mark.slow
def test_inductor_compiles_the_blocks_and_the_fused_norm_here():
    """Inductor's generated code (C++ here, about a minute on two cores; Triton on a GPU) on a toy UNet on the test
    device: within float32 rounding of eager (TF32 convolutions on a GPU widen it)."""
    close = 1e-4 if DEVICE == "cpu" else 1e-3
    norm, x = _norm(16, 4, seed=1).to(DEVICE), torch.randn(2, 16, 8, 8, device=DEVICE)
    assert (compiled_group_norm_silu()(x, norm) - F.silu(norm(x))).abs().max() < TOLERANCE
    torch.manual_seed(0)
    net = UNet(UNetConfig(in_channels=3, out_channels=3, channels=(16, 32), layers_per_block=1,
                          attention_levels=(False, True), head_dim=8, context_dim=None, groups=8)).eval().to(DEVICE)
    x = torch.randn(2, 3, 16, 16, device=DEVICE)
    with torch.inference_mode():
        plain = net(x, 10)
        assert enable([net], FastPath()) == sum(isinstance(m, REPEATED) for m in net.modules())
        fast = net(x, 10)
    assert (fast - plain).abs().max() < close
