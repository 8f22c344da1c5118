"""KeyedVectors: word vectors, similarity and evaluations, with gensim's names and semantics."""

import itertools
from collections.abc import Iterable, Sequence
from numbers import Integral
from pathlib import Path

import numpy as np

from seqlab.nlp.word2vec.formats import read_word2vec_format, write_word2vec_format

Key = str | int
WeightedKeys = Sequence[Key | np.ndarray | tuple[Key | np.ndarray, float]]


def _as_list(keys) -> list:
    """A single key or vector means a list of one (gensim's _ensure_list)."""
    if keys is None:
        return []
    if isinstance(keys, str | Integral | np.ndarray):
        return [keys]
    return list(keys)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


def _check_attribute(attr: str) -> None:
    if attr != "count":
        raise KeyError(f"{attr!r}: seqlab's KeyedVectors keep one attribute per word, 'count'")


class EvaluationFileError(ValueError):
    """A word-pair or analogy file that cannot be read as text (undecodable bytes under
    errors='strict', UTF-16/32 text, binary data): the reader's message."""


class NoJudgementsError(ValueError):
    """A word-pair file with no pair both of whose words the vectors know (or none parsed)."""


def _file_lines(path: str | Path, encoding: str, errors: str) -> Iterable[str]:
    """The lines of an evaluation file, read as every corpus is (`corpora.iter_lines`: the
    `errors` policy, a byte-order mark dropped at byte 0); its errors as EvaluationFileError."""
    from seqlab.nlp.corpora import iter_lines

    try:
        yield from iter_lines(str(path), encoding=encoding, errors=errors)
    except (ValueError, FileNotFoundError) as error:
        raise EvaluationFileError(str(error)) from error


