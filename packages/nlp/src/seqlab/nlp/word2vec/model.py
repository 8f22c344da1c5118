"""Word2Vec: skip-gram and CBOW training with gensim's constructor names and semantics.

Sentences are encoded to word indices in the calling thread, in chunks of about ``batch_words``
words; ``workers`` threads train the chunks with the Numba kernel, which releases the GIL, all
updating the same matrices without locks (Hogwild). With ``workers=1`` a single thread takes the
chunks in corpus order, so a fixed seed repeats training bit for bit.
"""

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.nlp.word2vec.corpus import LineSentences
from seqlab.nlp.word2vec.counting import count_words
from seqlab.nlp.word2vec.encoded import EncodedSentences
from seqlab.nlp.word2vec.keyedvectors import KeyedVectors
from seqlab.nlp.word2vec.vocab import (
    TrimRule,
    VocabCounts,
    build_huffman_tree,
    build_vocabulary,
    make_cum_table,
    scan_vocab,
    update_vocabulary,
)

Sentences = Iterable[Sequence[str]]


class _Chunk:
    """A job: word indices of some sentences, their end offsets, raw words and learning rates."""

    __slots__ = ("alpha_end", "alpha_start", "ends", "raw_words", "words")

    def __init__(self, words, ends, raw_words, alpha_start, alpha_end):
        self.words, self.ends, self.raw_words = words, ends, raw_words
        self.alpha_start, self.alpha_end = alpha_start, alpha_end


class _WorkerState:
    """Per-thread random state and scratch vectors."""

    def __init__(self, next_random: int, vector_size: int):
        self.next_random = next_random
        self.work = np.zeros(vector_size, dtype=np.float32)
        self.neu1 = np.zeros(vector_size, dtype=np.float32)


class EmptyVocabularyError(ValueError):
    """No word of the corpus occurs `min_count` times (`build_vocab` keeps none)."""

    def __init__(self, min_count: int, total_words: int, distinct: int) -> None:
        super().__init__(f"no word occurs min_count={min_count} times in the corpus "
                         f"({total_words} words, {distinct} distinct): lower min_count")
        self.min_count, self.total_words, self.distinct = min_count, total_words, distinct


