"""`seqlab inspect --html`: one self-contained page (no network, no external script or font).

Every token is one `<span>` in a pre-wrapped block, coloured for the chosen unit when the page is
written (so it reads without JavaScript); an inline script re-colours the spans when another
layer, quantity or unit is chosen. The values travel in an inline JSON block.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.autograd.atomic import atomic_write
from seqlab.cli import json_text
from seqlab.cli.activation_view import DARK, PALETTE, Scale

STYLE = """
body { font-family: sans-serif; margin: 1.5em; max-width: 60em; color: #222; }
#text { font-family: monospace; white-space: pre-wrap; line-height: 1.7; font-size: 15px;
        border: 1px solid #ccc; padding: 0.8em; }
#text span { border-radius: 2px; }
.legend span.swatch { display: inline-block; width: 2em; height: 1em; vertical-align: middle; }
table { border-collapse: collapse; margin-top: 1em; }
td, th { padding: 0.15em 0.8em; text-align: right; border-bottom: 1px solid #eee; }
button.unit { margin: 0.1em; font-family: monospace; }
"""

SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById("data").textContent);
  var palette = data.palette, dark = data.dark;
  var spans = document.querySelectorAll("#text span");
  var layerBox = document.getElementById("layer"), seriesBox = document.getElementById("series");
  var unitBox = document.getElementById("unit"), note = document.getElementById("note");
  function fillSeries() {
    var names = Object.keys(data.layers[+layerBox.value].series);
    var keep = seriesBox.value;
    seriesBox.innerHTML = "";
    names.forEach(function (name) {
      var option = document.createElement("option");
      option.value = name; option.textContent = name; seriesBox.appendChild(option);
    });
    if (names.indexOf(keep) >= 0) { seriesBox.value = keep; }
    unitBox.max = data.layers[+layerBox.value].units - 1;
  }
  // a bidirectional layer's units H..2H-1 run backwards; PyTorch names their weights *_reverse
  function directionNote(index, layer, unit) {
    if (layer.directions < 2) { return ""; }
    var reverse = unit >= layer.hidden_size;
    return " (" + (reverse ? "reverse" : "forward") + " direction, its unit " +
      (unit % layer.hidden_size) + ": weights *_l" + index + (reverse ? "_reverse" : "") + ")";
  }
  function paint() {
    var layer = data.layers[+layerBox.value];
    var series = layer.series[seriesBox.value];
    var unit = Math.max(0, Math.min(layer.units - 1, +unitBox.value || 0));
    var classes = series.classes[unit], low = series.low, high = series.high;
    var width = (high - low) / palette.length;
    for (var i = 0; i < spans.length; i++) {
      var k = +classes.charAt(i);
      spans[i].style.background = palette[k];
      spans[i].style.color = dark.indexOf(k) >= 0 ? "#fff" : "#000";
      spans[i].title = seriesBox.value + " in [" + (low + k * width).toPrecision(3) + ", " +
        (low + (k + 1) * width).toPrecision(3) + "]";
    }
    note.textContent = "layer " + layerBox.value + ", " + seriesBox.value + ", unit " + unit +
      directionNote(+layerBox.value, layer, unit) + " (scale " + low + " to " + high + ")";
  }
  layerBox.addEventListener("change", function () { fillSeries(); paint(); });
  seriesBox.addEventListener("change", paint);
  unitBox.addEventListener("input", paint);
  document.querySelectorAll("button.unit").forEach(function (button) {
    button.addEventListener("click", function () {
      layerBox.value = button.dataset.layer; fillSeries();
      seriesBox.value = button.dataset.series; unitBox.value = button.dataset.unit; paint();
    });
  });
  fillSeries(); seriesBox.value = data.selected.series; paint();
})();
"""


def _json_for_script(value: Any) -> str:
    # "</" would end the script element early
    return json_text.dumps(value, separators=(",", ":")).replace("</", "<\\/")


def page(pieces: list[str], layers: list[dict[str, Any]], selected: dict[str, Any],
         values: np.ndarray, scale: Scale, top_units: list[dict[str, Any]], title: str,
         caption: str = "") -> str:
    """The page. `layers`: per layer {"units": U, "directions": D, "hidden_size": H,
    "series": {name: {"low", "high", "classes": U strings of T palette-class digits}}};
    `values`/`scale`: the selected series, painted in advance; `caption`: what is shown, until
    the script writes it."""
    classes = scale.classes(values)
    spans = []
    for piece, palette_class in zip(pieces, classes, strict=True):
        colour = "#fff" if palette_class in DARK else "#000"
        spans.append(f'<span style="background:{PALETTE[palette_class]};color:{colour}">'
                     f"{html.escape(piece)}</span>")
    layer_options = "".join(
        f'<option value="{index}"{" selected" if index == selected["layer"] else ""}>'
        f"{index}</option>" for index in range(len(layers)))
    buttons = "".join(
        f'<button class="unit" data-layer="{u["layer"]}" data-series="{u["state"]}" '
        f'data-unit="{u["unit"]}">layer {u["layer"]} {u["state"]} {u["unit"]}'
        f'{html.escape(u.get("note", ""))}: '
        f'{html.escape(u["property"])} r={u["correlation"]:+.2f}</button>' for u in top_units)
    swatches = "".join(f'<span class="swatch" style="background:{colour}"></span>'
                       for colour in PALETTE)
    data = {"palette": list(PALETTE), "dark": sorted(DARK), "layers": layers,
            "selected": selected}
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="generator" content="seqlab">
<title>{html.escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<p>
<label>layer <select id="layer">{layer_options}</select></label>
<label>quantity <select id="series"></select></label>
<label>unit <input id="unit" type="number" min="0" value="{selected["unit"]}"></label>
<span id="note">{html.escape(caption)}</span>
</p>
<p class="legend">low {swatches} high (blue: low end of the scale, red: high end)</p>
<p>Most interpretable units: {buttons or "none (no property varies over this text)"}</p>
<div id="text">{"".join(spans)}</div>
<script type="application/json" id="data">{_json_for_script(data)}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_page(path: Path, content: str) -> None:
    """Write the page atomically."""
    with atomic_write(path, "w") as file:
        file.write(content)