class KeyedVectors:
    """A mapping from words (keys) to vectors: what a trained model leaves for users to keep."""

    def __init__(self, vector_size: int, count: int = 0, dtype: type = np.float32):
        self.vector_size = vector_size
        self.index_to_key: list[str] = []
        self.key_to_index: dict[str, int] = {}
        self.vectors = np.zeros((count, vector_size), dtype=dtype)
        self.counts: np.ndarray | None = None  # word frequencies, when known (orders saved files)
        self.norms: np.ndarray | None = None

    # ---- lookup ---------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key: Key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key: Key) -> bool:
        """True when key is in the vocabulary."""
        return self.get_index(key, -1) >= 0

    def get_index(self, key: Key, default: int | None = None) -> int:
        """Row of key in vectors (an int in range is its own); KeyError naming an absent key."""
        index = self.key_to_index.get(key, -1)  # type: ignore[arg-type]
        if index >= 0:
            return index
        if isinstance(key, Integral) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present in the vocabulary of {len(self)} words")

    def get_vector(self, key: Key, norm: bool = False) -> np.ndarray:
        """The key's vector (read-only view), unit length when norm."""
        index = self.get_index(key)
        if norm:
            self.fill_norms()
            result = self.vectors[index] / self.norms[index]
        else:
            result = self.vectors[index]
        result.setflags(write=False)
        return result

    def get_vecattr(self, key: Key, attr: str) -> int:
        """gensim's per-word attribute: `attr` "count" is the word's corpus frequency (the one
        attribute seqlab keeps per word); KeyError for an absent key, attribute or count."""
        index = self.get_index(key)
        _check_attribute(attr)
        if self.counts is None:
            raise KeyError("'count': these vectors carry no word counts (set them with "
                           "set_vecattr(key, 'count', n))")
        return int(self.counts[index])

    def set_vecattr(self, key: Key, attr: str, val: int) -> None:
        """Set gensim's per-word attribute "count" of `key` (the counts order saved files)."""
        index = self.get_index(key)
        _check_attribute(attr)
        if self.counts is None:
            self.counts = np.zeros(len(self.index_to_key), dtype=np.int64)
        self.counts[index] = val

    def __getitem__(self, keys: Key | Iterable[Key]) -> np.ndarray:
        if isinstance(keys, str | Integral):
            return self.get_vector(keys)
        return np.vstack([self.get_vector(key) for key in keys])

    def add_vectors(self, keys: list[str], weights: np.ndarray, replace: bool = False) -> None:
        """Append keys with their vectors (existing keys are kept unless replace)."""
        weights = np.asarray(weights, dtype=self.vectors.dtype).reshape(len(keys), self.vector_size)
        is_new = np.array([key not in self.key_to_index for key in keys], dtype=bool)
        if replace:
            for key, row in zip(np.array(keys, dtype=object)[~is_new], weights[~is_new]):
                self.vectors[self.key_to_index[key]] = row
        for key in itertools.compress(keys, is_new):
            self.key_to_index[key] = len(self.index_to_key)
            self.index_to_key.append(key)
        self.vectors = np.vstack([self.vectors, weights[is_new]])
        if self.counts is not None:
            self.counts = np.concatenate([self.counts, np.zeros(int(is_new.sum()), np.int64)])
        self.norms = None

    def fill_norms(self, force: bool = False) -> None:
        """Compute (or refresh) the L2 norm of every vector."""
        if self.norms is None or force:
            self.norms = np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self) -> np.ndarray:
        """All vectors scaled to unit length."""
        self.fill_norms()
        return self.vectors / self.norms[:, np.newaxis]

    def get_mean_vector(
        self,
        keys: Sequence[Key | np.ndarray],
        weights: Sequence[float] | np.ndarray | None = None,
        pre_normalize: bool = True,
        post_normalize: bool = False,
        ignore_missing: bool = True,
    ) -> np.ndarray:
        """Weighted mean of keys' vectors (each unit length when pre_normalize), as gensim."""
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        weights = np.ones(len(keys)) if weights is None else np.asarray(weights, dtype=np.float64)
        if len(keys) != weights.shape[0]:
            raise ValueError("keys and weights array must have same number of elements")
        mean = np.zeros(self.vector_size, self.vectors.dtype)
        total_weight = 0.0
        for key, weight in zip(keys, weights):
            if isinstance(key, np.ndarray):
                mean += weight * key
                total_weight += abs(weight)
            elif key in self:
                mean += weight * self.get_vector(key, norm=pre_normalize)
                total_weight += abs(weight)
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in the vocabulary of {len(self)} words")
        if total_weight > 0:
            mean = mean / total_weight
        if post_normalize:
            mean = _unit(mean).astype(np.float32)
        return mean

    # ---- similarity -----------------------------------------------------------------------------

    def similarity(self, w1: Key, w2: Key) -> float:
        """Cosine similarity of two keys."""
        return float(np.dot(_unit(self[w1]), _unit(self[w2])))

    def distance(self, w1: Key, w2: Key) -> float:
        """Cosine distance, 1 - similarity."""
        return 1 - self.similarity(w1, w2)

    def n_similarity(self, ws1: Sequence[Key], ws2: Sequence[Key]) -> float:
        """Cosine similarity of the mean vectors of two key sets."""
        if not (len(ws1) and len(ws2)):
            raise ZeroDivisionError("At least one of the passed list is empty.")
        mean1 = self.get_mean_vector(ws1, pre_normalize=False)
        mean2 = self.get_mean_vector(ws2, pre_normalize=False)
        return float(np.dot(_unit(mean1), _unit(mean2)))

    def distances(self, word_or_vector: Key | np.ndarray,
                  other_words: Sequence[Key] = ()) -> np.ndarray:
        """Cosine distances from a key or vector to `other_words` (all keys when empty). As
        gensim, anything not a key (str, int) is a vector: an array, a list or a tuple."""
        vector = (self.get_vector(word_or_vector)
                  if isinstance(word_or_vector, (str, int, np.integer))
                  else np.asarray(word_or_vector, dtype=self.vectors.dtype))
        others = (self.vectors[[self.get_index(word) for word in other_words]]
                  if len(other_words) else self.vectors)
        return 1 - self.cosine_similarities(vector, others)

    def closer_than(self, key1: Key, key2: Key) -> list[str]:
        """Keys closer to key1 than key2 is (key1 itself left out), in vocabulary order."""
        distances = self.distances(key1)
        first, second = self.get_index(key1), self.get_index(key2)
        closer = np.flatnonzero(distances < distances[second])
        return [self.index_to_key[index] for index in closer if index != first]

    def rank(self, key1: Key, key2: Key) -> int:
        """Where key2 comes among the keys nearest to key1: 1 + how many are closer."""
        return len(self.closer_than(key1, key2)) + 1

    def most_similar_to_given(self, key1: Key, keys_list: Sequence[Key]) -> Key:
        """The key of keys_list most similar (cosine) to key1; the first of equals."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    @staticmethod
    def cosine_similarities(vector_1: np.ndarray, vectors_all: np.ndarray) -> np.ndarray:
        """Cosine similarity of one vector with each row of vectors_all."""
        norms = np.linalg.norm(vector_1) * np.linalg.norm(vectors_all, axis=1)
        return np.dot(vectors_all, vector_1) / norms

    def most_similar(
        self,
        positive: WeightedKeys | Key | np.ndarray | None = None,
        negative: WeightedKeys | Key | np.ndarray | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Keys nearest (cosine) to the mean of unit positive minus negative vectors (3CosAdd)."""
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        self.fill_norms()
        clip_end = restrict_vocab or len(self.vectors)
        keys = []
        weight = np.concatenate((np.ones(len(positive)), -np.ones(len(negative))))
        for index, item in enumerate(positive + negative):
            if isinstance(item, tuple):
                keys.append(item[0])
                weight[index] = item[1]
            else:
                keys.append(item)
        mean = self.get_mean_vector(keys, weight, post_normalize=True, ignore_missing=False)
        inputs = [
            self.get_index(key) for key in keys if isinstance(key, str | Integral) and key in self
        ]
        dists = np.dot(self.vectors[:clip_end], mean) / self.norms[:clip_end]
        if not topn:
            return dists
        return self._best(dists, topn, inputs)

    def most_similar_cosmul(
        self,
        positive: Sequence[Key | np.ndarray] | Key | None = None,
        negative: Sequence[Key | np.ndarray] | Key | None = None,
        topn: int | None = 10,
        restrict_vocab: int | None = None,
    ) -> list[tuple[str, float]] | np.ndarray:
        """Nearest keys by the multiplicative objective 3CosMul (Levy and Goldberg, 2014).

        One difference from gensim: a raw vector among `positive` or `negative` is scaled to
        unit length, like a key (whose unit vector is used) and like a raw vector in
        `most_similar` (in gensim too). gensim's `most_similar_cosmul` uses a raw vector as
        given, so its terms are |v| cos rather than the cosines 3CosMul is defined on (shifted
        to [0, 1]): scores change with the vector's length (a key's own vector, passed raw,
        scores (1 + |v|) / 2 against itself there, 1.0 here), and with several terms so can the
        ranking. Keys alone give gensim's scores and ranking.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        positive, negative = _as_list(positive), _as_list(negative)
        self.fill_norms()
        vectors, norms = self.vectors[:restrict_vocab], self.norms[:restrict_vocab]
        inputs = [self.get_index(k) for k in positive + negative if not isinstance(k, np.ndarray)]

        def unit_of(item):
            return _unit(item) if isinstance(item, np.ndarray) else self.get_vector(item, norm=True)

        if not positive:
            raise ValueError("cannot compute similarity with no input")
        # distances shifted to [0, 1] (footnote 7 of the paper)
        pos = [(1 + np.dot(vectors, unit_of(term)) / norms) / 2 for term in positive]
        neg = [(1 + np.dot(vectors, unit_of(term)) / norms) / 2 for term in negative]
        dists = np.prod(pos, axis=0) / (np.prod(neg, axis=0) + 0.000001)
        if not topn:
            return dists
        return self._best(dists, topn, inputs)

    def _best(self, dists: np.ndarray, topn: int, exclude: list[int]) -> list[tuple[str, float]]:
        """Top-n (key, score), highest first, leaving out the query's own keys."""
        count = min(topn + len(exclude), len(dists))
        best = (
            np.argpartition(-dists, count - 1)[:count] if count < len(dists) else np.arange(count)
        )
        best = best[np.argsort(-dists[best], kind="stable")]
        result = [(self.index_to_key[i], float(dists[i])) for i in best if i not in exclude]
        return result[:topn]

    def similar_by_key(self, key: Key, topn: int = 10, restrict_vocab: int | None = None):
        """Keys nearest to one key."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similar_by_vector(
        self, vector: np.ndarray, topn: int = 10, restrict_vocab: int | None = None
    ):
        """Keys nearest to a vector."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def doesnt_match(self, words: Sequence[str]) -> str:
        """The word furthest from the mean of the unit vectors of the (known) words."""
        used = [word for word in words if word in self]
        if not used:
            raise ValueError(
                f"cannot select a word from an empty list: none of {list(words)} is known"
            )
        vectors = np.vstack([self.get_vector(word, norm=True) for word in used]).astype(np.float32)
        mean = self.get_mean_vector(vectors, post_normalize=True)
        dists = np.dot(vectors, mean)
        return sorted(zip(dists, used), reverse=True)[-1][1]

    # ---- evaluation -----------------------------------------------------------------------------

    def _restricted_vocab(self, restrict_vocab: int, case_insensitive: bool) -> dict[str, int]:
        """Top restrict_vocab keys; uppercased, the first (most frequent) case variant wins."""
        ok_keys = self.index_to_key[:restrict_vocab]
        if case_insensitive:
            return {key.upper(): self.get_index(key) for key in reversed(ok_keys)}
        return {key: self.get_index(key) for key in reversed(ok_keys)}

    def evaluate_word_pairs(
        self,
        pairs: str | Path,
        delimiter: str = "\t",
        encoding: str = "utf8",
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        errors: str = "strict",
        counts: dict | None = None,
    ):
        """Correlation with human scores: ((pearson, p), (spearman, p), oov %), as gensim.

        `counts`, when given, is filled with {'used': pairs scored, 'skipped': pairs with an
        out-of-vocabulary word} (gensim logs only the skipped percentage).

        The file is read as every corpus is (`seqlab.nlp.corpora.iter_lines`): `errors` for
        undecodable bytes, a byte-order mark dropped at byte 0; undecodable bytes under
        'strict', UTF-16/32 text and binary data are an EvaluationFileError, no usable pair a
        NoJudgementsError (both ValueErrors, as gensim raises)."""
        ok_vocab = self._restricted_vocab(restrict_vocab, case_insensitive)
        gold, model, oov = [], [], 0
        original, self.key_to_index = self.key_to_index, ok_vocab
        try:
            for line in _file_lines(pairs, encoding, errors):
                if not line or line.startswith("#"):
                    continue
                try:
                    fields = line.split(delimiter)
                    a, b, sim = [f.upper() for f in fields] if case_insensitive else fields
                    sim = float(sim)
                except (ValueError, TypeError):
                    continue  # gensim skips lines it cannot parse
                if a not in ok_vocab or b not in ok_vocab:
                    oov += 1
                    if dummy4unknown:
                        model.append(0.0)
                        gold.append(sim)
                    continue
                gold.append(sim)
                model.append(self.similarity(a, b))
        finally:
            self.key_to_index = original
        if counts is not None:
            counts.update(used=len(gold) - (oov if dummy4unknown else 0), skipped=oov)
        if not gold:
            raise NoJudgementsError(
                f"No valid similarity judgements found in {pairs}: either invalid format or "
                f"all are out-of-vocabulary in a vocabulary of {len(self)} words"
            )
        from scipy import stats  # only here: importing scipy.stats costs ~40 MB and 1 s

        spearman = stats.spearmanr(gold, model)
        pearson = stats.pearsonr(gold, model)
        oov_ratio = float(oov) / (len(gold) if dummy4unknown else len(gold) + oov) * 100
        return pearson, spearman, oov_ratio

    def evaluate_word_analogies(
        self,
        analogies: str | Path,
        restrict_vocab: int = 300000,
        case_insensitive: bool = True,
        dummy4unknown: bool = False,
        errors: str = "strict",
        counts: dict | None = None,
    ) -> tuple[float, list[dict]]:
        """Analogy accuracy a:b :: c:? by 3CosAdd over the top restrict_vocab words, as gensim.

        Returns (accuracy, sections); each section is {'section', 'correct', 'incorrect'}, the last
        one is 'Total accuracy'. The file is read as `evaluate_word_pairs` reads its pairs.
        `counts`, when given, is filled with {'used': questions answered, 'skipped': questions
        with an out-of-vocabulary word} (gensim logs only the skipped percentage).
        """
        ok_vocab = self._restricted_vocab(restrict_vocab, case_insensitive)
        sections: list[dict] = []
        section = None
        skipped = 0
        for line_number, line in enumerate(_file_lines(analogies, "utf8", errors)):
            if line.startswith(": "):
                if section:
                    sections.append(section)
                section = {"section": line.lstrip(": ").strip(), "correct": [], "incorrect": []}
                continue
            if not section:
                raise ValueError(
                    f"Missing section header before line #{line_number} in {analogies}"
                )
            words = [w.upper() for w in line.split()] if case_insensitive else line.split()
            if len(words) != 4:
                continue  # gensim skips invalid lines
            a, b, c, expected = words
            if any(word not in ok_vocab for word in words):
                skipped += 1
                if dummy4unknown:
                    section["incorrect"].append((a, b, c, expected))
                continue
            predicted = self._solve_analogy(a, b, c, ok_vocab, restrict_vocab, case_insensitive)
            outcome = "correct" if predicted == expected else "incorrect"
            section[outcome].append((a, b, c, expected))
        if section:
            sections.append(section)
        total = {
            "section": "Total accuracy",
            "correct": list(itertools.chain.from_iterable(s["correct"] for s in sections)),
            "incorrect": list(itertools.chain.from_iterable(s["incorrect"] for s in sections)),
        }
        answered = len(total["correct"]) + len(total["incorrect"])
        if counts is not None:
            counts.update(used=answered - (skipped if dummy4unknown else 0), skipped=skipped)
        score = len(total["correct"]) / answered if answered else 0.0
        sections.append(total)
        return score, sections

    def _solve_analogy(self, a, b, c, ok_vocab, restrict_vocab, case_insensitive) -> str | None:
        original, self.key_to_index = self.key_to_index, ok_vocab
        try:
            sims = self.most_similar(
                positive=[b, c], negative=[a], topn=5, restrict_vocab=restrict_vocab
            )
        finally:
            self.key_to_index = original
        predicted = None
        for key, _ in sims:
            predicted = key.upper() if case_insensitive else key
            if predicted in ok_vocab and predicted not in {a, b, c}:
                break
        return predicted

    # ---- files ----------------------------------------------------------------------------------

    def save_word2vec_format(self, fname: str | Path, binary: bool = False) -> None:
        """Write word2vec.c text or binary format, most frequent words first if counts are known."""
        if self.counts is None or bool(np.all(self.counts[1:] <= self.counts[:-1])):
            # already in that order (a trained model's is): no reordered copy of the vectors
            write_word2vec_format(fname, self.index_to_key, self.vectors, binary=binary)
            return
        order = np.argsort(-self.counts, kind="stable")
        keys = [self.index_to_key[i] for i in order]
        write_word2vec_format(fname, keys, self.vectors[order], binary=binary)

    @classmethod
    def load_word2vec_format(
        cls,
        fname: str | Path,
        binary: bool | None = False,
        encoding: str = "utf8",
        unicode_errors: str = "strict",
        limit: int | None = None,
        no_header: bool | None = False,
    ) -> "KeyedVectors":
        """Read a word2vec.c text or binary file (binary=None: detect which); a repeated word
        keeps its first vector. The file holds no counts: as gensim 4.4, each word's "count"
        (`get_vecattr`) is a stand-in, the rows read minus the word's index (descending).
        `no_header=True` reads GloVe text (no 'COUNT DIM' line), as gensim; None detects it
        from the first line's shape."""
        keys, vectors = read_word2vec_format(fname, binary, limit, encoding, unicode_errors,
                                             no_header)
        first = {}
        for row, key in enumerate(keys):
            first.setdefault(key, row)
        rows = np.fromiter(first.values(), dtype=np.int64, count=len(first))
        kv = cls(vectors.shape[1])
        kv.index_to_key = list(first)
        kv.key_to_index = {key: index for index, key in enumerate(kv.index_to_key)}
        kv.vectors = vectors[rows]
        kv.counts = len(keys) - np.arange(len(rows), dtype=np.int64)  # gensim's stand-ins
        return kv

    def save(self, fname: str | Path) -> None:
        """Save to one file that `KeyedVectors.load` reads (safetensors, not gensim's pickle:
        see `seqlab.nlp.word2vec.saved`)."""
        from seqlab.nlp.word2vec.saved import save_keyed_vectors

        save_keyed_vectors(self, fname)

    @classmethod
    def load(cls, fname: str | Path) -> "KeyedVectors":
        """Read a file written by `KeyedVectors.save`."""
        from seqlab.nlp.word2vec.saved import load_keyed_vectors

        return load_keyed_vectors(fname, cls)

    def __repr__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"