class Word2Vec:
    """word2vec (Mikolov et al. 2013) trained on CPU threads; vectors end up in ``self.wv``.

    Callbacks are objects with any of ``on_epoch_end(model, epoch, loss, words_per_sec)`` (loss is
    the epoch's float64 loss sum, or None unless compute_loss) and
    ``on_progress(model, words_done, total_words)`` (raw words, all epochs).

    Difference from gensim: the default is ``sg=1`` (skip-gram) where gensim's is ``sg=0``
    (CBOW). Pass ``sg=0`` for gensim's default; seqlab's benchmarks and users rely on skip-gram
    as the default, so it stays. Every other argument of gensim 4.4's constructor is here with
    its default and meaning (max_final_vocab, trim_rule, sorted_vocab, shrink_windows, comment
    included), but two refused with one line when set: ``null_word`` (a padding pseudo-word)
    and ``hashfxn`` (gensim 4's Word2Vec keeps it only for its deprecated ``seeded_vector``).
    """

    def __init__(
        self,
        sentences: Sentences | None = None,
        corpus_file: str | Path | None = None,
        vector_size: int = 100,
        alpha: float = 0.025,
        window: int = 5,
        min_count: int = 5,
        max_vocab_size: int | None = None,
        sample: float = 1e-3,
        seed: int = 1,
        workers: int = 3,
        min_alpha: float = 0.0001,
        sg: int = 1,
        hs: int = 0,
        negative: int = 5,
        ns_exponent: float = 0.75,
        cbow_mean: int = 1,
        hashfxn: Callable[[str], int] = hash,
        epochs: int = 5,
        null_word: int = 0,
        trim_rule: TrimRule | None = None,
        sorted_vocab: int = 1,
        batch_words: int = 10000,
        compute_loss: bool = False,
        callbacks: Sequence[Any] = (),
        comment: str | None = None,
        max_final_vocab: int | None = None,
        shrink_windows: bool = True,
    ):
        if sentences is not None and corpus_file is not None:
            raise ValueError("pass either sentences or corpus_file, not both")
        _refuse_unsupported(hashfxn, null_word)
        if max_final_vocab is not None and max_final_vocab < 1:
            raise ValueError(f"max_final_vocab must be >= 1 or None, got {max_final_vocab}")
        if vector_size < 1 or window < 1 or workers < 1 or epochs < 1 or negative < 0:
            raise ValueError(
                "vector_size, window, workers and epochs must be >= 1 and negative >= 0, got "
                f"vector_size={vector_size}, window={window}, workers={workers}, "
                f"epochs={epochs}, negative={negative}"
            )
        if not hs and not negative:
            raise ValueError("set hs=1 or negative > 0: with neither there is nothing to train")
        self.vector_size, self.alpha, self.min_alpha = vector_size, alpha, min_alpha
        self.window, self.min_count, self.max_vocab_size = window, min_count, max_vocab_size
        self.sample, self.seed, self.workers = sample, seed, workers
        self.sg, self.hs, self.negative = int(bool(sg)), int(bool(hs)), negative
        self.ns_exponent, self.cbow_mean, self.epochs = ns_exponent, int(bool(cbow_mean)), epochs
        self.batch_words, self.compute_loss, self.callbacks = batch_words, compute_loss, callbacks
        self.sorted_vocab, self.max_final_vocab = int(bool(sorted_vocab)), max_final_vocab
        self.shrink_windows, self.comment = bool(shrink_windows), comment
        self.effective_min_count = min_count  # raised by max_final_vocab in build_vocab
        self.wv = KeyedVectors(vector_size)
        self.syn1neg = np.zeros((0, vector_size), dtype=np.float32)
        self.syn1 = np.zeros((0, vector_size), dtype=np.float32)
        self.cum_table = np.zeros(0, dtype=np.int64)
        self.cum_guide = np.zeros(1, dtype=np.int64)
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.running_training_loss = 0.0
        self._random = np.random.default_rng(seed)
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file=corpus_file, trim_rule=trim_rule)
            self.train(
                sentences,
                corpus_file=corpus_file,
                total_examples=self.corpus_count,  # gensim's constructor passes both counts
                total_words=self.corpus_total_words,
                epochs=epochs,
                compute_loss=compute_loss,
                callbacks=callbacks,
            )

    # ---- vocabulary -----------------------------------------------------------------------------

    def build_vocab(self, corpus_iterable: Sentences | None = None, corpus_file=None,
                    update: bool = False, trim_rule: TrimRule | None = None) -> None:
        """Scan the corpus, keep words seen min_count times and initialise the weights.

        As gensim: `trim_rule(word, count, min_count)` returns RULE_KEEP, RULE_DISCARD or
        RULE_DEFAULT for each word (used here only, never stored); the model's
        max_final_vocab raises min_count to keep at most that many words; sorted_vocab=0
        keeps first-seen order. `update=True` grows a built vocabulary with this corpus's
        words, as gensim's online update (`vocab.update_vocabulary`): new words are appended
        with fresh vectors, and the corpus counts become this corpus's, for `train`."""
        if update and not len(self.wv):
            raise ValueError("build_vocab(update=True) grows a vocabulary: build one first "
                             "with build_vocab(sentences)")
        sentences = _sentences(corpus_iterable, corpus_file)
        if self.max_vocab_size:  # gensim's pruning, on a dict of every word
            raw = scan_vocab(sentences, self.max_vocab_size, trim_rule)
        else:  # same counts in compact arrays (~30 bytes a distinct word, not ~100); a
            # trim_rule may keep any word, and an update adds every count: then all are kept
            every = trim_rule is not None or update
            raw = count_words(sentences, 1 if every else self.min_count)
        if update:
            self._update_vocab(raw, trim_rule)
            return
        vocab = build_vocabulary(raw, self.min_count, self.sample, self.max_final_vocab,
                                 trim_rule, bool(self.sorted_vocab))
        if not vocab.index_to_key:
            raise EmptyVocabularyError(vocab.effective_min_count, raw.total_words, raw.distinct)
        self.corpus_count, self.corpus_total_words = raw.sentence_count, raw.total_words
        self.effective_min_count = vocab.effective_min_count
        del raw
        self.sample_ints = vocab.sample_ints
        self.wv = KeyedVectors(self.vector_size)
        self.wv.index_to_key = vocab.index_to_key
        self.wv.key_to_index = {key: index for index, key in enumerate(vocab.index_to_key)}
        self.wv.counts = vocab.counts
        self.wv.vectors = _initial_vectors(len(vocab.index_to_key), self.vector_size, self.seed)
        vocab_size = len(vocab.index_to_key)
        self.cum_table = make_cum_table(vocab.counts, self.ns_exponent)
        self.cum_guide = _kernels().make_cum_guide(self.cum_table)
        tree = build_huffman_tree(vocab.counts if self.hs else vocab.counts[:0])
        self.codes, self.points, self.codelens = tree.codes, tree.points, tree.codelens
        layer_rows = vocab_size if self.hs else 0
        self.syn1 = np.zeros((layer_rows, self.vector_size), dtype=np.float32)
        negative_rows = vocab_size if self.negative else 0
        self.syn1neg = np.zeros((negative_rows, self.vector_size), dtype=np.float32)

    def _update_vocab(self, raw: VocabCounts, trim_rule: TrimRule | None) -> None:
        """gensim's build_vocab(update=True) after the scan: the vocabulary grown, the tables
        rebuilt over every count, new rows as gensim's prep_vectors gives them (rows of
        default_rng(seed) over the whole grown shape) and zero output rows."""
        update = update_vocabulary(self.wv.index_to_key, self.wv.counts, self.sample_ints, raw,
                                   self.min_count, self.sample, self.max_final_vocab, trim_rule)
        self.corpus_count, self.corpus_total_words = raw.sentence_count, raw.total_words
        self.effective_min_count = update.effective_min_count
        old_size, vocab_size = len(self.wv), len(update.index_to_key)
        self.wv.index_to_key = update.index_to_key
        self.wv.key_to_index = {key: index for index, key in enumerate(update.index_to_key)}
        self.wv.counts, self.sample_ints = update.counts, update.sample_ints
        if vocab_size > old_size:
            fresh = _initial_vectors(vocab_size, self.vector_size, self.seed)[old_size:]
            self.wv.vectors = np.vstack([self.wv.vectors, fresh])
            zeros = np.zeros((vocab_size - old_size, self.vector_size), dtype=np.float32)
            if self.hs:
                self.syn1 = np.vstack([self.syn1, zeros])
            if self.negative:
                self.syn1neg = np.vstack([self.syn1neg, zeros])
        self.wv.norms = None
        self.cum_table = make_cum_table(update.counts, self.ns_exponent)
        self.cum_guide = _kernels().make_cum_guide(self.cum_table)
        tree = build_huffman_tree(update.counts if self.hs else update.counts[:0])
        self.codes, self.points, self.codelens = tree.codes, tree.points, tree.codelens

    # ---- training -------------------------------------------------------------------------------

    def train(
        self,
        corpus_iterable: Sentences | None = None,
        corpus_file: str | Path | None = None,
        total_examples: int | None = None,
        total_words: int | None = None,
        epochs: int | None = None,
        start_alpha: float | None = None,
        end_alpha: float | None = None,
        compute_loss: bool | None = None,
        callbacks: Sequence[Any] = (),
    ) -> tuple[int, int]:
        """Train for `epochs` passes; returns (effective words trained, raw words seen).

        The learning rate falls linearly over total_examples sentences per epoch when given (as
        gensim), else over total_words raw words (default: the corpus scanned by build_vocab).
        """
        if not len(self.wv):
            raise ValueError(
                "build the vocabulary first: call build_vocab(sentences) before train()"
            )
        sentences = _sentences(corpus_iterable, corpus_file)
        epochs = self.epochs if epochs is None else epochs
        if compute_loss is not None:
            self.compute_loss = compute_loss
        if not total_examples:  # as gensim, a sentence count given takes precedence over words
            total_words = total_words or self.corpus_total_words
        if not total_words and not total_examples:
            raise ValueError("pass total_words or total_examples so the learning rate can decay")
        schedule = _AlphaSchedule(
            self.alpha if start_alpha is None else start_alpha,
            self.min_alpha if end_alpha is None else end_alpha,
            epochs,
        )
        states = [
            _WorkerState(int(self._random.integers(0, 2**48)), self.vector_size)
            for _ in range(self.workers)
        ]
        self.running_training_loss = 0.0
        trained = raw = 0
        for epoch in range(epochs):
            started = time.perf_counter()
            effective, raw_epoch, loss = self._train_epoch(
                sentences, epoch, total_words, total_examples, schedule, states, callbacks, raw
            )
            trained, raw = trained + effective, raw + raw_epoch
            self.running_training_loss += loss
            words_per_sec = effective / max(time.perf_counter() - started, 1e-9)
            for callback in callbacks:
                if hasattr(callback, "on_epoch_end"):
                    callback.on_epoch_end(
                        self, epoch, loss if self.compute_loss else None, words_per_sec
                    )
        self.wv.norms = None
        return trained, raw

    def get_latest_training_loss(self) -> float:
        """Loss summed over the last train() call (compute_loss=True), as gensim."""
        return self.running_training_loss

    def _train_epoch(
        self, sentences, epoch, total_words, total_examples, schedule, states, callbacks, raw_before
    ) -> tuple[int, int, float]:
        jobs: queue.Queue = queue.Queue(maxsize=2 * self.workers)
        results: queue.Queue = queue.Queue()
        threads = [
            threading.Thread(target=self._worker, args=(jobs, results, state), daemon=True)
            for state in states
        ]
        for thread in threads:
            thread.start()
        totals = {"effective": 0, "raw": 0, "loss": 0.0, "pending": 0}
        grand_total = (total_words or self.corpus_total_words) * schedule.epochs
        try:
            done_words = done_sentences = 0
            for words, ends, raw_words, sentence_count in self._encoded_chunks(sentences):
                start = schedule.alpha(
                    epoch, done_words, done_sentences, total_words, total_examples
                )
                done_words += raw_words
                done_sentences += sentence_count
                end = schedule.alpha(epoch, done_words, done_sentences, total_words, total_examples)
                jobs.put(_Chunk(words, ends, raw_words, start, end))
                totals["pending"] += 1
                self._collect(results, totals, callbacks, raw_before, grand_total, block=False)
        finally:
            for _ in threads:
                jobs.put(None)
        while totals["pending"]:
            self._collect(results, totals, callbacks, raw_before, grand_total, block=True)
        for thread in threads:
            thread.join()
        return totals["effective"], totals["raw"], totals["loss"]

    def _collect(self, results, totals, callbacks, raw_before, grand_total, block) -> None:
        """Tally finished chunks (re-raising a worker's error) and report progress."""
        while totals["pending"]:
            try:
                outcome = results.get(block=block)
            except queue.Empty:
                return
            totals["pending"] -= 1
            if isinstance(outcome, BaseException):
                raise outcome
            effective, raw_words, loss = outcome
            totals["effective"] += effective
            totals["raw"] += raw_words
            totals["loss"] += loss
            for callback in callbacks:
                if hasattr(callback, "on_progress"):
                    callback.on_progress(self, raw_before + totals["raw"], grand_total)
            block = False

    def _worker(self, jobs: queue.Queue, results: queue.Queue, state: _WorkerState) -> None:
        failed = False
        while (chunk := jobs.get()) is not None:
            if failed:  # keep draining so the producer never blocks on a full queue
                results.put(RuntimeError("word2vec worker stopped after an earlier error"))
                continue
            try:
                state.next_random, effective, loss = _kernels().train_chunk(
                    self.wv.vectors, self.syn1neg, self.syn1, chunk.words, chunk.ends,
                    self.sample_ints, self.cum_table, self.cum_guide, self.codes, self.points,
                    self.codelens, self.sg, self.negative, self.hs, self.window, self.cbow_mean,
                    chunk.alpha_start, chunk.alpha_end, state.next_random, state.work, state.neu1,
                    self.compute_loss, self.shrink_windows,
                )  # fmt: skip
                results.put((int(effective), chunk.raw_words, float(loss)))
            except BaseException as error:
                failed = True
                results.put(error)

    def _encoded_chunks(
        self, sentences: Sentences
    ) -> Iterator[tuple[np.ndarray, np.ndarray, int, int]]:
        """Yield (word indices, sentence ends, raw words, sentences), ~batch_words words each."""
        if isinstance(sentences, EncodedSentences):  # already indices: no per-word Python work
            yield from sentences.chunks(self.batch_words)
            return
        get = self.wv.key_to_index.get
        words: list[int] = []
        ends: list[int] = []
        raw_words = sentence_count = 0
        for sentence in sentences:
            if isinstance(sentence, str):
                raise TypeError("each sentence must be a list of tokens, got a str")
            words.extend([index for index in map(get, sentence) if index is not None])
            ends.append(len(words))
            raw_words += len(sentence)
            sentence_count += 1
            if len(words) >= self.batch_words:
                yield np.array(words, np.int64), np.array(ends, np.int64), raw_words, sentence_count
                words, ends, raw_words, sentence_count = [], [], 0, 0
        if sentence_count:
            yield np.array(words, np.int64), np.array(ends, np.int64), raw_words, sentence_count

    # ---- files --------------------------------------------------------------------------------

    def save(self, fname: str | Path) -> None:
        """Save the whole model, to train on or query after `Word2Vec.load` (one safetensors
        file, not gensim's pickle: see `seqlab.nlp.word2vec.saved`)."""
        from seqlab.nlp.word2vec.saved import save_model

        save_model(self, fname)

    @classmethod
    def load(cls, fname: str | Path) -> "Word2Vec":
        """Read a model written by `Word2Vec.save`."""
        from seqlab.nlp.word2vec.saved import load_model

        return load_model(fname, cls)

    def __repr__(self) -> str:
        return (
            f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
            f"sg={self.sg}, hs={self.hs}, negative={self.negative}, window={self.window}>"
        )


