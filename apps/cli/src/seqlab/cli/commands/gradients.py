"""`seqlab gradients`: how the gradient of a loss at the last step fades (or grows) back through
time in RNN, LSTM and GRU language models, measured, before and after training."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import typer

from seqlab.cli.console import Output, stdout, styled
from seqlab.cli.errors import EXIT_USAGE, CliError
from seqlab.cli.inputs import DEFAULT_CORPUS, corpus_text
from seqlab.cli.inspect_inputs import load_subject, read_text
from seqlab.cli.loss_display import loss_text
from seqlab.cli.threads import set_threads

CELL_CHOICES = {"rnn": ["rnn"], "lstm": ["lstm"], "gru": ["gru"], "all": ["rnn", "lstm", "gru"]}
STYLES = {"before training": "grey50", "measured": "bold #0072b2"}
SHOWN_STEPS_BACK = (10, 50)


def show(*objects: Any) -> None:
    """Print for a reader: wrapped at the terminal's width (80 columns when piped)."""
    stdout.print(*objects, soft_wrap=False)


def gradients(
    model_path: Path = typer.Argument(None, metavar="MODEL",
                                      help="A language model file (default: small char "
                                      "models of each cell, built and trained here)."),
    cell: str = typer.Option(None, "--cell", help="rnn, lstm, gru or all (default all; only "
                             "without MODEL)."),
    steps: int = typer.Option(100, "--steps", help="Training steps of each small model."),
    length: int = typer.Option(200, "--length", help="Steps back through time to measure."),
    text: str = typer.Option(None, "--text", help="With MODEL: the text to measure on."),
    file: Path = typer.Option(None, "--file", help="With MODEL: read that text from a file."),
    layer: int = typer.Option(None, "--layer", help="With MODEL: the layer whose h_k is "
                              "measured (default: the top one)."),
    exploding: bool = typer.Option(False, "--exploding", help="Also scale the recurrent "
                                   "weights up and show what clipping by norm does."),
    scale: float = typer.Option(4.0, "--scale", help="--exploding: factor on W_hh."),
    max_norm: float = typer.Option(1.0, "--max-norm", help="--exploding: clipping norm."),
    lr: float = typer.Option(0.1, "--lr", help="--exploding: SGD step size."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object; per cell `norms` is "
                                 "||dL/dh_k|| from the last step (index 0) back, "
                                 "`jacobian_norms` the step-Jacobian products' norms and "
                                 "`weight_hh_norms` each step's share of dL/dW_hh."),
    seed: int = typer.Option(0, "--seed", help="Seed of the small models."),
) -> None:
    """Vanishing and exploding gradients, measured: ||dL/dh_k|| of a loss at the last step.

    Example: seqlab gradients --cell all --steps 100 --exploding
    """
    if cell is not None and cell not in CELL_CHOICES:
        raise CliError(f"--cell must be one of {', '.join(CELL_CHOICES)}, got {cell!r}",
                       code=EXIT_USAGE)
    if model_path is None and (text is not None or file is not None):
        raise CliError("--text and --file go with a MODEL; without one the small models are "
                       f"measured on a held-out passage of the '{DEFAULT_CORPUS}' corpus",
                       code=EXIT_USAGE)
    if model_path is None and layer is not None:
        raise CliError("--layer goes with a MODEL; the small models have one layer",
                       code=EXIT_USAGE)
    output = Output(as_json=as_json)
    set_threads(None)
    started = time.perf_counter()
    if model_path is None:
        data, models = _small_models(CELL_CHOICES[cell or "all"], steps, length, seed, output)
    else:
        data, models = _given_model(model_path, cell, length, text, file, layer, output)
    if exploding:
        chosen = models["exploding"]
        data["exploding"] = _exploding(chosen, models["probe"], scale, max_norm, lr,
                                       data["layer"])
        data["exploding"]["model"] = ("the small char RNN as built, before training"
                                      if model_path is None else str(model_path)
                                      + _layer_words(data["layer"], data["layers"]))
        data["exploding"]["layers"] = data["layers"]
    data["seconds"] = round(time.perf_counter() - started, 2)
    if as_json:
        output.result(data)
        return
    _print(data)


def _curve_data(curve) -> dict[str, Any]:
    return {"norms": curve.norms, "vanished_at": curve.vanished_at,
            "jacobian_norms": curve.jacobian_norms, "weight_hh_norms": curve.weight_hh_norms,
            "loss": curve.loss}


