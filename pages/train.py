"""Train: fit any spec on Fashion-MNIST (cached on disk), then explore it."""

import time

import streamlit as st

from relucurves import ui
from relucurves.models import MAX_DEPTH, MAX_EPOCHS, MAX_WIDTH, ModelSpec, SpecError

ui.context()  # shows warnings about the link, if any
st.title("Train a model")
st.caption(
    "Flatten(28x28) -> Dense(w, relu) x depth -> Dense(10), Adam with Keras defaults, "
    "cross-entropy on the logits. A spec that was trained before comes from the disk "
    "cache at once; a new one trains here on the CPU."
)
if "trained" in st.session_state:
    st.success(st.session_state.pop("trained"), icon=":material/check_circle:")
    st.page_link(
        "pages/curves.py", label="Explore it on the Curves page", icon=":material/show_chart:"
    )
data, data_error = ui.dataset()
if data is None:
    st.error(f"Training needs Fashion-MNIST. {data_error}", icon=":material/cloud_off:")
    st.info("The other pages keep working on the embedded default model.")
    st.stop()

with st.form("train"):
    widths_text = st.text_input(
        "Hidden layer widths",
        "128",
        key="train_widths",
        help=f"1 to {MAX_DEPTH} widths from 1 to {MAX_WIDTH}, separated by commas: 256, 128",
    )
    left, middle, right = st.columns(3)
    epochs = left.number_input("Epochs", 1, MAX_EPOCHS, 5, key="train_epochs")
    seed = middle.number_input("Seed", 0, 2**31 - 1, 0, key="train_seed")
    batch_size = right.selectbox("Batch size", [32, 64, 128, 256, 512], key="train_batch")
    submitted = st.form_submit_button(
        "Train", type="primary", icon=":material/play_arrow:", key="train_submit"
    )


def parse_spec() -> ModelSpec | None:
    try:
        widths = tuple(int(w) for w in widths_text.replace(" ", "").split(",") if w)
        return ModelSpec(widths, int(epochs), int(batch_size), int(seed))
    except ValueError as exc:  # int() failures and SpecError alike
        reason = exc if isinstance(exc, SpecError) else "widths must be whole numbers"
        st.error(f"Cannot train {widths_text!r}: {reason}.", icon=":material/error:")
        return None


spec = parse_spec() if submitted else None
if spec is not None and spec.training_cost() > ui.training_budget():
    st.error(
        f"{spec.label()} would cost {spec.training_cost():,} parameter-epochs; this server "
        f"trains at most {ui.training_budget():,} per request. Use fewer units or epochs, or "
        "train it on your own machine and upload the .keras file.",
        icon=":material/block:",
    )
    spec = None
if spec is not None:
    bar = st.progress(0.0, text="Waiting for the trainer…")
    steps = -(-len(data.x_train) // spec.batch_size)
    last = [0.0]

    def progress(epoch: int, batch: int, logs: dict[str, float]) -> None:
        now = time.monotonic()
        if now - last[0] < 0.25 and batch + 1 < steps:  # a few updates a second is plenty
            return
        last[0] = now
        done = (epoch * steps + batch + 1) / (spec.epochs * steps)
        bar.progress(
            min(done, 1.0),
            text=f"Epoch {epoch + 1}/{spec.epochs}, batch {batch + 1}/{steps}: "
            f"loss {logs.get('loss', float('nan')):.4f}, "
            f"accuracy {logs.get('accuracy', float('nan')):.4f}",
        )

    try:
        model, from_cache = ui.train(spec, data, progress)
    except Exception as exc:  # the page is the boundary: any failure becomes a message
        bar.empty()
        st.error(f"Training failed: {exc}", icon=":material/error:")
    else:
        meta = model.meta
        st.session_state["trained"] = (
            f"Now exploring {spec.label()}: train accuracy {meta['train_accuracy']:.4f}, "
            f"test accuracy {meta['test_accuracy']:.4f}"
            + (
                " (from the cache)."
                if from_cache
                else f", trained in {meta['training_seconds']:.0f} s."
            )
        )
        st.session_state.setdefault("models", []).append(spec.token())
        ui.set_view(model=spec.token())
        st.rerun()
