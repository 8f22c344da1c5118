"""Integer labels order the classifier's outputs by number (0, 1, 2, ..., 10), as
scikit-learn's LabelEncoder orders ints, and a model file keeps the order it was saved with."""

from __future__ import annotations

import json

from inprocess import invoke

from seqlab.nlp.classification import class_order


def test_class_order_is_numeric_only_when_every_label_is_an_integer():
    assert class_order(["10", "2", "1", "0", "-3"]) == ["-3", "0", "1", "2", "10"]
    assert class_order(["10", "2", "b"]) == ["10", "2", "b"]
    assert class_order(["1.5", "10", "2"]) == ["1.5", "10", "2"]
    assert class_order(["٣", "1"]) == ["1", "٣"]  # non-ASCII digits are names, not numbers


def test_jsonl_int_labels_map_output_k_to_label_k_and_old_files_keep_theirs(tmp_path):
    data = tmp_path / "ints.jsonl"
    data.write_text("".join(json.dumps({"label": k, "text": f"word{k} shared words"}) + "\n"
                            for _ in range(2) for k in range(12)))
    out = tmp_path / "ints.safetensors"
    done = invoke("classify", "train", data, "--steps", "1", "--hidden", "4",
                  "--embedding-dim", "4", "--json", "--out", out)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == [str(k) for k in range(12)]

    # the same weights in a file saved with the old string order (and no truncate entry)
    from seqlab.seqmodels.checkpoint import load_model, save_checkpoint

    model, checkpoint = load_model(out)
    old_order = sorted(str(k) for k in range(12))  # 0, 1, 10, 11, 2, ...
    old = save_checkpoint(tmp_path / "old.safetensors", model, tokenizer=checkpoint.tokenizer,
                          metadata={**checkpoint.metadata, "labels": old_order})
    text = tmp_path / "one.txt"
    text.write_text("word10 shared words\n")

    def probabilities(path):
        shown = invoke("classify", "predict", path, text, "--probabilities", "--json")
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)["predictions"][0]["probabilities"]

    new, saved = probabilities(out), probabilities(old)
    for column, name in enumerate(old_order):  # output column k is named as its file says
        assert saved[name] == new[str(column)]


def test_labels_with_the_same_number_stay_classes_sorted_as_text_with_a_warning(tmp_path):
    """qa2 item 5: `01` and `1` are two labels written differently; seqlab reads labels as
    text, so they stay two classes, sorted as text (their numbers cannot order them), and
    train warns that a reader of the column as ints would take them for one."""
    assert class_order(["2", "1", "01", "10"]) == ["01", "1", "10", "2"]
    data = tmp_path / "codes.csv"
    data.write_text("label,text\n" + "".join(f"{k},w{k} shared\n"
                                             for _ in range(2) for k in ("01", "1", "2")))
    done = invoke("classify", "train", data, "--steps", "1", "--hidden", "4",
                  "--embedding-dim", "4", "--json", "--out", tmp_path / "c.safetensors")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["labels"] == ["01", "1", "2"]
    assert "labels '01' and '1' are 2 classes" in " ".join(done.stderr.split())
