"""The image library: a folder of PNGs (each carrying its settings) plus a small index of favourites.

The PNGs are the truth; `index.json` only remembers order and favourites and is rebuilt from the
PNGs when missing or damaged. Deleted images wait in `.trash/` (undo brings them back) until
`empty_trash` hands them to the system trash. No name taken from metadata or from the index can
point outside the folder.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import UserError
from .record import read_png, write_png

INDEX = "index.json"
TRASH = ".trash"


@dataclass
class Entry:
    """One saved image: its file name in the library, its settings and whether it is a favourite."""

    name: str
    metadata: dict = field(default_factory=dict)
    favourite: bool = False


class Library:
    """A folder of generated PNGs; every write is atomic (temporary file, fsync, rename)."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.rebuilt = False  # True when the index had to be rebuilt from the PNGs
        self._lock = threading.RLock()  # the engine thread saves while the GUI thread favourites and deletes
        self._order, self._favourites = self._read_index()

    # --- reading --------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        """Every image in the library, oldest first (files that vanished are dropped)."""
        out = []
        with self._lock:
            order = list(self._order)
        for name in order:
            path = self.folder / name
            try:
                meta = read_png(path)
            except UserError:
                continue
            out.append(Entry(name, meta, name in self._favourites))
        return out

    def path(self, name: str) -> Path:
        """The file of an entry; refuses any name that is not a plain PNG file name in this folder."""
        if not name or Path(name).name != name or name.startswith(".") or not name.endswith(".png"):
            raise UserError(f"not a library image name: {name!r}")
        return self.folder / name

    # --- writing --------------------------------------------------------------------------------
    def save(self, image: np.ndarray, metadata: dict) -> Path:
        """Write (H, W, 3) uint8 as a new PNG named after its kind and seed; returns its path."""
        kind = "".join(c for c in str(metadata.get("kind", "image")) if c.isalnum()) or "image"
        seed = int(metadata.get("seed", 0)) if str(metadata.get("seed", "0")).isdigit() else 0
        stem, n = f"{kind}-{seed}", 1
        with self._lock:
            path = self.folder / f"{stem}.png"
            while path.exists() or path.name in self._order:
                path, n = self.folder / f"{stem}-{n}.png", n + 1
            write_png(path, image, metadata)
            self._order.append(path.name)
            self._write_index()
        return path

    def set_favourite(self, name: str, favourite: bool) -> None:
        self.path(name)
        with self._lock:
            (self._favourites.add if favourite else self._favourites.discard)(name)
            self._write_index()

    def delete(self, name: str) -> None:
        """Move an image to the library's trash (undoable)."""
        src = self.path(name)
        trash = self.folder / TRASH
        trash.mkdir(exist_ok=True)
        with self._lock:
            os.replace(src, trash / name)
            self._order = [n for n in self._order if n != name]
            self._write_index()

    def undo_delete(self, name: str) -> None:
        """Bring a deleted image back to where it was in the order (at the end)."""
        self.path(name)
        with self._lock:
            os.replace(self.folder / TRASH / name, self.folder / name)
            self._order.append(name)
            self._write_index()

    def empty_trash(self) -> int:
        """Hand the deleted images to the system trash (or remove them where there is none); returns how many."""
        trash = self.folder / TRASH
        files = sorted(trash.glob("*.png")) if trash.is_dir() else []
        for f in files:
            try:
                from send2trash import send2trash
                send2trash(str(f))
            except Exception:  # noqa: BLE001 - no system trash here: the user already confirmed the delete
                f.unlink(missing_ok=True)
        return len(files)

    def export(self, name: str, destination: str | Path) -> Path:
        """Copy an image (with its settings) to a place the user chose."""
        dest = Path(destination)
        if dest.is_dir():
            dest = dest / name
        try:
            shutil.copyfile(self.path(name), dest)
        except OSError as err:
            raise UserError(f"could not export to {dest}: {err.strerror or err}") from None
        return dest

    # --- the index ------------------------------------------------------------------------------
    def _read_index(self) -> tuple[list[str], set[str]]:
        pngs = {p.name for p in self.folder.glob("*.png")}
        try:
            data = json.loads((self.folder / INDEX).read_text())
            order = [n for n in data["order"] if isinstance(n, str) and n in pngs]
            favourites = {n for n in data["favourites"] if isinstance(n, str) and n in pngs}
        except (OSError, ValueError, KeyError, TypeError):
            self.rebuilt = (self.folder / INDEX).exists()
            order, favourites = [], set()
        known = set(order)
        new = sorted((n for n in pngs if n not in known), key=lambda n: (self.folder / n).stat().st_mtime)
        return order + new, favourites

    def _write_index(self) -> None:
        data = json.dumps({"version": 1, "order": self._order, "favourites": sorted(self._favourites)}, indent=1)
        fd, tmp = tempfile.mkstemp(prefix=".index.", suffix=".tmp", dir=self.folder)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.folder / INDEX)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
