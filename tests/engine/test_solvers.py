"""DPM-Solver++(2M) and UniPC against diffusers' schedulers, step for step on the same model and inputs."""
import pytest
import torch

from engine.diffusion.samplers import SAMPLERS, Process, run_to_end
from engine.diffusion.schedule import DiffusionConfig

diffusers = pytest.importorskip("diffusers")

SCHEDULERS = {  # ours → diffusers' scheduler with the settings it matches
    "dpm++2m": lambda p: diffusers.DPMSolverMultistepScheduler(
        beta_schedule="squaredcos_cap_v2", prediction_type=p, algorithm_type="dpmsolver++", solver_order=2,
        solver_type="midpoint", lower_order_final=True, final_sigmas_type="zero"),
    "unipc": lambda p: diffusers.UniPCMultistepScheduler(
        beta_schedule="squaredcos_cap_v2", prediction_type=p, solver_order=2, solver_type="bh2", predict_x0=True,
        lower_order_final=True, final_sigmas_type="zero"),
}


def model_fn(seed: int = 0):
    """A smooth stand-in network of (x_t, t): what it predicts depends on both, like a real one."""
    g = torch.Generator().manual_seed(seed)
    w, b = torch.randn(1, 3, 8, 8, generator=g), torch.randn(1, 3, 8, 8, generator=g)
    return lambda x, t: torch.tanh(0.7 * x + w * (t / 1000) + 0.2 * b)


@pytest.mark.parametrize("sampler", sorted(SCHEDULERS))
@pytest.mark.parametrize("prediction", ["epsilon", "sample", "v_prediction"])
@pytest.mark.parametrize("steps", [1, 2, 7, 20])
def test_solver_matches_diffusers_step_for_step(sampler, prediction, steps):
    ref = SCHEDULERS[sampler](prediction)
    ref.set_timesteps(steps)
    timesteps = [int(t) for t in ref.timesteps]
    fn = model_fn()
    x_T = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    x, theirs = x_T.clone(), []
    for t in ref.timesteps:
        x = ref.step(fn(x, int(t)), t, x).prev_sample
        theirs.append(x)
    process = Process(DiffusionConfig(prediction=prediction, clip_range=None))
    ours = [step.x for step in SAMPLERS[sampler](fn, x_T.clone(), timesteps, process, noise=None)]
    assert len(ours) == len(theirs) == steps
    for i, (a, b) in enumerate(zip(ours, theirs)):
        err = float((a - b).abs().max() / b.abs().max().clamp(min=1e-6))
        assert err < 1e-5, f"step {i}: relative error {err:.2e}"


@pytest.mark.parametrize("sampler", ["dpm++2m", "unipc"])
def test_solvers_converge_where_ddim_needs_many_steps(sampler):
    """On a model whose x0 guess is exact (a Gaussian's mean), 10 solver steps land near DDIM's 500-step answer."""
    process = Process(DiffusionConfig(clip_range=None))
    target = torch.full((1, 3, 4, 4), 0.3)

    def eps(x, t):  # the exact eps for data concentrated at `target`
        a = process.schedule.alpha_bar(t)
        return (x - a ** 0.5 * target) / (1 - a) ** 0.5

    x_T = torch.randn(1, 3, 4, 4, generator=torch.Generator().manual_seed(0))
    from engine.diffusion.schedule import respace
    fine = run_to_end(SAMPLERS["ddim"](eps, x_T, respace(500)[0], process, None))
    fast = run_to_end(SAMPLERS[sampler](eps, x_T, respace(10)[0], process, None))
    assert torch.allclose(fast, fine, atol=1e-3) and torch.allclose(fast, target, atol=1e-3)