def _small_models(cells: list[str], steps: int, length: int, seed: int, output):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels.inspection import compare_cells, small_language_model

    text, _ = corpus_text(None, DEFAULT_CORPUS)
    tokenizer = CharTokenizer.train(text)
    import numpy as np

    ids = np.asarray(tokenizer.encode(text))
    probe, train = ids[-(length + 1):], ids[: -(length + 1)]
    output.info(f"Building small char models ({', '.join(cells)}), measuring, training each "
                f"{steps} steps on the embedded '{DEFAULT_CORPUS}' corpus, measuring again...")
    results = compare_cells(cells, train, probe, tokenizer.vocab_size, steps, seed=seed)
    hidden = results[0].model.hidden_size
    data: dict[str, Any] = {
        "source": f"char language models (1 layer, {hidden} units), loss at the last step of a "
                  f"held-out {length}-step passage of the embedded '{DEFAULT_CORPUS}' corpus",
        "length": length, "steps": steps, "threshold": 1e-6, "layer": 0, "layers": 1,
        "cells": {}}
    for result in results:
        entry = _curve_data(result.trained)
        entry["initial"] = _curve_data(result.initial)
        entry["train_loss"] = {"first": result.losses[0] if result.losses else None,
                               "last": result.losses[-1] if result.losses else None}
        data["cells"][result.cell] = entry
    # a fresh tanh RNN (the same weights the comparison started from): its states are still
    # small, so a scaled-up W_hh makes the gradient grow instead of saturating the units
    fresh = small_language_model("rnn", tokenizer.vocab_size, seed)
    fresh.eval()
    return data, {"probe": probe, "exploding": fresh}


def _given_model(model_path: Path, cell: str | None, length: int, text, file,
                 layer: int | None, output):
    from seqlab.seqmodels.inspection import decay_curve

    subject = load_subject(model_path, output, command="gradients")
    model = subject.model
    if type(model).__name__ != "LanguageModel":
        from seqlab.cli.outputs import model_kind

        raise CliError(f"{model_path} is {model_kind(type(model).__name__)}; gradients "
                       "measures the loss of a language model's next-token prediction")
    if cell not in (None, "all", model.cell):
        raise CliError(f"--cell {cell} does not match {model_path}, a {model.cell} model "
                       "(leave --cell out)", code=EXIT_USAGE)
    layers = model.rnn.num_layers
    if layer is not None and not -layers <= layer < layers:
        raise CliError(f"--layer must be in [{-layers}, {layers - 1}] ({model_path} has "
                       f"{layers} layer{'s' if layers > 1 else ''}; -1 is the last), got {layer}",
                       code=EXIT_USAGE)
    layer = layers - 1 if layer is None else layer % layers  # -1 is the last, as in PyTorch
    content, source = read_text(text, file)
    from seqlab.cli.lm_text import encode_corpus

    ids = encode_corpus(subject.tokenizer, content)  # as `seqlab train` made its ids
    if ids.size < 2:
        raise CliError(f"the text ({source}) gives {ids.size} token(s); give at least 2")
    probe = ids[-(length + 1):]
    model.eval()
    curve = decay_curve(model, probe, layer)
    data = {"source": f"{model_path}, loss at the last step of the last {probe.size - 1} "
                      f"tokens of {source}" + _layer_words(layer, layers),
            "length": int(probe.size - 1), "steps": None, "threshold": 1e-6,
            "layer": layer, "layers": layers, "cells": {model.cell: _curve_data(curve)}}
    return data, {"exploding": model, "probe": probe}


def _layer_words(layer: int, layers: int) -> str:
    """Which layer's h_k a multi-layer model's numbers are of ('' for one layer)."""
    if layers == 1:
        return ""
    return f", h of layer {layer} ({'the top ' if layer == layers - 1 else ''}of {layers})"


def _exploding(model, probe, scale: float, max_norm: float, lr: float,
               layer: int) -> dict[str, Any]:
    from seqlab.seqmodels.inspection import exploding

    result = exploding(model, probe, scale=scale, max_norm=max_norm, lr=lr, layer=layer)
    norms = result.curve.norms
    growth = max(norms) / norms[0] if norms[0] > 0 and all(map(math.isfinite, norms)) else None
    data = {"cell": model.cell, "layer": layer, "scale": scale,
            "spectral_radius": result.spectral_radius,
            "block_spectral_radii": result.block_spectral_radii,
            "norms": norms, "growth": growth, "grad_norm": result.grad_norm,
            "max_norm": max_norm, "lr": lr, "update_norm": result.update_norm,
            "clipped_update_norm": result.clipped_update_norm,
            "loss_before": result.loss_before, "loss_after": result.loss_after,
            "loss_after_clipped": result.loss_after_clipped}
    return _finite(data)


