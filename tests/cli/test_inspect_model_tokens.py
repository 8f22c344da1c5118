"""`inspect` and `gradients` feed a model the ids its training made (QA 21 A item 7), and
`inspect --layer L` colours the best unit of layer L (item 6). Models are built untrained and
saved here (milliseconds): what is checked is which ids and which unit, not what was learned."""

from __future__ import annotations

import json

import numpy as np
import pytest
from inprocess import invoke

from seqlab.seqmodels.inspection import record, text_properties

TEXT = 'He said "stop (now)" and left.\nThen "go" was heard (twice).\n\nAnd so it was.'


def _json(*args: str) -> dict:
    done = invoke(*args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def word_model(tmp_path_factory):
    """A 2-layer word GRU language model, saved as `seqlab train` saves one."""
    from seqlab.nlp.tokenizers import WordTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = WordTokenizer.train(TEXT)
    model = LanguageModel(tokenizer.vocab_size, 6, 8, num_layers=2, cell="gru", generator=3)
    path = save_checkpoint(tmp_path_factory.mktemp("word") / "w.safetensors", model,
                           tokenizer=tokenizer.to_dict())
    return path, model.eval(), tokenizer


def _training_ids(tokenizer) -> np.ndarray:
    """The ids `seqlab train` makes of TEXT, written out by hand: each non-blank line's words,
    then </s>."""
    ids: list[int] = []
    for line in TEXT.split("\n"):
        if line.strip():
            ids += [*tokenizer.encode(line), tokenizer.eos_id]
    return np.asarray(ids)


def test_inspect_reads_a_word_model_with_a_line_end_after_each_line(word_model):
    path, model, tokenizer = word_model
    ids = _training_ids(tokenizer)
    data = _json("inspect", str(path), "--text", TEXT, "--layer", "0", "--unit", "2")
    assert len(data["tokens"]) == ids.size
    # </s> is shown as the line break it stands for; words are separated by a space
    assert "".join(data["tokens"]).split("\n") == [
        " ".join(tokenizer.tokenize(line)) for line in TEXT.split("\n") if line.strip()] + [""]
    expected = record(model, ids).layers[0].series("hidden")[:, 0, 2]
    np.testing.assert_allclose(data["shown"]["values"], expected, rtol=1e-5, atol=1e-6)


def test_gradients_measures_a_word_model_on_its_training_ids(word_model):
    from seqlab.seqmodels.inspection import language_model_flow

    path, model, tokenizer = word_model
    ids = _training_ids(tokenizer)
    data = _json("gradients", str(path), "--text", TEXT, "--length", "10")
    np.testing.assert_allclose(data["cells"]["gru"]["norms"],
                               language_model_flow(model, ids[-11:]).norms_back(1), rtol=1e-6)


def _best_unit(layer_record, pieces: list[str]) -> int:
    """The unit of one layer whose state has the largest |Pearson r| with any text property,
    by NumPy's corrcoef."""
    best, best_unit = -1.0, -1
    for state in ("hidden", "cell"):
        if state not in layer_record.series_names:
            continue
        series = layer_record.series(state)[:, 0, :]
        for values in text_properties(pieces).values():
            if values.std() == 0:
                continue
            for unit in range(series.shape[1]):
                if series[:, unit].std() == 0:
                    continue
                r = abs(np.corrcoef(series[:, unit], values)[0, 1])
                if r > best:
                    best, best_unit = r, unit
    return best_unit


def test_inspect_layer_colours_the_most_interpretable_unit_of_that_layer(word_model):
    path, model, tokenizer = word_model
    data = _json("inspect", str(path), "--text", TEXT, "--layer", "1")
    recording = record(model, _training_ids(tokenizer))
    expected = _best_unit(recording.layers[1], data["tokens"])
    assert expected != 0  # else unit 0, the old fallback, would pass by chance
    assert (data["shown"]["layer"], data["shown"]["unit"]) == (1, expected)
    assert data["units_of_layer"] == 1
    assert {unit["layer"] for unit in data["interpretable_units"]} == {1}
    shown = invoke("inspect", str(path), "--text", TEXT, "--layer", "1")
    assert f"Layer 1, unit {expected}, " in shown.stdout
    assert "Most interpretable units of layer 1" in shown.stdout


@pytest.mark.parametrize("truncate", [None, "first", "last"])
def test_inspect_runs_a_classifier_on_one_text_per_line_cut_as_it_was_trained(tmp_path,
                                                                               truncate):
    """The end of a long text the model keeps (a file without a `truncate` entry: the first
    tokens, as models before stop 21 were trained), and the message says which."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import SequenceClassifier
    from seqlab.seqmodels.checkpoint import save_checkpoint

    tokenizer = CharTokenizer.train(TEXT)
    model = SequenceClassifier(tokenizer.vocab_size, 6, 8, 2, cell="gru", generator=0)
    metadata = {"labels": ["a", "b"], "max_length": 20}
    if truncate is not None:
        metadata["truncate"] = truncate
    path = save_checkpoint(tmp_path / "clf.safetensors", model, tokenizer=tokenizer.to_dict(),
                           metadata=metadata)
    texts = tmp_path / "texts.txt"
    texts.write_text(TEXT)
    done = invoke("inspect", str(path), "--file", str(texts), "--json", "--unit", "1")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    line = TEXT.split("\n")[0]
    end = truncate or "first"
    kept = line[-20:] if end == "last" else line[:20]
    assert data["tokens"] == list(kept)
    expected = record(model.eval(), np.asarray(tokenizer.encode(kept))).layers[0]
    np.testing.assert_allclose(data["shown"]["values"], expected.series("hidden")[:, 0, 1],
                               rtol=1e-5, atol=1e-6)
    said = " ".join(invoke("inspect", str(path), "--file", str(texts)).stderr.split())
    assert "first of the 3 texts" in said and f"{end} 20 tokens" in said


def test_negative_layer_and_unit_count_from_the_end_as_in_pytorch(word_model):
    path, _, _ = word_model
    last = _json("inspect", str(path), "--text", TEXT, "--layer", "-1", "--unit", "-1")
    named = _json("inspect", str(path), "--text", TEXT, "--layer", "1", "--unit", "7")
    assert last["shown"] == named["shown"] and last["shown"]["unit"] == 7
    refused = invoke("inspect", str(path), "--text", TEXT, "--layer", "-3")
    assert refused.returncode == 2 and "--layer must be in [-2, 1]" in refused.stderr
