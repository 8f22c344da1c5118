"""Sequence to sequence: an encoder-decoder with attention, its data, decoding and scores."""

from seqlab.seqmodels.seq2seq.attention import ATTENTIONS, Attention
from seqlab.seqmodels.seq2seq.batch import PairBatch, make_batch
from seqlab.seqmodels.seq2seq.decoding import (
    Decoded,
    DecodingPlan,
    Hypothesis,
    beam_search,
    greedy_decode,
)
from seqlab.seqmodels.seq2seq.model import Seq2Seq

__all__ = [
    "ATTENTIONS", "Attention", "Decoded", "DecodingPlan", "Hypothesis", "PairBatch", "Seq2Seq",
    "beam_search", "greedy_decode", "make_batch",
]
