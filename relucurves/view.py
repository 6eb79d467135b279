"""The view a user is looking at, and its round trip through URL query parameters.

A shared link must reproduce the view, and a hostile link must never break the app:
every parameter is parsed strictly, and anything wrong falls back to its default with
a warning that says what was ignored.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace

from relucurves.baselines import BASELINE_KINDS
from relucurves.data import CLASS_NAMES, SPLITS
from relucurves.models import MAX_DEPTH, ModelSpec, SpecError

SPLIT_SIZES = {"train": 60000, "test": 10000}
PLOTS = tuple(f"hidden{k}" for k in range(1, MAX_DEPTH + 1)) + ("logits", "probs")
MAX_ABS_RANGE = 1e6
MAX_PARAM_LENGTH = 64
DEFAULT_MODEL = "default"
UPLOAD_PREFIX = "upload:"  # + 12 hex digits of the file's sha256; session-only models
_UPLOAD_TOKEN = re.compile(r"upload:[0-9a-f]{12}")
STREAMLIT_PARAMS = {"embed", "embed_options"}  # Streamlit's own, never ours to warn about


@dataclass(frozen=True)
class View:
    model: str = DEFAULT_MODEL  # "default", or a ModelSpec token
    baseline: str = "mean"
    split: str = "test"
    index: int = 0
    label: int = 0
    lo: float = 0.0
    hi: float = 1.0
    row: int = 14
    col: int = 14
    plot: str = "hidden1"

    @property
    def pixel(self) -> int:
        """Flat, row-major index of the swept pixel."""
        return self.row * 28 + self.col

    def baseline_key(self) -> tuple:
        """Only the fields that matter for the chosen kind, so caches are not split needlessly."""
        if self.baseline == "sample":
            return ("sample", self.split, self.index)
        if self.baseline == "class":
            return ("class", self.label)
        return (self.baseline,)


def _int(text: str, lo: int, hi: int) -> int:
    if not text.isascii() or not text.lstrip("-").isdigit() or not lo <= int(text) <= hi:
        raise ValueError(f"must be a whole number from {lo} to {hi}")
    return int(text)


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > MAX_ABS_RANGE:
        raise ValueError(f"must be a finite number within ±{MAX_ABS_RANGE:g}")
    return value


def _choice(options: tuple[str, ...]):
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"must be one of {', '.join(options)}")
        return text

    return parse


def _model(text: str) -> str:
    if text != DEFAULT_MODEL and not _UPLOAD_TOKEN.fullmatch(text):
        try:
            ModelSpec.from_token(text)
        except SpecError as exc:
            raise ValueError(str(exc)) from exc
    return text


_PARSERS = {
    "model": _model,
    "baseline": _choice(BASELINE_KINDS),
    "split": _choice(SPLITS),
    "index": lambda t: _int(t, 0, max(SPLIT_SIZES.values()) - 1),
    "label": lambda t: _int(t, 0, len(CLASS_NAMES) - 1),
    "lo": _float,
    "hi": _float,
    "row": lambda t: _int(t, 0, 27),
    "col": lambda t: _int(t, 0, 27),
    "plot": _choice(PLOTS),
}


def from_query(params: Mapping[str, str | list[str]]) -> tuple[View, list[str]]:
    """Parse query parameters into a view plus one warning per ignored parameter."""
    values: dict[str, object] = {}
    warnings: list[str] = []
    for name, parse in _PARSERS.items():
        raw = params.get(name)
        if raw is None:
            continue
        text = raw[-1] if isinstance(raw, list) else raw
        if len(text) > MAX_PARAM_LENGTH:
            warnings.append(f"URL parameter {name!r} is too long; ignored.")
            continue
        try:
            values[name] = parse(text.strip())
        except ValueError as exc:
            warnings.append(f"URL parameter {name}={text!r} ignored: {exc}.")
    view = View(**values)
    if view.lo >= view.hi:
        warnings.append(f"URL range lo={view.lo:g} >= hi={view.hi:g} ignored; using 0..1.")
        view = replace(view, lo=View.lo, hi=View.hi)
    if view.index >= SPLIT_SIZES[view.split]:
        limit = SPLIT_SIZES[view.split] - 1
        warnings.append(f"URL index {view.index} is past the {view.split} split (0..{limit}).")
        view = replace(view, index=0)
    unknown = sorted(set(params) - set(_PARSERS) - STREAMLIT_PARAMS)
    if unknown:
        shown = ", ".join(repr(n[:20]) for n in unknown[:5])
        warnings.append(f"Unknown URL parameters ignored: {shown}.")
    return view, warnings


def to_query(view: View) -> dict[str, str]:
    """The parameters that differ from the defaults, so a default view has a clean URL."""
    default = asdict(View())
    out = {}
    for f in fields(View):
        value = getattr(view, f.name)
        if value != default[f.name]:
            out[f.name] = f"{value:.12g}" if isinstance(value, float) else str(value)
    return out