def _refuse_unsupported(hashfxn: Callable[[str], int], null_word: int) -> None:
    """One line for gensim arguments seqlab does not implement (never accepted and ignored)."""
    if null_word:
        raise ValueError("null_word is not supported: gensim adds a '\\0' pseudo-word for "
                         "padding to the vocabulary; leave null_word=0")
    if hashfxn is not hash:
        raise ValueError("hashfxn is not supported: gensim 4's Word2Vec keeps it only for its "
                         "deprecated seeded_vector(); vectors start from numpy's "
                         "default_rng(seed) in both; leave hashfxn=hash")


class _AlphaSchedule:
    """gensim's linear decay from start to end over all epochs (never below end).

    Progress counts sentences when a sentence total is known (gensim's precedence: its constructor
    passes both totals), else raw words.
    """

    def __init__(self, start: float, end: float, epochs: int):
        self.start, self.end, self.epochs = start, end, epochs

    def alpha(self, epoch, done_words, done_sentences, total_words, total_examples) -> float:
        if total_examples:
            epoch_progress = done_sentences / total_examples
        else:
            epoch_progress = done_words / total_words
        progress = (epoch + epoch_progress) / self.epochs
        return max(self.end, self.start - (self.start - self.end) * progress)


def _sentences(corpus_iterable: Sentences | None, corpus_file: str | Path | None) -> Sentences:
    """The training input: an iterable of token lists, or the lines of corpus_file."""
    if (corpus_iterable is None) == (corpus_file is None):
        raise ValueError(
            "pass exactly one of corpus_iterable (token lists) or corpus_file (a path)"
        )
    if corpus_file is not None:
        return LineSentences(corpus_file)
    if isinstance(corpus_iterable, Iterator):
        raise TypeError(
            "sentences must be re-iterable (a list or an object with __iter__), not a one-shot "
            "iterator or generator: training reads the corpus once per epoch"
        )
    return corpus_iterable


def _initial_vectors(count: int, vector_size: int, seed: int) -> np.ndarray:
    """gensim's prep_vectors: uniform in [-1, 1) / vector_size from default_rng(seed), float32."""
    rng = np.random.default_rng(seed=seed)
    vectors = rng.random((count, vector_size), dtype=np.float32)
    vectors *= 2.0
    vectors -= 1.0
    vectors /= vector_size
    return vectors


def _kernels():
    """The Numba kernels, imported on first use (importing Numba costs ~60 MB resident, which
    a caller that only counts or loads vectors does not need)."""
    from seqlab.nlp.word2vec import kernels

    return kernels
