"""The evaluation's prompts: single-object scenes of the world and the captions that ask for them."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from .world import COLORS, SHAPES, Scene, Thing

COLOR_NAMES = list(COLORS)


def single_object_prompts(rng: np.random.Generator, n: int, sizes: tuple[str, ...]) -> list[Scene]:
    """Scenes for 'a {size} {colour} {shape} on a {colour} background' prompts."""
    scenes = []
    for _ in range(n):
        bg, color = rng.choice(COLOR_NAMES, 2, replace=False)
        scenes.append(Scene((Thing(str(rng.choice(SHAPES)), str(color), str(rng.choice(sizes)), "centre"),),
                            "solid", (str(bg), "white")))
    return scenes


def prompt_of(scene: Scene) -> str:
    """The caption that asks for a single-object scene."""
    t = scene.things[0]
    return f"a {t.size} {t.color} {t.shape} on {'an' if scene.colors[0][0] in 'aeiou' else 'a'} {scene.colors[0]} background"


def with_shape(scene: Scene, shape: str) -> Scene:
    """A single-object scene with its object's shape changed, all else kept."""
    return replace(scene, things=(replace(scene.things[0], shape=shape),))
