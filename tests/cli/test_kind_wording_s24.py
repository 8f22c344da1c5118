"""qaA s24 #10: every command names a wrong file's kind in words: a seq2seq model given to
classify or forecast is "a sequence-to-sequence model" (never its class name), a tokenizer or
vectors file given to eval or generate is named as `inspect` names it; counts agree in number
("for 1 more epoch")."""

from types import SimpleNamespace

import pytest
from inprocess import assert_one_line_failure, invoke


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A seq2seq model, a tokenizer JSON and a vectors file, as seqlab writes them."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels.seq2seq.model import Seq2Seq
    from seqlab.seqmodels.seq2seq.translate import save_seq2seq

    folder = tmp_path_factory.mktemp("kinds")
    chars = CharTokenizer.train("abc cab bca\n")
    chars.save(folder / "chars.json")
    s2s = save_seq2seq(folder / "s2s.safetensors",
                       Seq2Seq(chars.vocab_size, chars.vocab_size, 4, 4, generator=0),
                       chars, chars)
    vectors = folder / "v.vec"
    vectors.write_text("2 3\t\t\nabc 0.1 0.2 0.3\ncab 0.3 0.2 0.1\n", encoding="utf-8")
    rows = folder / "rows.csv"
    rows.write_text("text,label\nabc,a\ncab,b\n", encoding="utf-8")
    series = folder / "series.csv"
    series.write_text("value\n" + "".join(f"{i}\n" for i in range(40)), encoding="utf-8")
    return SimpleNamespace(s2s=s2s, tokenizer=folder / "chars.json", vectors=vectors,
                           rows=rows, series=series)


def test_classify_and_forecast_name_a_seq2seq_model_in_words(files):
    for done in (invoke("classify", "eval", files.s2s, files.rows),
                 invoke("forecast", "eval", files.s2s, files.series)):
        assert_one_line_failure(done, "a sequence-to-sequence model")
        assert "'Seq2Seq'" not in done.stderr


@pytest.mark.parametrize(("command", "kind"), [
    (("eval",), "a seqlab tokenizer"), (("generate",), "a word2vec vectors file")])
def test_eval_and_generate_name_a_wrong_files_kind(files, command, kind):
    path = files.tokenizer if "tokenizer" in kind else files.vectors
    args = (*command, path, files.rows) if command == ("eval",) else (*command, path)
    assert_one_line_failure(invoke(*args), kind)


def test_a_budget_of_one_is_singular():
    from seqlab.cli.errors import CliError
    from seqlab.cli.training import check_budget_left

    trainer = SimpleNamespace(step=5, train_data=SimpleNamespace(epoch=3), elapsed=0.0)
    with pytest.raises(CliError) as raised:
        check_budget_left(trainer, {"epochs": 1})
    assert "for 1 more epoch give --epochs 4" in str(raised.value)
    assert "already done 3 epochs" in str(raised.value)
    with pytest.raises(CliError) as raised:
        check_budget_left(trainer, {"steps": 1})
    assert "for 1 more step give --steps 6" in str(raised.value)
