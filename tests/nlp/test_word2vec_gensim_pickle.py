"""`Word2Vec.load` / `KeyedVectors.load` on a gensim model file (a pickle; QA stop 18, fixQ2
item 6): said "header claims 135,653,557,376 bytes ... truncated or not safetensors"; now it
names the pickle and the way to gensim's vectors. No pickle is ever unpickled."""

from __future__ import annotations

import pickle

import pytest

from seqlab.nlp.word2vec import KeyedVectors, Word2Vec


@pytest.mark.parametrize("cls", [Word2Vec, KeyedVectors])
def test_a_gensim_pickle_points_to_the_word2vec_format(tmp_path, cls):
    path = tmp_path / "g.model"
    # what gensim's SaveLoad.save writes: a pickle (protocol 4 starts b"\x80\x04")
    path.write_bytes(pickle.dumps({"wv": [0.5] * 100, "sg": 0}, protocol=4))
    with pytest.raises(ValueError) as refused:
        cls.load(path)
    said = str(refused.value)
    assert "header claims" not in said, said
    assert "pickle" in said and "save_word2vec_format" in said, said
    assert "KeyedVectors.load_word2vec_format" in said, said


def test_sg_default_is_skip_gram_and_documented():
    import inspect

    assert inspect.signature(Word2Vec).parameters["sg"].default == 1
    assert "sg=1" in Word2Vec.__doc__ and "gensim" in Word2Vec.__doc__



@pytest.mark.parametrize("cls", [Word2Vec, KeyedVectors])
def test_saved_files_load_over_many_vocabulary_sizes(tmp_path, cls):
    """QA stop 20, fixQ2 item 2: a safetensors header of 0x0580 bytes starts b"\\x80\\x05",
    a pickle's protocol 5 opcode, and `load` refused seqlab's own file (a 4-word model)."""
    for vocabulary in range(1, 13):
        words = [f"w{index}" for index in range(vocabulary)]
        model = Word2Vec([words] * 20, vector_size=5, min_count=1, seed=1, epochs=1)
        path = tmp_path / f"m{vocabulary}"
        (model if cls is Word2Vec else model.wv).save(path)
        loaded = cls.load(path)
        assert (loaded.wv if cls is Word2Vec else loaded).index_to_key == model.wv.index_to_key


# (A Word2Vec header is about 0x0580 bytes long: the sweep above meets it, with 4 words.)
@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
def test_a_header_length_that_reads_as_a_pickle_opcode_loads(tmp_path, protocol):
    """Headers of 0x0280, 0x0380, 0x0480 and 0x0580 bytes start b"\\x80" + protocol byte."""
    from seqlab.autograd import io

    model = Word2Vec([["a", "b"]] * 50, vector_size=5, min_count=1, seed=1)
    model.wv.save(tmp_path / "m")
    state, metadata = io.load(tmp_path / "m")
    target = protocol << 8 | 0x80
    io.save(tmp_path / "p", state, {**metadata, "p": ""})
    shortest = int.from_bytes((tmp_path / "p").read_bytes()[:8], "little")
    for pad in range(max(0, target - shortest - 16), max(0, target - shortest + 16)):
        io.save(tmp_path / "p", state, {**metadata, "p": "x" * pad})
        if (tmp_path / "p").read_bytes()[:2] == bytes([0x80, protocol]):
            break
    else:
        pytest.fail(f"no padding gave a header starting b'\\x80\\x0{protocol}'")
    assert KeyedVectors.load(tmp_path / "p").index_to_key == model.wv.index_to_key
