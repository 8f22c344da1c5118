"""Vocabulary for word2vec: counting, min_count / max_vocab_size, subsampling thresholds,
the unigram^ns_exponent table for negative sampling and the Huffman tree for hierarchical softmax.

Every rule follows gensim 4 (``Word2Vec.scan_vocab`` / ``prepare_vocab`` / ``make_cum_table`` /
``_assign_binary_codes``) so that the same corpus gives the same vocabulary, order and tables.
"""

import heapq
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

CUM_TABLE_DOMAIN = 2**31 - 1
# What a trim_rule(word, count, min_count) returns: gensim.utils' values, so either's work
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2
TrimRule = Callable[[str, int, int], int]


@dataclass
class VocabCounts:
    """Word counts of a corpus scan, in first-seen order.

    `scan_vocab` keeps every word in `counts`; `counting.count_words` only those seen min_count
    times and the number of distinct words in `distinct_words`.
    """

    counts: dict[str, int]
    total_words: int
    sentence_count: int
    distinct_words: int | None = None

    @property
    def distinct(self) -> int:
        """Distinct words of the corpus (after any max_vocab_size pruning)."""
        return len(self.counts) if self.distinct_words is None else self.distinct_words


def refuse_str_sentence(sentence) -> None:
    """TypeError for a sentence given as one str (it would count its characters as words)."""
    if isinstance(sentence, str):
        raise TypeError(
            "each sentence must be a list of tokens, got a str: split your text into words "
            "(or pass corpus_file= for a text file with one sentence per line)"
        )


def keep_vocab_item(word: str, count: int, min_count: int,
                    trim_rule: TrimRule | None = None) -> bool:
    """gensim's rule: keep a word seen min_count times, unless `trim_rule` says RULE_KEEP or
    RULE_DISCARD for it."""
    default = count >= min_count
    if trim_rule is None:
        return default
    rule = trim_rule(word, count, min_count)
    if rule == RULE_KEEP:
        return True
    if rule == RULE_DISCARD:
        return False
    return default


def scan_vocab(sentences: Iterable[list[str]], max_vocab_size: int | None = None,
               trim_rule: TrimRule | None = None) -> VocabCounts:
    """Count words; above max_vocab_size distinct words, prune the rarest (gensim's rule, with
    its trim_rule)."""
    counts: Counter[str] = Counter()
    total_words = 0
    sentence_count = 0
    min_reduce = 1
    for sentence in sentences:
        refuse_str_sentence(sentence)
        counts.update(sentence)
        total_words += len(sentence)
        sentence_count += 1
        if max_vocab_size and len(counts) > max_vocab_size:
            # gensim's utils.prune_vocab: drop counts < min_reduce, raise the bar each time
            for word in [w for w, c in counts.items()
                         if not keep_vocab_item(w, c, min_reduce, trim_rule)]:
                del counts[word]
            min_reduce += 1
    return VocabCounts(dict(counts), total_words, sentence_count)


@dataclass
class Vocabulary:
    """Final vocabulary sorted by descending count, with the training tables."""

    index_to_key: list[str]
    counts: np.ndarray  # int64 (V,)
    sample_ints: np.ndarray  # int64 (V,): keep a word when sample_int >= a 32-bit random draw
    retained_words: int  # corpus words kept by min_count
    effective_min_count: int  # min_count, raised by max_final_vocab (gensim's name)


def build_vocabulary(raw: VocabCounts, min_count: int, sample: float,
                     max_final_vocab: int | None = None, trim_rule: TrimRule | None = None,
                     sorted_vocab: bool = True) -> Vocabulary:
    """gensim's prepare_vocab: keep the words seen min_count times (raised so that at most
    max_final_vocab stay; trim_rule overrides it word by word), sort them by descending count
    (ties as gensim) unless not sorted_vocab (first-seen order), set subsampling thresholds.

    `raw` needs the count of every word a trim_rule might keep (all of them, given one);
    otherwise those seen min_count times are enough."""
    effective = effective_min_count(raw, min_count, max_final_vocab)
    kept = [(word, count) for word, count in raw.counts.items()
            if keep_vocab_item(word, count, effective, trim_rule)]
    counts = np.array([count for _, count in kept], dtype=np.int64)
    # gensim's sort_by_descending_frequency: lexsort((-indices, -counts))
    order = (np.lexsort((-np.arange(len(kept)), -counts)) if sorted_vocab
             else np.arange(len(kept)))
    index_to_key = [kept[i][0] for i in order]
    counts = counts[order]
    retained = int(counts.sum())
    return Vocabulary(index_to_key, counts, sample_thresholds(counts, sample, retained), retained,
                      effective)


def effective_min_count(raw: VocabCounts, min_count: int, max_final_vocab: int | None) -> int:
    """min_count, or more where max_final_vocab asks (gensim's rule: one more than the count
    of the word ranked max_final_vocab by count, so that ties never straddle the limit).

    The word at that rank is among `raw.counts` whenever its count could matter: a word
    seen fewer than min_count times gives a bar below min_count."""
    if max_final_vocab is None or max_final_vocab >= raw.distinct:
        return min_count
    ranked = sorted(raw.counts.values(), reverse=True)
    bar = ranked[max_final_vocab] + 1 if max_final_vocab < len(ranked) else 1
    return max(bar, min_count)


