"""A bench's result dict printed as one JSON line (--json) or as a Markdown table of measure and value."""
from __future__ import annotations

import json


def print_result(result: dict, as_json: bool) -> None:
    """Print `result` for a machine (one JSON line) or for BENCHMARKS.md (a two-column table)."""
    if as_json:
        print(json.dumps(result))
        return
    print("| measure | value |\n|---|---|")
    for k, v in result.items():
        print(f"| {k} | {v} |")
