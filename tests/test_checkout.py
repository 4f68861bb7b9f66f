"""The checkout's size: a GPU training machine takes the working tree and the open_clip wheels in one copy of at
most 64 MiB (docs/gpu-training.md), so the tracked files leave room for the wheels (1.6 MiB) and a new bundle."""
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LIMIT = 60 << 20  # bytes: 64 MiB less the wheels and about 2 MiB to grow


@pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None, reason="not a git checkout")
def test_the_tracked_files_leave_room_for_the_wheels():
    names = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    sizes = {n: (ROOT / n).stat().st_size for n in names.decode().split("\0") if n and (ROOT / n).is_file()}
    size = sum(sizes.values())
    biggest = sorted(sizes, key=sizes.get)[-3:]
    assert size <= LIMIT, (f"tracked files take {size / 2**20:.1f} MiB, over {LIMIT / 2**20:.0f}; the biggest: "
                           + ", ".join(biggest))
