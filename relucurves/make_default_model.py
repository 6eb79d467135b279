"""Regenerate the embedded default model: ``uv run python -m relucurves.make_default_model``.

Trains the seed spec (128 relu units, 5 epochs, seed 0) on the real Fashion-MNIST and
writes relucurves/default_model.npz. With ``--check`` it trains a second time and
verifies both runs give the same bytes.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from relucurves import mlp as mlp_io
from relucurves.data import load_fashion_mnist
from relucurves.models import DEFAULT_MODEL_FILE, ModelSpec
from relucurves.training import train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="train twice and compare bytes")
    args = parser.parse_args()
    data = load_fashion_mnist()
    model = train(ModelSpec(), data)
    model.meta.pop("training_seconds")  # the only field that differs between equal runs
    payload = mlp_io.to_bytes(model)
    if args.check:
        again = train(ModelSpec(), data)
        again.meta.pop("training_seconds")
        same = mlp_io.to_bytes(again) == payload
        print("second training gives the same bytes:", same)
        if not same:
            raise SystemExit(1)
    target = Path(str(resources.files("relucurves").joinpath(DEFAULT_MODEL_FILE)))
    target.write_bytes(payload)
    meta = model.meta
    print(f"wrote {target} ({len(payload)} bytes), weights sha256 {meta['weights_sha256']}")
    print(f"train accuracy {meta['train_accuracy']:.4f}, test accuracy {meta['test_accuracy']:.4f}")


if __name__ == "__main__":
    main()
