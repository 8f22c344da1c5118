"""word2vec for seqlab: skip-gram and CBOW trained by Numba kernels, gensim-compatible vectors."""

from seqlab.nlp.word2vec.keyedvectors import KeyedVectors
from seqlab.nlp.word2vec.model import Word2Vec

__all__ = ["KeyedVectors", "Word2Vec"]
