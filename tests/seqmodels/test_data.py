"""TokenStreams: the stream layout checked by hand, chunking, resume."""

import numpy as np
import pytest

from seqlab.seqmodels.data import TokenStreams


def test_layout_is_column_wise_contiguous_streams():
    streams = TokenStreams(np.arange(11), batch_size=2, seq_len=2)
    # 11 tokens -> trimmed to 10; stream 0 is 0..4, stream 1 is 5..9
    assert streams.grid.tolist() == [[0, 5], [1, 6], [2, 7], [3, 8], [4, 9]]
    assert len(streams) == 2
    assert streams.tokens_per_epoch == 8
    chunks = list(streams)
    assert chunks[0][0].tolist() == [[0, 5], [1, 6]]
    assert chunks[0][1].tolist() == [[1, 6], [2, 7]]
    assert chunks[1][0].tolist() == [[2, 7], [3, 8]]
    assert chunks[1][1].tolist() == [[3, 8], [4, 9]]
    assert chunks[0][0].dtype == np.int64


def test_last_chunk_is_shorter_and_targets_cover_each_stream_once():
    streams = TokenStreams(np.arange(10), batch_size=2, seq_len=3)
    chunks = list(streams)
    assert [inputs.shape for inputs, _ in chunks] == [(3, 2), (1, 2)]
    assert chunks[1][0].tolist() == [[3, 8]]
    assert chunks[1][1].tolist() == [[4, 9]]
    targets = np.concatenate([target for _, target in chunks])
    assert targets[:, 0].tolist() == [1, 2, 3, 4]
    assert targets[:, 1].tolist() == [6, 7, 8, 9]


def test_next_chunk_wraps_epochs_and_flags_epoch_starts():
    streams = TokenStreams(np.arange(10), batch_size=2, seq_len=2)
    flags = []
    for _ in range(5):
        inputs, _, starts = streams.next_chunk()
        flags.append((int(inputs[0, 0]), starts))
    assert flags == [(0, True), (2, False), (0, True), (2, False), (0, True)]
    assert streams.epoch == 2
    assert streams.position == 1


def test_state_dict_resumes_at_the_same_chunk():
    tokens = np.random.default_rng(0).integers(0, 7, size=101)
    first = TokenStreams(tokens, batch_size=3, seq_len=4)
    for _ in range(5):
        first.next_chunk()
    second = TokenStreams(tokens, batch_size=3, seq_len=4)
    second.load_state_dict(first.state_dict())
    for _ in range(len(first) + 2):
        a, b = first.next_chunk(), second.next_chunk()
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert first.epoch == second.epoch


def test_state_dict_for_other_data_or_layout_is_refused():
    streams = TokenStreams(np.arange(100), batch_size=4, seq_len=5)
    state = streams.state_dict()
    with pytest.raises(ValueError, match="different stream layout"):
        TokenStreams(np.arange(100), batch_size=4, seq_len=6).load_state_dict(state)
    with pytest.raises(ValueError, match="different stream layout"):
        TokenStreams(np.arange(100)[::-1].copy(), batch_size=4, seq_len=5).load_state_dict(state)


@pytest.mark.parametrize(
    ("tokens", "batch", "seq_len", "match"),
    [
        (np.arange(3), 2, 2, "too few"),
        (np.arange(10.0), 2, 2, "integer"),
        (np.arange(10).reshape(2, 5), 2, 2, "1-D"),
        (np.arange(10), 0, 2, "positive"),
    ],
)
def test_bad_input_is_a_clear_error(tokens, batch, seq_len, match):
    with pytest.raises(ValueError, match=match):
        TokenStreams(tokens, batch, seq_len)


def _grid_reference(tokens: np.ndarray, batch: int) -> np.ndarray:
    """The grid as the first version built it: the whole corpus cast to int64, laid out."""
    steps = tokens.size // batch
    return np.ascontiguousarray(
        tokens[: steps * batch].astype(np.int64).reshape(batch, steps).T)


def test_memory_mapped_ids_stay_mapped_and_chunks_match_an_int64_copy(tmp_path, monkeypatch):
    import zlib

    from seqlab.seqmodels import data

    # a small checksum block, so the checksum is computed over many blocks and a partial one
    monkeypatch.setattr(data, "CHECKSUM_BLOCK_BYTES", 8 * 3 * 7)
    tokens = np.random.default_rng(1).integers(0, 60_000, size=1_003).astype(np.uint16)
    path = tmp_path / "ids.u16"
    tokens.tofile(path)
    mapped = np.memmap(path, dtype=np.uint16, mode="r")
    streams = TokenStreams(mapped, batch_size=3, seq_len=7)
    assert streams.grid.dtype == np.uint16
    assert np.shares_memory(streams.grid, mapped)  # no copy of the corpus
    reference = _grid_reference(tokens, 3)
    # the checksum is the one earlier versions saved, so their runs still resume
    assert streams.checksum == zlib.crc32(reference.tobytes())
    chunks = list(streams)
    assert len(chunks) == -(-(reference.shape[0] - 1) // 7)
    for index, (inputs, targets) in enumerate(chunks):
        start = index * 7
        length = inputs.shape[0]
        assert inputs.dtype == np.int64 and targets.dtype == np.int64
        assert inputs.flags.c_contiguous and targets.flags.c_contiguous
        assert np.array_equal(inputs, reference[start : start + length])
        assert np.array_equal(targets, reference[start + 1 : start + 1 + length])
