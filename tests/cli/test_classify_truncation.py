"""`classify train` says how many texts --max-length cut, keeps their last tokens (Keras'
`pad_sequences` default) and predicts from the same tokens it trained on."""

from __future__ import annotations

import json

from inprocess import invoke


def test_cut_texts_are_counted_and_keep_their_last_tokens(tmp_path):
    data = tmp_path / "long.csv"
    # the label word comes last: a model that keeps the first tokens never sees it
    rows = [f"{label},filler words that say nothing at all {label}"
            for _ in range(10) for label in ("pos", "neg")]
    data.write_text("label,text\n" + "\n".join(rows) + "\nneg,short neg\n")
    out = tmp_path / "clf.safetensors"
    small = ["--steps", "2", "--hidden", "8", "--embedding-dim", "6", "--max-length", "3"]
    done = invoke("classify", "train", data, *small, "--out", out)
    assert done.returncode == 0, done.stderr
    said = " ".join(done.stdout.split())
    assert ("20 of 21 texts were longer than --max-length 3 tokens: the RNN reads their last "
            "3 (the bag-of-words baseline reads them whole)") in said
    # said once, in the final summary line, not as an info line before it as well
    assert " ".join((done.stdout + done.stderr).split()).count("texts were longer") == 1
    result = json.loads(invoke("classify", "train", data, *small, "--json",
                               "--out", tmp_path / "again.safetensors").stdout)
    assert result["texts_cut"] == 20 and result["truncate"] == "last"

    from seqlab.cli.classify_models import class_probabilities, load_classifier

    loaded = load_classifier(out)
    assert loaded.keep == "last"
    whole, tail = class_probabilities(loaded, ["filler words that say nothing at all pos",
                                               "at all pos"])
    assert whole.tolist() == tail.tolist()


def test_a_model_saved_before_the_change_keeps_its_first_tokens():
    from seqlab.nlp.truncation import model_keep

    assert model_keep({"labels": ["a", "b"], "max_length": 200}) == "first"
    assert model_keep({"truncate": "last"}) == "last"
