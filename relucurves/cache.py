"""On-disk cache of trained models: one file per (spec, data) key, written atomically.

A reader sees either a whole entry or none. A damaged entry is reported with a
:class:`CorruptCacheWarning`, deleted, and treated as a miss, so it is retrained.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: one process per cache folder is assumed there
    fcntl = None

from relucurves import mlp as mlp_io
from relucurves.mlp import ModelFileError, ReluMLP

CACHE_DIR_ENV = "RELUCURVES_CACHE_DIR"
STALE_TEMP_SECONDS = 3600  # a temp file this old was left by a writer that died
MAX_CACHE_BYTES = 2 * 2**30  # visitors cannot fill the disk: least recently used go first


class CacheError(OSError):
    """The cache folder cannot be created or written."""


class CorruptCacheWarning(UserWarning):
    """A cache entry was unreadable and has been discarded."""


def entry_key(**parts: Any) -> str:
    """A cache key from everything that determines a model's weights."""
    blob = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def default_cache_dir() -> Path:
    """RELUCURVES_CACHE_DIR, else the per-user cache folder of the platform."""
    if os.environ.get(CACHE_DIR_ENV):
        return Path(os.environ[CACHE_DIR_ENV])
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "relucurves" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "relucurves"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "relucurves"


class ModelCache:
    def __init__(self, folder: str | Path | None = None, max_bytes: int = MAX_CACHE_BYTES) -> None:
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.max_bytes = max_bytes
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(
                f"cannot create the model cache folder {self.folder}: {exc.strerror}; "
                f"set {CACHE_DIR_ENV} to a writable folder"
            ) from exc
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise CacheError(
                f"the model cache folder {self.folder} is not writable; "
                f"set {CACHE_DIR_ENV} to a writable folder"
            )
        self._remove_stale_temp_files()

    def _remove_stale_temp_files(self) -> None:
        """Temp files of writers that were killed mid-write; never read, only cleaned up."""
        cutoff = time.time() - STALE_TEMP_SECONDS
        for tmp in self.folder.glob(".*.tmp"):
            with contextlib.suppress(OSError):
                if tmp.stat().st_mtime < cutoff:
                    tmp.unlink()

    @contextlib.contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the entry's lock file, so one key is trained once across processes."""
        if fcntl is None:
            yield
            return
        with open(self.folder / f".{key}.lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"

    def get(self, key: str) -> ReluMLP | None:
        """The cached model, or None when absent or damaged (then the file is removed)."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            model = mlp_io.load(path)
            if model.meta.get("cache_key") != key:
                raise ModelFileError(f"{path} holds the entry for another key")
        except ModelFileError as exc:
            warnings.warn(f"discarding damaged cache entry: {exc}", CorruptCacheWarning, 2)
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: evicted last
        return model

    def put(self, key: str, model: ReluMLP) -> Path:
        """Write through a temporary file in the same folder, then rename over the entry."""
        model.meta["cache_key"] = key
        payload = mlp_io.to_bytes(model)
        path = self.path(key)
        try:
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
        except OSError as exc:
            raise CacheError(
                f"cannot write in the model cache folder {self.folder}: {exc}"
            ) from exc
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException as exc:  # also on KeyboardInterrupt: never leave a partial file
            Path(tmp).unlink(missing_ok=True)
            if isinstance(exc, OSError):
                raise CacheError(f"cannot write cache entry {path}: {exc}") from exc
            raise
        self._evict(keep=path)
        return path

    def _evict(self, keep: Path) -> None:
        """Drop the least recently used entries until the folder fits in ``max_bytes``."""
        entries = []
        for entry in self.folder.glob("*.npz"):
            with contextlib.suppress(OSError):
                stat = entry.stat()
                entries.append((stat.st_mtime, stat.st_size, entry))
        total = sum(size for _, size, _ in entries)
        for _, size, entry in sorted(entries):
            if total <= self.max_bytes:
                break
            if entry != keep:
                entry.unlink(missing_ok=True)
                total -= size

    def get_or_make(self, key: str, make: Callable[[], ReluMLP]) -> tuple[ReluMLP, bool]:
        """The entry, or ``make()``'s model stored under it; and whether it was cached.

        Re-checked under the entry's lock, so two processes asking at once make it once.
        """
        model = self.get(key)
        if model is not None:
            return model, True
        with self.lock(key):
            model = self.get(key)
            if model is not None:
                return model, True
            model = make()
            self.put(key, model)
        return model, False
