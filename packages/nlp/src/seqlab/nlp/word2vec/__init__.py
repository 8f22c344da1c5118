"""word2vec for seqlab: skip-gram and CBOW trained by Numba kernels, gensim-compatible vectors."""

from seqlab.nlp.word2vec.keyedvectors import KeyedVectors
from seqlab.nlp.word2vec.model import Word2Vec
from seqlab.nlp.word2vec.vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP

__all__ = ["RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "KeyedVectors", "Word2Vec"]
