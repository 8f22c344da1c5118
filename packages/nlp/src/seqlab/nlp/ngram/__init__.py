"""N-gram language models over integer ids: MLE, add-k, Witten-Bell, Kneser-Ney, Stupid Backoff.

Models take sentences as lists of string tokens (words or characters), map them to ids
internally (<unk>, <s>, </s> first) and keep ARPA's backoff form, so `save_arpa` / `load_arpa`
round-trip exactly and KenLM reads the files.
"""

from seqlab.nlp.ngram.arpa import ArpaModel, load_arpa
from seqlab.nlp.ngram.base import NgramLanguageModel
from seqlab.nlp.ngram.kneser_ney import KneserNey
from seqlab.nlp.ngram.smoothing import MLE, AddK, Laplace, StupidBackoff, WittenBell
from seqlab.nlp.ngram.vocabulary import BOS, EOS, UNK

load = NgramLanguageModel.load

__all__ = [
    "BOS",
    "EOS",
    "MLE",
    "UNK",
    "AddK",
    "ArpaModel",
    "KneserNey",
    "Laplace",
    "NgramLanguageModel",
    "StupidBackoff",
    "WittenBell",
    "load",
    "load_arpa",
]
