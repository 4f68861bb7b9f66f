"""Diffusion math that knows no CLIP and no pixels: schedules, samplers, guidance, inversion."""
