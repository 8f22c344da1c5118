"""`seqlab inspect` and `seqlab gradients` end to end: JSON carries what is shown, the HTML page
is valid and self-contained, bad options get one line."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from html.parser import HTMLParser
from types import SimpleNamespace

import numpy as np
import pytest
from cli_helpers import seqlab_env

from seqlab.cli.activation_view import PALETTE
from seqlab.cli.models import load_neural
from seqlab.seqmodels.inspection import (
    interpretable_units,
    record,
    saturation,
    steps_until_below,
    text_properties,
)

TEXT = 'He said "stop (now)" and left.\nThen "go" was heard (twice).'
VOID = {"meta", "input", "br", "img", "link", "hr"}


class Checker(HTMLParser):
    """Tags nest and close properly; collects the token spans of #text and the scripts."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.errors: list[str] = []
        self.tokens: list[str] = []
        self.styles: list[str] = []
        self.scripts: list[tuple[dict, str]] = []
        self.in_text = 0
        self.attrs: dict = {}

    def handle_starttag(self, tag, attrs):
        if tag in VOID:
            return
        self.open.append(tag)
        self.attrs = dict(attrs)
        if tag == "div" and self.attrs.get("id") == "text":
            self.in_text = len(self.open)
        elif self.in_text and tag == "span":
            self.tokens.append("")
            self.styles.append(self.attrs.get("style", ""))
        elif self.in_text:
            self.errors.append(f"unexpected <{tag}> in the text")

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
            return
        if self.in_text == len(self.open):
            self.in_text = 0
        self.open.pop()

    def handle_data(self, data):
        if self.open and self.open[-1] == "script":
            self.scripts.append((self.attrs, data))
        elif self.in_text and self.open[-1] == "span":
            self.tokens[-1] += data
        elif self.in_text and data:
            self.errors.append(f"text outside a token span: {data!r}")


def run_at_80_columns(*args: str) -> subprocess.CompletedProcess:
    """`seqlab ARGS` with its output going to an 80-column reader."""
    env = seqlab_env()
    env["COLUMNS"] = "80"
    return subprocess.run([sys.executable, "-m", "seqlab.cli", *args], capture_output=True,
                          text=True, env=env, timeout=300)


