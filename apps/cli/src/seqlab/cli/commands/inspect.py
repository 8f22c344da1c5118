"""`seqlab inspect`: a text coloured by one unit's activation, the units that best track simple
properties of the text, and gate saturation per layer."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from seqlab.cli.console import Output, stdout, styled
from seqlab.cli.errors import EXIT_USAGE, CliError
from seqlab.cli.inspect_inputs import (
    DEFAULT_STEPS,
    MAX_TOKENS,
    load_subject,
    read_text,
    token_pieces,
)
from seqlab.cli.outputs import HTML_PAGE, check_output, force_option
from seqlab.cli.threads import THREADS_HELP, set_threads

if TYPE_CHECKING:
    import numpy as np


def show(*objects: Any) -> None:
    """Print for a reader: wrapped at the terminal's width (80 columns when piped)."""
    stdout.print(*objects, soft_wrap=False)


def inspect(
    model_path: Path = typer.Argument(None, metavar="MODEL",
                                      help="A model file (default: train a small char LSTM "
                                      "on the embedded corpus for a few seconds)."),
    text: str = typer.Option(None, "--text", help="The text to run the model on."),
    file: Path = typer.Option(None, "--file", help="Read the text from this UTF-8 file (- for "
                              "standard input)."),
    max_tokens: int = typer.Option(None, "--max-tokens", min=1, max=MAX_TOKENS,
                                   help=f"Read only the text's first N tokens (at most "
                                   f"{MAX_TOKENS:,}; a longer text is refused without it)."),
    layer: int = typer.Option(None, "--layer", help="Layer to show (default: the best unit's)."),
    unit: int = typer.Option(None, "--unit", help="Unit to colour by (default: the most "
                             "interpretable unit of the layer)."),
    gate: str = typer.Option(None, "--gate", help="Colour by this gate of the unit "
                             "(LSTM i f g o, GRU r z n) instead of its state."),
    state: str = typer.Option(None, "--state", help="hidden or cell (LSTM) state to colour by."),
    top: int = typer.Option(2, "--top", help="Interpretable units to list per property."),
    html_out: Path = typer.Option(None, "--html", help="Also write a self-contained HTML page "
                                  "where every unit can be selected."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object: the shown values, "
                                 "unit scores, saturation and array summaries."),
    steps: int = typer.Option(DEFAULT_STEPS, "--train-steps",
                              help="Training steps of the default model (no MODEL)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the default model."),
    threads: int = typer.Option(None, "--threads", help=THREADS_HELP),
    force: bool = force_option(),
) -> None:
    """See inside a recurrent model: states and gates of every unit over your text.

    Example: seqlab inspect model.safetensors --file chapter.txt --html units.html
    """
    from seqlab.cli.activation_view import unit_direction
    from seqlab.seqmodels.inspection import (
        interpretable_units,
        record,
        saturation,
        text_properties,
    )

    if gate is not None and state is not None:
        raise CliError("give --gate or --state, not both", code=EXIT_USAGE)
    if html_out is not None:
        check_output(html_out, HTML_PAGE, [model_path, file], force=force, option="--html")
    output = Output(as_json=as_json)
    set_threads(threads)
    content, source = read_text(text, file)
    subject = load_subject(model_path, output, steps, seed)
    ids, pieces, total = token_pieces(subject, content, output, max_tokens)
    if ids.size < total:
        output.info(f"Reading the first {ids.size:,} of the text's {total:,} tokens "
                    "(--max-tokens).")
    subject.model.eval()
    recording = record(subject.model, ids)
    # with --layer, the units listed and the one coloured by default are that layer's best
    units = interpretable_units(recording, text_properties(pieces), top=top, per_property=True,
                                layer=layer if layer is not None and
                                0 <= layer < len(recording.layers) else None)
    choice = _choose(recording, units, layer, unit, gate, state)
    choice |= unit_direction(recording.layers[choice["layer"]], choice["unit"])
    values = recording.layers[choice["layer"]].series(choice["series"])[:, 0, choice["unit"]]
    saturations = saturation(recording)
    data = _summary(subject, source, pieces, recording, choice, values, units, saturations,
                    layer)
    if html_out is not None:
        _write_html(html_out, pieces, recording, choice, values, units, subject.description)
        output.info(f"HTML page written to {html_out}")
    if as_json:
        output.result(data)
        return
    _print(data, pieces, values, _scale(recording, choice, values), recording)


def _choose(recording, units, layer: int | None, unit: int | None, gate: str | None,
            state: str | None) -> dict[str, Any]:
    """Layer, quantity and unit to show, from the options or the most interpretable unit."""
    kind = recording.kind
    layers = len(recording.layers)
    if layer is not None and not -layers <= layer < layers:
        raise CliError(f"--layer must be in [{-layers}, {layers - 1}] (the model has {layers} "
                       f"layer{'s' if layers > 1 else ''}; -1 is the last), got {layer}",
                       code=EXIT_USAGE)
    if layer is not None:
        layer %= layers  # -1 is the last layer, as a PyTorch or Keras index is
    if gate is not None and gate not in kind.gate_names:
        names = " ".join(kind.gate_names)
        raise CliError(f"--gate must be one of the {kind.title} gates ({names}), got {gate!r}"
                       if names else f"--gate: an {kind.title} has no gates (use --state "
                       "hidden)", code=EXIT_USAGE)
    if state is not None and state not in kind.state_names:
        raise CliError(f"--state must be one of {', '.join(kind.state_names)}, got {state!r}",
                       code=EXIT_USAGE)
    best = next((u for u in units if layer is None or u.layer == layer), None)
    chosen_layer = layer if layer is not None else (best.layer if best else layers - 1)
    record = recording.layers[chosen_layer]
    if unit is not None and not -record.units <= unit < record.units:
        raise CliError(f"--unit must be in [{-record.units}, {record.units - 1}] (layer "
                       f"{chosen_layer} has {record.units} units; -1 is the last), got {unit}",
                       code=EXIT_USAGE)
    if unit is not None:
        unit %= record.units
    series = gate or state or (best.state if best and unit is None else "hidden")
    if unit is None:
        same = [u for u in units if u.layer == chosen_layer and u.state == series]
        chosen_unit = same[0].unit if same else (best.unit if best and best.layer ==
                                                 chosen_layer else 0)
    else:
        chosen_unit = unit
    return {"layer": chosen_layer, "series": series, "unit": int(chosen_unit)}


