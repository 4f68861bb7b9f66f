"""The evaluation table as Markdown, for the model card."""
from __future__ import annotations


def markdown(table: dict) -> str:
    """The table as Markdown, for the model card."""
    lines = ["| measure | value |", "|---|---|"]
    for key, value in table.items():
        if isinstance(value, dict):
            for k, v in value.items():
                lines.append(f"| {key}: {k} | {f'{v:.2f}' if k.endswith('per image') else _fmt(v)} |")
        else:
            lines.append(f"| {key} | {_fmt(value)} |")
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, dict):
        return ", ".join(f"{k} {_fmt(x)}" for k, x in v.items())
    if isinstance(v, float) and 0 <= v <= 1:
        return f"{100 * v:.1f}%"
    return f"{v:.2f}" if isinstance(v, float) else str(v)