@pytest.fixture
def run(capsys, monkeypatch):
    """`seqlab ARGS` inside this process (saves the interpreter start, seconds on a busy
    machine); returns returncode, stdout and stderr as a subprocess would."""
    monkeypatch.setenv("NO_COLOR", "1")

    def invoke(*args: str) -> SimpleNamespace:
        from seqlab.cli.app import main

        handler = signal.getsignal(signal.SIGINT)
        code = 0
        try:
            main(list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        finally:
            signal.signal(signal.SIGINT, handler)
        captured = capsys.readouterr()
        return SimpleNamespace(returncode=code, stdout=captured.out, stderr=captured.err)

    return invoke


@pytest.fixture
def run_json(run):
    def invoke(*args: str) -> dict:
        done = run(*args, "--json")
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    return invoke


def test_inspect_json_carries_the_recorded_numbers(trained_model, run_json):
    data = run_json("inspect", str(trained_model), "--text", TEXT)
    assert "".join(data["tokens"]) == TEXT
    loaded = load_neural(trained_model)
    ids = np.asarray(loaded.tokenizer.encode(TEXT))
    recording = record(loaded.model, ids)
    shown = data["shown"]
    expected = recording.layers[shown["layer"]].series(shown["series"])[:, 0, shown["unit"]]
    np.testing.assert_allclose(shown["values"], expected, rtol=1e-6, atol=1e-7)
    units = interpretable_units(recording, text_properties(list(TEXT)), top=2,
                                per_property=True)
    assert [(u["layer"], u["state"], u["unit"], u["property"])
            for u in data["interpretable_units"]] == \
        [(u.layer, u.state, u.unit, u.property) for u in units]
    for mine, theirs in zip(units, data["interpretable_units"], strict=True):
        assert theirs["correlation"] == pytest.approx(mine.correlation, abs=1e-4)
    assert [(s["gate"], s["left"]) for s in data["saturation"]] == \
        [(s.gate, round(s.mean_left, 4)) for s in saturation(recording)]
    assert [s["gate"] for s in data["saturation"]] == ["i", "f", "g", "o"]


def test_inspect_terminal_shows_the_json_numbers_within_80_columns(trained_model, run_json):
    data = run_json("inspect", str(trained_model), "--text", TEXT, "--gate", "f", "--unit", "3")
    assert data["shown"]["series"] == "f" and data["shown"]["unit"] == 3
    done = run_at_80_columns("inspect", str(trained_model), "--text", TEXT, "--gate", "f",
                             "--unit", "3")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "Layer 0, unit 3, f:" in done.stdout
    assert "f gate: +0" in done.stdout  # the legend, on the gate's own [0, 1] range
    for unit in data["interpretable_units"]:
        assert f"{unit['correlation']:+.4f}" in done.stdout
    for gate in data["saturation"]:
        assert f"{gate['left']:.4f}" in done.stdout and f"{gate['right']:.4f}" in done.stdout


def test_inspect_html_is_valid_self_contained_and_holds_every_token_once(trained_model,
                                                                        tmp_path, run_json):
    out = tmp_path / "units.html"
    data = run_json("inspect", str(trained_model), "--text", TEXT, "--html", str(out))
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert "http" not in page.lower() and "src=" not in page and "<link" not in page
    checker = Checker()
    checker.feed(page)
    checker.close()
    assert checker.errors == [] and checker.open == []
    assert checker.tokens == data["tokens"]
    assert "".join(checker.tokens) == TEXT
    payload = next(text for attrs, text in checker.scripts if attrs.get("id") == "data")
    values = json.loads(payload)
    layer = values["layers"][data["shown"]["layer"]]
    assert set(layer["series"]) == {"hidden", "cell", "i", "f", "g", "o"}
    series = layer["series"][data["shown"]["series"]]
    classes = [int(digit) for digit in series["classes"][data["shown"]["unit"]]]
    position = (np.asarray(data["shown"]["values"]) - series["low"]) / \
        (series["high"] - series["low"])
    expected = np.clip(np.floor(position * 9), 0, 8).astype(int)
    assert classes == expected.tolist() and len(set(classes)) > 1
    assert [len(row) for row in series["classes"]] == [len(TEXT)] * layer["units"]
    # painted in advance, so the page reads without its script
    assert [style.split(";")[0] for style in checker.styles] == \
        [f"background:{PALETTE[k]}" for k in classes]
    node = shutil.which("node")
    if node:
        script = next(text for attrs, text in checker.scripts if not attrs.get("id"))
        (tmp_path / "page.js").write_text(script)
        check = subprocess.run([node, "--check", str(tmp_path / "page.js")],
                               capture_output=True, text=True)
        assert check.returncode == 0, check.stderr


def test_inspect_without_a_model_trains_one_and_says_so(run):
    done = run("inspect", "--train-steps", "5", "--text", "a (b) c", "--top", "1")
    assert done.returncode == 0, done.stderr
    assert "No MODEL given" in done.stderr and "5 steps" in done.stderr
    assert "Most interpretable units" in done.stdout


@pytest.mark.parametrize("args, message", [
    (["--layer", "3"], "--layer must be in [-1, 0]"),
    (["--unit", "999"], "--unit must be in [-"),
    (["--gate", "z"], "--gate must be one of the LSTM gates (i f g o)"),
    (["--state", "cell", "--gate", "f"], "give --gate or --state, not both"),
    (["--file", "missing.txt"], "give --text or --file, not both"),
])
def test_inspect_bad_options_get_one_line(trained_model, args, message, run):
    done = run("inspect", str(trained_model), "--text", TEXT, *args)
    assert done.returncode != 0
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def test_inspect_missing_model_file(tmp_path, run):
    done = run("inspect", str(tmp_path / "none.safetensors"), "--text", "x")
    assert done.returncode == 1 and "model file not found" in done.stderr


def test_gradients_defaults_show_the_rnn_gradient_fading_first(run_json):
    data = run_json("gradients", "--exploding")
    cells = data["cells"]
    assert list(cells) == ["rnn", "lstm", "gru"] and data["length"] == 200
    for entry in cells.values():
        for curve in (entry, entry["initial"]):
            assert len(curve["norms"]) == 200 and curve["norms"][0] > 0
            assert curve["vanished_at"] == steps_until_below(curve["norms"])
    # the lesson, as measured on the shipped defaults (100 training steps)
    assert cells["rnn"]["vanished_at"] < cells["lstm"]["vanished_at"]
    assert cells["rnn"]["vanished_at"] < (cells["gru"]["vanished_at"] or 201)
    exploding = data["exploding"]
    assert exploding["growth"] > 1e3 and exploding["grad_norm"] > exploding["max_norm"]
    assert exploding["clipped_update_norm"] == pytest.approx(exploding["lr"] *
                                                             exploding["max_norm"], rel=1e-4)
    assert exploding["loss_after_clipped"] < exploding["loss_before"]


def test_gradients_table_shows_the_json_numbers_within_80_columns(run_json):
    args = ("gradients", "--cell", "gru", "--steps", "3", "--length", "60", "--exploding")
    data = run_json(*args)
    done = run_at_80_columns(*args)
    assert done.returncode == 0, done.stderr
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    rows = {match[0]: match[1:] for match in
            re.findall(r"│ (rnn|lstm|gru)\s+│\s+([^│]*?) │\s+([^│]*?) │", done.stdout)}
    assert set(rows) == set(data["cells"])
    for name, entry in data["cells"].items():
        shown = tuple(str(value) if value is not None else "not within 60"
                      for value in (entry["initial"]["vanished_at"], entry["vanished_at"]))
        assert rows[name] == shown
    assert f"{data['exploding']['grad_norm']:.4g}" in done.stdout


def test_gradients_of_a_given_model(trained_model, run, run_json):
    data = run_json("gradients", str(trained_model), "--text", TEXT, "--length", "20")
    (name, entry), = data["cells"].items()
    assert name == "lstm" and len(entry["norms"]) == 20 and "initial" not in entry
    done = run("gradients", str(trained_model), "--cell", "gru")
    assert done.returncode == 2 and "does not match" in done.stderr


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_gradients_exploding_on_a_gated_model(cell, trained_model, corpus_file, tmp_path, run,
                                              run_json):
    """The README's `gradients MODEL --exploding` on LSTM and GRU models, whose W_hh is G*H x H:
    the radius is each gate's H x H block's, checked against NumPy on the slices."""
    from cli_helpers import TINY

    path = trained_model
    if cell != "lstm":
        path = tmp_path / f"{cell}.safetensors"
        done = run("train", str(corpus_file), "--cell", cell, "--steps", "3", "--out",
                   str(path), *TINY)
        assert done.returncode == 0, done.stderr
    args = ("gradients", str(path), "--text", "hello there", "--exploding", "--length", "5")
    done = run(*args)
    assert done.returncode == 0, done.stderr
    assert "Exploding:" in done.stdout and "spectral radius of its gate blocks" in done.stdout
    data = run_json(*args)["exploding"]
    w_hh = load_neural(path).model.rnn.weight_hh_l0.data.astype(np.float64) * data["scale"]
    hidden = w_hh.shape[1]
    names = {"lstm": "ifgo", "gru": "rzn"}[cell]
    assert list(data["block_spectral_radii"]) == list(names)
    for k, name in enumerate(names):
        block = w_hh[k * hidden:(k + 1) * hidden]
        expected = max(abs(np.linalg.eigvals(block)))
        assert data["block_spectral_radii"][name] == pytest.approx(expected, rel=1e-5)
    assert data["spectral_radius"] == max(data["block_spectral_radii"].values())
    assert all(np.isfinite(data["norms"])) and len(data["norms"]) == 5


def test_gradients_bad_options(run):
    done = run("gradients", "--cell", "transformer")
    assert done.returncode == 2 and "--cell must be one of rnn, lstm, gru, all" in done.stderr
    done = run("gradients", "--text", "abc")
    assert done.returncode == 2 and "--text and --file go with a MODEL" in done.stderr


def test_log_panels_put_each_decade_on_its_row_and_fit_the_width():
    from seqlab.cli.log_plot import log_panels

    fast = [10.0 ** -k for k in range(10)]  # 1 ... 1e-9
    slow = [10.0 ** (-k / 3) for k in range(10)]  # 1 ... 1e-3
    plot = log_panels({"a": {"x": fast}, "b": {"x": slow}}, {"x": "#"}, width=60,
                      height=10).plain.splitlines()
    assert all(len(line) <= 60 for line in plot)
    rows = plot[1:11]
    assert rows[0].startswith("1e+00 |#") and rows[-1].startswith("1e-09 |")
    first_panel = [row[7:7 + 25] for row in rows]
    # ten points in ten columns, one decade per row: point k of `fast` is at row k, column k
    for k in range(10):
        assert first_panel[k].strip() == "#" and first_panel[k].index("#") == k
    assert "+" + "-" * 25 + " +" + "-" * 25 in plot[11]


def test_scales_follow_the_cell_kind():
    from seqlab.cli.activation_view import Scale, scale_for
    from seqlab.seqmodels.inspection import KINDS

    values = np.array([-3.0, 0.5, 2.0])
    assert scale_for("f", values, KINDS["lstm"]) == Scale(0.0, 1.0, "f gate")
    assert scale_for("n", values, KINDS["gru"]) == Scale(-1.0, 1.0, "n gate")
    assert scale_for("hidden", values, KINDS["lstm"]) == Scale(-1.0, 1.0, "hidden state")
    assert scale_for("cell", values, KINDS["lstm"]) == Scale(-3.0, 3.0, "cell state")
    assert scale_for("hidden", np.array([0.0, 4.0]), KINDS["rnn_relu"]) == \
        Scale(0.0, 4.0, "hidden state")
    classes = Scale(0.0, 1.0, "").classes(np.array([0.0, 0.11, 0.5, 0.999, 1.0, 7.0]))
    assert classes.tolist() == [0, 0, 4, 8, 8, 8]


def test_inspect_html_never_replaces_a_file_seqlab_did_not_write(trained_model, tmp_path, run):
    page = tmp_path / "notes.html"
    page.write_text("<html>my own notes</html>")
    done = run("inspect", str(trained_model), "--text", TEXT, "--html", str(page))
    assert done.returncode != 0 and "--force" in done.stderr
    assert page.read_text() == "<html>my own notes</html>"
    ours = tmp_path / "units.html"
    for _ in range(2):  # a page seqlab wrote may be written again
        assert run("inspect", str(trained_model), "--text", TEXT, "--html",
                   str(ours)).returncode == 0
    done = run("inspect", str(trained_model), "--text", TEXT, "--html", str(page), "--force")
    assert done.returncode == 0 and "my own notes" not in page.read_text()


def test_inspect_reads_a_classifier_checkpoint(tmp_path, run_json):
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import SequenceClassifier
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = CharTokenizer.train(TEXT)
    model = SequenceClassifier(tokenizer.vocab_size, 8, 6, 2, cell="gru", generator=0)
    path = save_checkpoint(tmp_path / "clf.safetensors", model, tokenizer=tokenizer.to_dict())
    data = run_json("inspect", str(path), "--text", TEXT)
    # a classifier reads one text per line (classify predict): the first line is shown
    first = TEXT.split("\n")[0]
    assert "".join(data["tokens"]) == first
    recording = record(model.eval(), np.asarray(tokenizer.encode(first))[:, None])
    shown = data["shown"]
    expected = recording.layers[shown["layer"]].series(shown["series"])[:, 0, shown["unit"]]
    np.testing.assert_allclose(shown["values"], expected, rtol=1e-5, atol=1e-6)


@pytest.fixture
def bidirectional_classifier(tmp_path):
    """A 2-layer bidirectional GRU classifier (hidden 8: units 8-15 of a layer run backwards)."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import SequenceClassifier
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = CharTokenizer.train(TEXT)
    model = SequenceClassifier(tokenizer.vocab_size, 6, 8, 2, num_layers=2, cell="gru",
                               bidirectional=True, generator=0)
    return save_checkpoint(tmp_path / "bi.safetensors", model, tokenizer=tokenizer.to_dict())


def test_inspect_says_which_units_of_a_bidirectional_layer_run_backwards(
        bidirectional_classifier, tmp_path, run, run_json):
    """QA 18 item 7: unit 10 of layer 1 is the reverse direction's unit 2, computed by the
    parameters PyTorch names `*_l1_reverse`; the terminal, the JSON and the HTML page say so."""
    args = ("inspect", str(bidirectional_classifier), "--text", TEXT, "--layer", "1")
    data = run_json(*args, "--unit", "10")
    assert data["shown"] | {"values": None} == {
        "layer": 1, "series": "hidden", "unit": 10, "direction": "reverse",
        "direction_unit": 2, "parameters": "l1_reverse", "values": None}
    for unit in data["interpretable_units"]:
        assert unit["direction"] == ("reverse" if unit["unit"] >= 8 else "forward")
    done = run(*args, "--unit", "10")
    assert done.returncode == 0, done.stderr
    assert "Layer 1, unit 10 (reverse direction, its unit 2: weights *_l1_reverse), hidden:" \
        in done.stdout
    assert "Layer 1, unit 3 (forward direction, its unit 3: weights *_l1), hidden:" \
        in run(*args, "--unit", "3").stdout
    out = tmp_path / "bi.html"
    assert run(*args, "--unit", "10", "--html", str(out)).returncode == 0
    page = out.read_text(encoding="utf-8")
    # written into the page (it reads without its script) and computed by the script
    assert "layer 1, hidden, unit 10 (reverse direction, its unit 2: weights *_l1_reverse)" \
        in page
    checker = Checker()
    checker.feed(page)
    values = json.loads(next(text for attrs, text in checker.scripts if attrs.get("id") ==
                             "data"))
    assert [(layer["directions"], layer["hidden_size"]) for layer in values["layers"]] == \
        [(2, 8), (2, 8)]
    node = shutil.which("node")
    if node:
        script = next(text for attrs, text in checker.scripts if not attrs.get("id"))
        assert _script_caption(node, tmp_path, script, values, len(checker.tokens)) == \
            "layer 1, hidden, unit 10 (reverse direction, its unit 2: weights *_l1_reverse)"


def _script_caption(node: str, folder, script: str, data: dict, tokens: int) -> str:
    """The caption the page's script writes, run in Node on a stand-in for the page's DOM."""
    harness = """
const data = JSON.parse(process.argv[2]), tokens = +process.argv[3];
function box(value) { return {value: value, innerHTML: "", addEventListener() {},
                               appendChild() {}}; }
const elements = {data: {textContent: process.argv[2]}, note: {textContent: ""},
  layer: box(String(data.selected.layer)), series: box(data.selected.series),
  unit: box(String(data.selected.unit))};
const spans = Array.from({length: tokens}, () => ({style: {}}));
globalThis.document = {getElementById: (id) => elements[id], createElement: () => ({}),
  querySelectorAll: (selector) => selector === "#text span" ? spans : []};
""" + script + "\nconsole.log(elements.note.textContent.split(' (scale')[0]);\n"
    (folder / "caption.js").write_text(harness)
    done = subprocess.run([node, str(folder / "caption.js"), json.dumps(data), str(tokens)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_inspect_of_a_one_direction_model_names_no_direction(trained_model, run):
    done = run("inspect", str(trained_model), "--text", TEXT, "--unit", "3")
    assert "Layer 0, unit 3, hidden:" in done.stdout and "direction" not in done.stdout


@pytest.fixture
def two_layer_model(tmp_path):
    """A 2-layer char GRU language model, saved as `seqlab train` saves one."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = CharTokenizer.train(TEXT)
    model = LanguageModel(tokenizer.vocab_size, 6, 8, num_layers=2, cell="gru", generator=0)
    path = save_checkpoint(tmp_path / "two.safetensors", model, tokenizer=tokenizer.to_dict())
    return path, model.eval(), tokenizer


def test_gradients_says_which_layer_it_measures_and_takes_layer(two_layer_model, run,
                                                                run_json):
    """QA 18 item 10: on a 2-layer model the header names the layer whose h is measured (the
    top by default); --layer picks another, as `inspect --layer` does."""
    from seqlab.seqmodels.inspection import language_model_flow

    path, model, tokenizer = two_layer_model
    flow = language_model_flow(model, np.asarray(tokenizer.encode(TEXT))[-21:])
    args = ("gradients", str(path), "--text", TEXT, "--length", "20")
    top = run_json(*args)
    assert top["layer"] == 1 and top["layers"] == 2
    np.testing.assert_allclose(top["cells"]["gru"]["norms"], flow.norms_back(1), rtol=1e-6)
    bottom = run_json(*args, "--layer", "0")
    assert bottom["layer"] == 0
    np.testing.assert_allclose(bottom["cells"]["gru"]["norms"], flow.norms_back(0), rtol=1e-6)
    assert not np.allclose(bottom["cells"]["gru"]["norms"], top["cells"]["gru"]["norms"])
    assert "h of layer 1 (the top of 2)" in " ".join(run(*args).stdout.split())
    assert "h of layer 0 (of 2)" in " ".join(run(*args, "--layer", "0").stdout.split())
    assert run_json(*args, "--layer", "-2")["layer"] == 0  # counted from the end, as in PyTorch
    done = run(*args, "--layer", "2")
    assert done.returncode == 2 and "--layer must be in [-2, 1]" in done.stderr
    done = run("gradients", "--layer", "0")
    assert done.returncode == 2 and "--layer goes with a MODEL" in done.stderr