def _scale(recording, choice, values):
    from seqlab.cli.activation_view import scale_for

    series = recording.layers[choice["layer"]].series(choice["series"])
    return scale_for(choice["series"], series, recording.kind)


def _stats(array: np.ndarray) -> dict[str, Any]:
    return {"shape": list(array.shape), "mean": float(array.mean()), "std": float(array.std()),
            "min": float(array.min()), "max": float(array.max())}


def _summary(subject, source, pieces, recording, choice, values, units, saturations,
             units_layer: int | None):
    model = subject.model
    config = getattr(model, "config", {})
    return {
        "model": subject.description, "config": config, "text_source": source,
        "tokens": pieces, "shown": {**choice, "values": [float(v) for v in values]},
        "units_of_layer": units_layer,
        "interpretable_units": [
            {"layer": u.layer, "state": u.state, "unit": u.unit, "property": u.property,
             "correlation": round(u.correlation, 4),
             "direction": recording.layers[u.layer].direction_of(u.unit)[0]} for u in units],
        "saturation": [
            {"layer": s.layer, "gate": s.gate, "left": round(s.mean_left, 4),
             "right": round(s.mean_right, 4), "units_mostly_left": s.mostly("left"),
             "units_mostly_right": s.mostly("right")} for s in saturations],
        "arrays": [{name: _stats(layer.series(name)) for name in layer.series_names}
                   for layer in recording.layers],
    }


def _print(data: dict[str, Any], pieces: list[str], values: np.ndarray, scale,
           recording) -> None:
    from seqlab.cli.activation_view import coloured_text, direction_note, legend

    shown = data["shown"]
    show(styled((str(data["model"]), "bold"),
                f": {len(pieces)} tokens from {data['text_source']}."))
    note = direction_note(recording.layers[shown["layer"]], shown["unit"])
    show(f"Layer {shown['layer']}, unit {shown['unit']}{note}, {shown['series']}:")
    show(coloured_text(pieces, values, scale))
    show(legend(scale))
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table()
    of_layer = "" if data["units_of_layer"] is None else f" of layer {data['units_of_layer']}"
    show(f"Most interpretable units{of_layer} (Pearson r with a property of the text)")
    two_ways = any(layer.directions > 1 for layer in recording.layers)
    columns = ("layer", "state", "unit", *(("direction",) if two_ways else ()), "tracks", "r")
    for column in columns:
        table.add_column(column, justify="right" if column in ("layer", "unit", "r") else "left")
    for u in data["interpretable_units"]:
        table.add_row(str(u["layer"]), u["state"], str(u["unit"]),
                      *((u["direction"],) if two_ways else ()), u["property"],
                      f"{u['correlation']:+.4f}")
    if data["interpretable_units"]:
        show(table)
    else:
        show("No property of the text varies, so no unit is scored.")
    if not data["saturation"]:
        show("This model's cell has no gates: no saturation to show.")
        return
    from rich.table import Table  # when drawn: ~1.3 MB with decimal

    table = Table()
    show("Gate saturation (share of steps: left < 10% of the gate's range, right > 90%)")
    for column in ("layer", "gate", "left", "right", "units >50% left", "units >50% right"):
        table.add_column(column, justify="left" if column == "gate" else "right")
    for s in data["saturation"]:
        table.add_row(str(s["layer"]), s["gate"], f"{s['left']:.4f}", f"{s['right']:.4f}",
                      str(s["units_mostly_left"]), str(s["units_mostly_right"]))
    show(table)


def _write_html(path: Path, pieces, recording, choice, values, units, title: str) -> None:
    from seqlab.cli.activation_view import direction_note, scale_for
    from seqlab.cli.inspect_html import page, write_page

    layers = []
    for record in recording.layers:
        series = {}
        for name in record.series_names:
            array = record.series(name)[:, 0, :]
            scale = scale_for(name, array, recording.kind)
            # one palette class per token and unit, as a digit: the page stays small
            classes = scale.classes(array.T)
            series[name] = {"low": scale.low, "high": scale.high,
                            "classes": ["".join(map(str, row)) for row in classes]}
        layers.append({"units": record.units, "directions": record.directions,
                       "hidden_size": record.hidden_size, "series": series})
    top = [{"layer": u.layer, "state": u.state, "unit": u.unit, "property": u.property,
            "correlation": u.correlation,
            "note": direction_note(recording.layers[u.layer], u.unit)} for u in units]
    caption = (f"layer {choice['layer']}, {choice['series']}, unit {choice['unit']}"
               + direction_note(recording.layers[choice["layer"]], choice["unit"]))
    content = page(pieces, layers, choice, values, _scale(recording, choice, values), top,
                   f"seqlab inspect: {title}", caption)
    write_page(path, content)
