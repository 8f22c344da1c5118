"""qaA s24 #6: fine-tuning on text whose characters the model's vocabulary lacks says how much
is unknown, which characters, and what to do (not only "more than 5%")."""

import pytest
from inprocess import invoke


@pytest.fixture(scope="module")
def english_model(tmp_path_factory):
    """An untrained char language model whose vocabulary is English letters (only its
    vocabulary matters: the warning comes before training)."""
    from seqlab.nlp.tokenizers import CharTokenizer
    from seqlab.seqmodels import LanguageModel
    from seqlab.seqmodels.checkpoint import save_checkpoint

    folder = tmp_path_factory.mktemp("english")
    tokenizer = CharTokenizer.train("the cat sat on the mat. a dog ran.\n")
    model = LanguageModel(tokenizer.vocab_size, 4, 4, cell="gru", generator=0)
    return save_checkpoint(folder / "en.safetensors", model, tokenizer=tokenizer.to_dict())


def test_the_warning_names_the_share_the_characters_and_the_way_out(english_model, tmp_path):
    french = tmp_path / "fr.txt"
    french.write_text("ça été très élégant à noël\n" * 40, encoding="utf-8")
    done = invoke("train", french, "--init-from", english_model, "--steps", "1", "--seq-len",
                  "8", "--batch-size", "2", "-o", tmp_path / "ft.safetensors", "-q")
    assert done.returncode == 0, done.stderr
    warning = next(line for line in done.stderr.splitlines() if "unknown" in line)
    text = "ça été très élégant à noël\n"
    vocabulary = set("the cat sat on the mat. a dog ran.\n")
    share = sum(c not in vocabulary for c in text) / len(text)
    assert f"{share:.1%}" in warning
    assert "'é' (160)" in warning and "train a new model" in warning


def test_the_sample_is_read_as_training_reads_a_folder_and_a_bom(tmp_path):
    """The examples come from the text the model reads: a folder's files (not nothing), no
    byte-order mark, and whole characters where the 1 MiB sample ends (no U+FFFD made by
    cutting a UTF-8 character in two)."""
    from seqlab.cli.inputs import CorpusPieces
    from seqlab.cli.lm_training import UNKNOWN_TEXT_SAMPLE, _text_sample

    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / "fr.txt").write_bytes("\ufeffça été\n".encode())
    assert _text_sample(CorpusPieces([folder])) == "ça été\n"
    long = tmp_path / "long.txt"
    long.write_bytes(("a" + "é" * UNKNOWN_TEXT_SAMPLE).encode())
    sample = _text_sample(CorpusPieces([long]))
    assert "\ufffd" not in sample and sample.startswith("aé")
