"""Seq2Seq data, training through the Trainer contract, resume, save/load/translate."""

import numpy as np
import pytest

from seqlab.autograd import optim
from seqlab.nlp.tokenizers import CharTokenizer, WordTokenizer
from seqlab.seqmodels.seq2seq import Seq2Seq, beam_search
from seqlab.seqmodels.seq2seq.data import (
    PairBatches,
    PairCorpus,
    PairFileError,
    read_pairs,
)
from seqlab.seqmodels.seq2seq.translate import Translator, load_seq2seq, save_seq2seq
from seqlab.seqmodels.trainer import Trainer


def _reverse_pairs(count: int, seed: int) -> PairCorpus:
    rng = np.random.default_rng(seed)
    sources = [rng.integers(4, 10, rng.integers(1, 6)) for _ in range(count)]
    ids = [np.concatenate(rows).astype(np.int32) for rows in (sources, [s[::-1] for s in sources])]
    offsets = np.concatenate(([0], np.cumsum([s.size for s in sources])))
    return PairCorpus(ids[0], offsets, ids[1], offsets.copy())


def test_reverse_task_is_learned_to_full_exact_match():
    train, valid = _reverse_pairs(2000, 0), _reverse_pairs(200, 1)
    model = Seq2Seq(10, 10, 16, 32, attention="additive", bidirectional=True, generator=0)
    trainer = Trainer(model, optim.Adam(model.parameters(), lr=5e-3),
                             PairBatches(train, 32), PairBatches(valid, 200), clip_norm=1.0,
                             eval_every=100, max_steps=500)
    result = trainer.fit()
    assert result.history[0]["exact_match"] < 0.95
    final = model.evaluation_metrics(PairBatches(valid, 200).batches())
    assert final["exact_match"] == 1.0 and final["token_error_rate"] == 0.0
    batch = next(PairBatches(valid, 200).batches())
    decoded = beam_search(model, batch.source, batch.source_lengths, width=3)
    for row, tokens in zip(batch.source, decoded.tokens):
        assert tokens == [int(t) for t in row[row != 0][::-1]]


def _trainer(corpus: PairCorpus, **options) -> Trainer:
    model = Seq2Seq(10, 10, 8, 8, dropout=0.3, input_feeding=True, generator=7)
    return Trainer(model, optim.Adam(model.parameters(), lr=1e-2),
                          PairBatches(corpus, 16, seed=3, bucket=2), clip_norm=1.0, **options)


def test_resume_continues_exactly(tmp_path):
    corpus = _reverse_pairs(100, 2)
    straight = _trainer(corpus, max_steps=10)
    straight.fit()
    first = _trainer(corpus, max_steps=6)  # crosses an epoch boundary (7 batches per epoch)
    first.fit()
    path = first.save(tmp_path / "run.safetensors")
    resumed = _trainer(corpus, max_steps=10)
    resumed.resume(path)
    assert resumed.step == 6 and resumed.train_data.position == 6
    resumed.fit()
    for (name, a), (_, b) in zip(straight.model.named_parameters(),
                                 resumed.model.named_parameters()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=name)


def test_batches_cover_every_pair_once_per_epoch_and_state_rebuilds_the_order():
    corpus = _reverse_pairs(53, 3)
    source = PairBatches(corpus, 8, seed=1, bucket=2)
    seen, starts = [], []
    for _ in range(len(source)):
        batch, starts_epoch = source.next_batch()
        seen.extend(batch.indices.tolist())
        starts.append(starts_epoch)
        assert (batch.source_lengths == (batch.source != 0).sum(1)).all()
    assert sorted(seen) == list(range(53)) and source.epoch == 1
    assert starts[0] and not any(starts[1:])
    source.next_batch()
    state = source.state_dict()
    expected = [source.next_batch()[0].indices.tolist() for _ in range(3)]
    other = PairBatches(corpus, 8, seed=1, bucket=2)
    other.load_state_dict(state)
    assert [other.next_batch()[0].indices.tolist() for _ in range(3)] == expected
    with pytest.raises(ValueError, match="other pairs or batching"):
        PairBatches(corpus, 4, seed=1).load_state_dict(state)
    assert sorted(i for b in source.batches() for i in b.indices.tolist()) == list(range(53))


def test_read_pairs_and_its_errors(tmp_path):
    good = tmp_path / "good.tsv"
    good.write_text("abc\tA B C\tx\n\nhello\tH E\tL\n", encoding="utf-8")
    # a third field is refused, unless columns choose two (Tatoeba's en<TAB>fr<TAB>credit)
    with pytest.raises(PairFileError, match=r"good\.tsv:1: 3 tab-separated fields"):
        list(read_pairs(good))
    assert list(read_pairs(good, columns=(0, 1))) == [("abc", "A B C"), ("hello", "H E")]
    assert list(read_pairs(good, columns=(2, 0))) == [("x", "abc"), ("L", "hello")]
    for name, content, message in (("notab.tsv", "abc\tA\nxyz\n", "notab.tsv:2: no tab"),
                                   ("empty.tsv", "abc\t \n", "empty target"),
                                   ("emptysrc.tsv", "\tX\n", "empty source")):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        with pytest.raises(PairFileError, match=message):
            list(read_pairs(path))
    latin = tmp_path / "latin.tsv"
    latin.write_bytes("caf\xe9\tK\n".encode("latin-1"))
    with pytest.raises(PairFileError, match="not UTF-8"):
        list(read_pairs(latin))


def test_save_load_translate_is_identical(tmp_path):
    lines = [("cat", "K AE T"), ("dog", "D AO G"), ("cab", "K AE B"), ("god", "G AA D")]
    source_tokenizer = CharTokenizer.train([s for s, _ in lines])
    target_tokenizer = WordTokenizer.train([t for _, t in lines])
    model = Seq2Seq(source_tokenizer.vocab_size, target_tokenizer.vocab_size, 8, 8,
                    bidirectional=True, attention="additive", generator=1)
    path = save_seq2seq(tmp_path / "g2p.safetensors", model, source_tokenizer,
                        target_tokenizer)
    loaded, tokenizers, _ = load_seq2seq(path)
    assert tokenizers["source"] == source_tokenizer.to_dict()
    before = Translator(model, source_tokenizer, target_tokenizer, beam=3, nbest=2)
    after = Translator(loaded, CharTokenizer.from_dict(tokenizers["source"]),
                       WordTokenizer.from_dict(tokenizers["target"]), beam=3, nbest=2)
    inputs = ["cat", "dgo", "bat"]
    expected = before.translate(inputs, attention=True)
    got = after.translate(inputs, attention=True)
    assert [[t.text for t in found] for found in got] == \
        [[t.text for t in found] for found in expected]
    for found_a, found_b in zip(expected, got):
        for a, b in zip(found_a, found_b):
            assert a.logprob == b.logprob
            np.testing.assert_array_equal(a.attention, b.attention)
    assert after.unknown_tokens == 0
    after.translate(["xyz"])
    assert after.unknown_tokens == 3