def _finite(value: Any) -> Any:
    """NaN and infinity as None (JSON has no such numbers); the text shows them as '-'."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_finite(item) for item in value]
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    return value


def _vanished(value: int | None, length: int) -> str:
    return f"{value}" if value is not None else f"not within {length}"


def _number(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _ratio(norms: list[float | None], back: int) -> str:
    if back >= len(norms) or norms[0] is None or norms[back] is None or not norms[0] > 0:
        return "-"
    return f"{norms[back] / norms[0]:.1e}"


def _print(data: dict[str, Any]) -> None:
    from seqlab.cli.log_plot import legend, log_panels

    cells = data["cells"]
    length = data["length"]
    show(styled(("||dL/dh_k|| back through time", "bold"), f", {data['source']}."))
    if any("initial" in entry for entry in cells.values()):
        after = f"after {data['steps']} steps"
        STYLES.setdefault(after, STYLES["measured"])
        panels = {name: {"before training": e["initial"]["norms"], after: e["norms"]}
                  for name, e in cells.items()}
        markers = {"before training": ".", after: "#"}
    else:
        panels = {name: {"measured": e["norms"]} for name, e in cells.items()}
        markers = {"measured": "#"}
    show(log_panels(panels, markers, STYLES))
    show(legend(markers))
    trained = any("initial" in entry for entry in cells.values())
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table()
    show(f"Steps back until ||dL/dh_k|| < {data['threshold']:g} x its value at the last step"
         + (" (before / after training)" if trained else "")
         + ", and ||dL/dh_k|| / ||dL/dh_0|| at k = "
         + ", ".join(str(back) for back in SHOWN_STEPS_BACK))
    columns = ["cell"] + (["before", "after"] if trained else ["steps back"])
    columns += [f"k = {back}" for back in SHOWN_STEPS_BACK]
    if trained:
        columns.append("train loss")
    for column in columns:
        table.add_column(column, justify="left" if column == "cell" else "right")
    for name, entry in cells.items():
        row = [name]
        if trained:
            row.append(_vanished(entry["initial"]["vanished_at"], length))
        row.append(_vanished(entry["vanished_at"], length))
        row += [_ratio(entry["norms"], back) for back in SHOWN_STEPS_BACK]
        if trained:
            loss = entry["train_loss"]
            row.append(f"{loss_text(loss['first'])} -> {loss_text(loss['last'])}"
                       if loss["first"] is not None
                       else "-")
        table.add_row(*row)
    show(table)
    if "exploding" in data:
        _print_exploding(data["exploding"])


def _print_exploding(result: dict[str, Any]) -> None:
    from seqlab.cli.log_plot import legend, log_panels

    blocks = result.get("block_spectral_radii") or {}
    # the radius is of layer 0's W_hh (see seqmodels' exploding()), the curve of the layer shown
    of = "layer 0's " if result["layers"] > 1 else ""
    if len(blocks) > 1:  # LSTM / GRU: one H x H block of W_hh per gate
        radius = (f"spectral radius of {of or 'its '}gate blocks "
                  + ", ".join(f"{name} {_number(value, '.2f')}" for name, value in blocks.items()))
    else:
        radius = f"{of}spectral radius {_number(result['spectral_radius'], '.2f')}"
    show(styled("\n", ("Exploding:", "bold"),
                f" {result['model']}, W_hh x {result['scale']:g} ({radius}):"))
    markers = {"scaled": "#"}
    show(log_panels({f"{result['cell']}, W_hh x {result['scale']:g}": {"scaled": result["norms"]}},
                    markers, {"scaled": STYLES["measured"]}))
    show(legend(markers))
    growth = result["growth"]
    show(f"Largest ||dL/dh_k|| is {growth:.1e} x its value at the last step."
                 if growth is not None else "The gradient norms are not all finite.")
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table()
    show(f"One SGD step (lr {result['lr']:g}) on the passage's mean loss")
    for column in ("", "gradient norm", "update norm", "loss before", "loss after"):
        table.add_column(column, justify="left" if not column else "right")
    grad_norm = result["grad_norm"]
    table.add_row("no clipping", _number(grad_norm, ".4g"), _number(result["update_norm"], ".4g"),
                  _number(result["loss_before"], ".4f"), _number(result["loss_after"], ".4f"))
    clipped = None if grad_norm is None else min(grad_norm, result["max_norm"])
    table.add_row(f"clipped to norm {result['max_norm']:g}", _number(clipped, ".4g"),
                  _number(result["clipped_update_norm"], ".4g"),
                  _number(result["loss_before"], ".4f"),
                  _number(result["loss_after_clipped"], ".4f"))
    show(table)
