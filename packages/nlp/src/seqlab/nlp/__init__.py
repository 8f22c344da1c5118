"""seqlab.nlp: text in and out of sequence models.

Subpackages: `tokenizers` (char, word, byte-level BPE), `vocab`, `corpora` (files, folders,
stdin, and the corpora embedded in gensim), `ngram` (MLE, add-k, Witten-Bell, Kneser-Ney,
Stupid Backoff, ARPA files), `word2vec` (skip-gram and CBOW, KeyedVectors) and `generation`
(one sampler and beam search for neural and n-gram models).
"""
