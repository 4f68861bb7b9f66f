"""The card of an everyday-world bundle: a candidate trained on from commit to commit until it beats the default."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from ..model import UnCLIP
from .atlas import load as load_atlas
from .card import assemble, log_table, networks
from .everyday_sheet import contact_sheet
from .recipe import EVERYDAY_STEPS

SHEET = "things.webp"  # every thing: the atlas's drawing beside the bundle's own "a ⟨thing⟩" at 64 px


def things_by_category(nouns: tuple[str, ...]) -> str:
    """The bundle's things as Markdown lines, one a category of the atlas."""
    groups: dict[str, list[str]] = defaultdict(list)
    for noun in nouns:
        groups[load_atlas().entry(noun).category].append(noun)
    return "\n".join(f"- **{c} ({len(v)}):** {', '.join(v)}." for c, v in sorted(groups.items()))


def write_everyday_card(folder: Path, model: UnCLIP, table_md: str, times: dict, notes: str = "") -> Path:
    """<folder>/README.md and its contact sheet, for a bundle trained by the everyday recipe."""
    nouns = tuple(model.vocabulary.groups.get("thing", ())) if model.vocabulary else ()
    contact_sheet(model, nouns, folder / SHEET)
    logs = log_table(times)
    share = " : ".join(f"{sum(seg.minutes for seg in s):g}" for s in EVERYDAY_STEPS.values())
    body = {
        "What it is": f"""\
The everyday world's unCLIP, **in training**: the same stages as the embedded default (CLIP, a diffusion prior, a
64 px diffusion decoder and the upsamplers), taught the things of Noto Color Emoji among the default's shapes. It
ships beside the default as `--model {folder.name}` so that training goes on from it (`--init {folder.name}`); the
default switches to it when its eval rows meet the targets below. Until then most of its things come out as blobs of their
colours: see the evaluation and the contact sheet.

{networks(model, folder)}""",
        "What it knows": f"""\
The shapes world of the default (its shapes, colours, sizes, positions and backgrounds), and {len(nouns)} things
from the atlas (`resources/world/`, made from Noto Color Emoji by `tools/make_atlas.py`; images Apache-2.0),
placed like the shapes, 1–3 objects a scene, each a thing with chance 3/4, else a shape. Captions name a thing
by its plain noun (the atlas's synonyms are not used yet): "a cat on the left on a blue background", "a red apple
and a yellow star".

{things_by_category(nouns)}""",
        "How it was trained": f"""\
The everyday recipe (`engine/training/recipe.py`): CLIP and the prior go on from the default's weights on the
everyday world, the decoder (folded 2 × 2, levels at 32/16/8 px) starts afresh, and the upsamplers are the
default's. `--minutes` shares a wall clock among CLIP, prior and decoder as {share}.

```
python main.py train all --recipe everyday --init default --run runs/everyday --minutes 105
python main.py train export --recipe everyday --init default --run runs/everyday --out resources/models/{folder.name}
python main.py train decoder --recipe everyday --init {folder.name} --run runs/more --minutes 120   # go on from here
python main.py train decoder --recipe everyday --init {folder.name} --run runs/more --device cuda --batch 256 \\
    --steps 40000 --minutes 20                                                                   # or on a GPU
python main.py train export --recipe everyday --init {folder.name} --run runs/more --out resources/models/{folder.name}
python main.py train card --recipe everyday --run runs/more --out resources/models/{folder.name} --eval eval.json
```

{logs}""",
        "Evaluation": f"""\
`python main.py eval --model {folder.name} --rows everyday --thing-seeds 1 --composed-every 3 --out eval.json`
(seed 0, 64 px): a thing probe trained on clean renders of these {len(nouns)} things, gated on held-out renders,
names the thing in each render. Targets: thing drawn right ≥ 80%, variations keep the thing ≥ 85%.

{table_md}""",
        "Limits": "",
        "Pictures": f"""Every thing: the atlas's drawing, then this bundle's "a ⟨thing⟩" (64 px, seed 0).

![contact sheet]({SHEET})""",
    }
    return assemble(folder, f"{model.config.name} — the everyday unCLIP, in training", body, notes)
