"""Shared fixtures: tiny random-weight unCLIP models and bundles built from the real classes."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402
import torch  # noqa: E402

from engine import UnCLIP, save_bundle  # noqa: E402
from engine.tiny import tiny_config  # noqa: E402

DEVICE = os.environ.get("UNCLIP_TEST_DEVICE", "cpu")  # bench/gpu_check.sh runs the engine tests on a GPU
torch.set_num_threads(max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)))


@pytest.fixture(scope="session")
def tiny_model() -> UnCLIP:
    """Every stage at toy size: 16 px decoder, upsamplers to 32 and 64 px."""
    return UnCLIP.random(tiny_config(), seed=0).to(DEVICE)


@pytest.fixture(scope="session")
def tiny_bundle(tmp_path_factory, tiny_model):
    """The tiny model saved as a bundle folder."""
    return save_bundle(tiny_model, tmp_path_factory.mktemp("bundle") / "tiny")


@pytest.fixture(scope="session")
def karlo(tmp_path_factory):
    """Tiny reference Karlo pipelines saved in the Hugging Face layout (see karlo_reference.py)."""
    from tests.engine.karlo_reference import save_pipelines
    t2i, var, parts = save_pipelines(tmp_path_factory.mktemp("karlo"))
    return {"t2i_dir": t2i, "variation_dir": var, **parts}


@pytest.fixture(autouse=True)
def collect_on_the_main_thread():
    """Qt objects left by a test are finalised here, on the GUI thread, never by a collection that happens
    to run on an engine thread (the studio switches automatic collection off for the same reason)."""
    yield
    import gc
    gc.collect()