def sample_thresholds(counts: np.ndarray, sample: float, retained_words: int) -> np.ndarray:
    """gensim's keep probability (sqrt(c/t) + 1) * t/c, capped at 1, scaled to 32-bit integers."""
    if not sample:
        threshold = float(retained_words)
    elif sample < 1.0:
        threshold = sample * retained_words
    else:  # sample >= 1: downsample words seen more than `sample` times
        threshold = float(int(sample * (3 + np.sqrt(5)) / 2))
    result = np.empty(len(counts), dtype=np.int64)
    for index, count in enumerate(counts.tolist()):
        probability = min((np.sqrt(count / threshold) + 1) * (threshold / count), 1.0)
        result[index] = int(np.uint32(probability * (2**32 - 1)))
    return result


def make_cum_table(counts: np.ndarray, ns_exponent: float) -> np.ndarray:
    """Cumulative unigram^ns_exponent table scaled to 2**31 - 1, drawn from by bisection (int64)."""
    if len(counts) == 0:
        return np.zeros(0, dtype=np.int64)
    powered = counts.astype(np.float64) ** float(ns_exponent)
    # sequential sums, rounded half-to-even like gensim's Python loop
    cumulative = np.cumsum(powered)
    return np.round(cumulative / cumulative[-1] * CUM_TABLE_DOMAIN).astype(np.int64)


class _HeapItem(NamedTuple):
    count: int
    index: int
    left: "_HeapItem | None"
    right: "_HeapItem | None"

    def __lt__(self, other: "_HeapItem") -> bool:  # type: ignore[override]
        return self.count < other.count


@dataclass
class HuffmanTree:
    """Per-word paths, padded: codes (0/1), points (inner-node rows of syn1), code lengths."""

    codes: np.ndarray  # int8 (V, max_depth)
    points: np.ndarray  # int64 (V, max_depth)
    codelens: np.ndarray  # int64 (V,)


def build_huffman_tree(counts: np.ndarray) -> HuffmanTree:
    """Huffman tree over word counts, built like gensim's _build_heap / _assign_binary_codes."""
    vocab_size = len(counts)
    heap = [_HeapItem(int(c), i, None, None) for i, c in enumerate(counts.tolist())]
    heapq.heapify(heap)
    for inner in range(vocab_size - 1):
        first, second = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(
            heap, _HeapItem(first.count + second.count, inner + vocab_size, first, second)
        )
    paths: list[tuple[list[int], list[int]]] = [([], [])] * vocab_size
    stack = [(heap[0], [], [])] if heap else []
    while stack:
        node, codes, points = stack.pop()
        if node.index < vocab_size:
            paths[node.index] = (codes, points)
        else:
            points = [*points, node.index - vocab_size]
            stack.append((node.left, [*codes, 0], points))
            stack.append((node.right, [*codes, 1], points))
    max_depth = max((len(c) for c, _ in paths), default=0)
    tree = HuffmanTree(
        np.zeros((vocab_size, max(max_depth, 1)), dtype=np.int8),
        np.zeros((vocab_size, max(max_depth, 1)), dtype=np.int64),
        np.zeros(vocab_size, dtype=np.int64),
    )
    for index, (codes, points) in enumerate(paths):
        tree.codes[index, : len(codes)] = codes
        tree.points[index, : len(points)] = points
        tree.codelens[index] = len(codes)
    return tree


@dataclass
class VocabularyUpdate:
    """A vocabulary grown by a new corpus (`update_vocabulary`)."""

    index_to_key: list[str]  # the old words, then the new ones in first-seen order
    counts: np.ndarray  # int64 (V,): old counts plus the new corpus's
    sample_ints: np.ndarray  # int64 (V,): recomputed for the words the new corpus keeps
    effective_min_count: int


def update_vocabulary(index_to_key: list[str], counts: np.ndarray, sample_ints: np.ndarray,
                      raw: VocabCounts, min_count: int, sample: float,
                      max_final_vocab: int | None = None,
                      trim_rule: TrimRule | None = None) -> VocabularyUpdate:
    """gensim's prepare_vocab(update=True): the words of `raw` (every count of the new corpus)
    that its rules keep are appended when new; every word's count grows by its count in `raw`
    (kept or not); the kept words' subsampling is set from `raw`'s counts, the others keep
    theirs; nothing is re-sorted."""
    effective = effective_min_count(raw, min_count, max_final_vocab)
    known = {key: index for index, key in enumerate(index_to_key)}
    index_to_key = list(index_to_key)
    retained: list[str] = []
    for word, count in raw.counts.items():
        if keep_vocab_item(word, count, effective, trim_rule):
            retained.append(word)
            if word not in known:
                known[word] = len(index_to_key)
                index_to_key.append(word)
    grown = np.zeros(len(index_to_key), dtype=np.int64)
    grown[:len(counts)] = counts
    grown += np.array([raw.counts.get(word, 0) for word in index_to_key], dtype=np.int64)
    thresholds = np.zeros(len(index_to_key), dtype=np.int64)
    thresholds[:len(sample_ints)] = sample_ints
    retained_counts = np.array([raw.counts[word] for word in retained], dtype=np.int64)
    rows = np.array([known[word] for word in retained], dtype=np.int64)
    thresholds[rows] = sample_thresholds(retained_counts, sample, int(retained_counts.sum()))
    return VocabularyUpdate(index_to_key, grown, thresholds, effective)
