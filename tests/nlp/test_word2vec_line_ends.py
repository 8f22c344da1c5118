"""`LineSentences` and `Word2Vec(corpus_file=...)` cut sentences at "\\n" only, as gensim's
LineSentence (binary lines) and corpus_file do: a lone "\\r" is whitespace inside a sentence
(qaC stop 21, finding 6; gensim 4.4 gives corpus_count 1 for 300 lines joined by "\\r")."""

from seqlab.nlp.word2vec import Word2Vec
from seqlab.nlp.word2vec.corpus import LineSentences


def test_a_lone_carriage_return_does_not_end_a_sentence(tmp_path):
    path = tmp_path / "cr.txt"
    path.write_bytes(b"a b\rc d\ne\r\nf\u2028g\rh".replace(b"\\u2028", "\u2028".encode()))
    assert list(LineSentences(path)) == [["a", "b", "c", "d"], ["e"], ["f", "g", "h"]]
    model = Word2Vec(corpus_file=path, vector_size=4, min_count=1, epochs=1, workers=1)
    assert model.corpus_count == 3
