"""N-gram language models over integer ids: MLE, add-k, Witten-Bell, Kneser-Ney, Stupid Backoff.

Models take sentences as lists of string tokens (words or characters), map them to ids
internally (<unk>, <s>, </s> first) and keep ARPA's backoff form, so `save_arpa` / `load_arpa`
round-trip every finite score (to float64 round-off: the file holds 17 digits of log10) and
KenLM reads the files. Log zero does not round-trip:
ARPA writes it -99, which KenLM and `load_arpa` read as the number 10**-99, so an event an
unsmoothed (MLE) model gives probability zero, -inf in memory, scores about -99 (log10) per
zero from the file, as KenLM scores it; perplexity is infinite from both (-99 counts as zero).
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
