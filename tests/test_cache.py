"""The on-disk model cache: hits never retrain, writes are atomic, damage is recovered."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from relucurves import training
from relucurves.cache import CacheError, CorruptCacheWarning, ModelCache, default_cache_dir
from relucurves.models import ModelSpec

TINY = ModelSpec(hidden=(8,), epochs=1, batch_size=1024, seed=3)


@pytest.fixture
def counting_train(monkeypatch):
    """The real training, counted."""
    calls = []
    real = training.train

    def train(spec, data, progress=None):
        calls.append(spec)
        return real(spec, data, progress)

    monkeypatch.setattr(training, "train", train)
    return calls


def test_second_request_is_a_cache_hit_without_training(tmp_path, fashion, counting_train):
    cache = ModelCache(tmp_path)
    first, from_cache_1 = training.get_or_train(TINY, fashion, cache)
    second, from_cache_2 = training.get_or_train(TINY, fashion, ModelCache(tmp_path))
    assert (from_cache_1, from_cache_2) == (False, True)
    assert counting_train == [TINY]
    assert second.weights_sha256() == first.weights_sha256()
    assert second.meta["test_accuracy"] == first.meta["test_accuracy"] > 0.5
    assert [p.name for p in tmp_path.glob("*.npz")] == [f"{TINY.key(fashion.sha256)}.npz"]


def test_progress_callback_sees_every_batch(tmp_path, fashion):
    seen = []
    training.train(TINY, fashion, progress=lambda e, b, logs: seen.append((e, b, logs)))
    assert [b for _, b, _ in seen] == list(range(59))  # ceil(60000 / 1024) batches
    assert {e for e, _, _ in seen} == {0}
    assert {"loss", "accuracy"} <= set(seen[-1][2])


def test_same_seed_gives_the_same_weights(fashion):
    a = training.train(TINY, fashion)
    b = training.train(TINY, fashion)
    assert a.weights_sha256() == b.weights_sha256()


@pytest.fixture
def entry(tmp_path, keras_depth1):
    cache = ModelCache(tmp_path)
    _, model = keras_depth1
    cache.put("k1", model)
    return cache, model


def test_failed_write_leaves_old_entry_and_no_temp_file(entry, monkeypatch):
    cache, model = entry
    before = cache.path("k1").read_bytes()

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(CacheError, match="cannot write cache entry"):
        cache.put("k1", model)
    assert cache.path("k1").read_bytes() == before
    assert [p.name for p in cache.folder.iterdir()] == ["k1.npz"]


def test_interrupted_write_leaves_no_temp_file(entry, monkeypatch):
    cache, model = entry

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        cache.put("k2", model)
    assert [p.name for p in cache.folder.iterdir()] == ["k1.npz"]


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 3],
        lambda raw: b"",
        lambda raw: raw[:100] + bytes(len(raw) - 100),
    ],
    ids=["truncated", "empty", "zeroed"],
)
def test_corrupt_entry_is_reported_removed_and_retrained(tmp_path, fashion, damage, counting_train):
    cache = ModelCache(tmp_path)
    model, _ = training.get_or_train(TINY, fashion, cache)
    path = cache.path(TINY.key(fashion.sha256))
    path.write_bytes(damage(path.read_bytes()))
    with pytest.warns(CorruptCacheWarning, match="damaged cache entry"):
        again, from_cache = training.get_or_train(TINY, fashion, cache)
    assert not from_cache and len(counting_train) == 2
    assert again.weights_sha256() == model.weights_sha256()
    assert cache.get(TINY.key(fashion.sha256)) is not None


def test_entry_under_the_wrong_key_is_not_used(entry):
    cache, _ = entry
    os.replace(cache.path("k1"), cache.path("k9"))
    with pytest.warns(CorruptCacheWarning, match="another key"):
        assert cache.get("k9") is None


def test_unusable_cache_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match="RELUCURVES_CACHE_DIR"):
        ModelCache(blocker / "cache")


def test_cache_folder_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("RELUCURVES_CACHE_DIR", str(tmp_path / "c"))
    assert default_cache_dir() == tmp_path / "c"
    assert ModelCache().folder.is_dir()
    monkeypatch.delenv("RELUCURVES_CACHE_DIR")
    assert default_cache_dir().name == "relucurves"


def test_two_sessions_asking_at_once_train_once(tmp_path, fashion, counting_train):
    results = []

    def ask():
        results.append(training.get_or_train(TINY, fashion, ModelCache(tmp_path)))

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(counting_train) == 1
    assert sorted(from_cache for _, from_cache in results) == [False, True, True]
    assert len({model.weights_sha256() for model, _ in results}) == 1


KILLED_WRITER = """
import os, signal, sys
from relucurves import mlp, cache
model = mlp.load(sys.argv[2])
where = sys.argv[3]
if where == "mid-write":
    real_fdopen = os.fdopen
    class Dying:
        def __init__(self, f): self.f = f
        def __enter__(self): return self
        def __exit__(self, *a): pass
        def write(self, data):
            self.f.write(data[: len(data) // 2]); self.f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
    os.fdopen = lambda fd, mode: Dying(real_fdopen(fd, mode))
else:
    os.replace = lambda src, dst: os.kill(os.getpid(), signal.SIGKILL)
cache.ModelCache(sys.argv[1]).put("k1", model)
"""


@pytest.mark.parametrize("where", ["mid-write", "before-rename"])
def test_writer_killed_mid_write_leaves_the_old_entry_usable(entry, tmp_path, where):
    cache, model = entry
    before = cache.path("k1").read_bytes()
    source = tmp_path / "source.npz"
    source.write_bytes(before)
    proc = subprocess.run(
        [sys.executable, "-c", KILLED_WRITER, str(cache.folder), str(source), where],
        capture_output=True,
    )
    assert proc.returncode == -signal.SIGKILL
    leftovers = list(cache.folder.glob(".k1.*.tmp"))
    assert len(leftovers) == 1  # the dead writer's temp file, never read
    assert cache.path("k1").read_bytes() == before
    assert cache.get("k1").weights_sha256() == model.weights_sha256()
    old = time.time() - 2 * 3600
    os.utime(leftovers[0], (old, old))
    ModelCache(cache.folder)  # the next run cleans up by itself
    assert not list(cache.folder.glob("*.tmp"))


def test_cache_keeps_to_its_size_by_dropping_the_least_recently_used(tmp_path, keras_depth1):
    _, model = keras_depth1
    cache = ModelCache(tmp_path)
    for k, key in enumerate(["a", "b"]):
        cache.put(key, model)
        os.utime(cache.path(key), (1000 + k, 1000 + k))  # a older than b
    cache.max_bytes = int(2.5 * cache.path("a").stat().st_size)
    assert cache.get("a") is not None  # a is used again: now the most recent
    cache.put("c", model)
    assert sorted(p.stem for p in tmp_path.glob("*.npz")) == ["a", "c"]
