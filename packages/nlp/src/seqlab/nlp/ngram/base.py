"""The backoff n-gram model every smoothing method estimates: scoring, sampling, saving.

Every model here ends up in ARPA's backoff form: for each listed n-gram a log probability and,
when it is a context, a log backoff weight. Interpolated models (Kneser-Ney, Witten-Bell) are
exactly representable that way (the backoff weight is the interpolation weight), so a model and
its ARPA file give the same numbers. All log probabilities are natural logs.
"""

from __future__ import annotations

import json
import math
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from seqlab.autograd.atomic import atomic_write
from seqlab.nlp.ngram import kernels
from seqlab.nlp.ngram.counting import NgramTable, count_ngrams
from seqlab.nlp.ngram.full_scores import WordScores, word_scores
from seqlab.nlp.ngram.kenlm_split import kenlm_split
from seqlab.nlp.ngram.mark import checked_tokenization
from seqlab.nlp.ngram.sentences import (
    SPACE,
    ContinuedLine,
    LineTokens,
    as_sentences,
    training_sentences,
    whole_sentences,
)
from seqlab.nlp.ngram.vocabulary import (
    BOS,
    BOS_ID,
    EOS,
    EOS_ID,
    UNK,
    UNK_ID,
    encode_corpus,
    pad_sentences,
)

SAVE_FORMAT = "seqlab-ngram"
SCORE_BLOCK_TOKENS = 1 << 20  # tokens scored per kernel call when a stream is scored
LN10 = math.log(10.0)
# log zero: -inf, or at most ARPA's log10 -99 (KenLM writes log zero so, and reads it back)
ZERO_LOGPROB = -99.0 * LN10


def zero_probabilities(logprobs: np.ndarray, unk_listed: bool) -> int:
    """How many of `logprobs` (natural logs) are log zero: -inf or at most ARPA's log10 -99
    (a sum with it: a backoff to a zero). Where an ARPA file lists no <unk>, an unknown word
    gets log10 -100 (KenLM's OOV score, which its perplexity "including OOVs" counts as a
    number): there only -inf and exactly -99 are log zero."""
    if unk_listed:
        return int(np.count_nonzero(logprobs <= ZERO_LOGPROB * (1 - 1e-9)))
    return int(np.count_nonzero(np.isneginf(logprobs)
                                | np.isclose(logprobs, ZERO_LOGPROB, rtol=1e-9, atol=0.0)))


def log_backoff_weights(weights: np.ndarray, is_context: np.ndarray) -> np.ndarray:
    """log of each context's backoff weight; 0 (weight 1) for rows that are not contexts."""
    out = np.zeros(len(weights))
    with np.errstate(divide="ignore"):
        np.log(weights, out=out, where=is_context)
    return out


class NgramLanguageModel:
    """A fitted backoff n-gram model of any order (the base of every smoothing method)."""

    #: Stupid Backoff's per-step log penalty; None for real (normalised) models.
    constant_backoff: float | None = None
    unk_listed: bool = True  # False: an ARPA file without <unk> (see `zero_probabilities`)
    #: How the training text was tokenized (`{"level": "word"|"whitespace"|"char",
    #: "lowercase": bool}`), saved with the model (.npz header, ARPA mark line) so that text
    #: to score is read the same way; None where unknown (set it after `fit`).
    tokenization: dict | None = None
    #: Whether `fit` was given str sentences, each its characters (" " a token too): a str
    #: to score is then read the same way (kept in memory only).
    str_is_characters: bool = False
    #: Whether the model was read from an ARPA file without seqlab's mark (another tool's,
    #: or seqlab's older): a str is then read by characters where the file is seqlab's
    #: character level (`holds_seqlab_characters`), else split on whitespace, as KenLM reads it.
    written_elsewhere: bool = False
    _line_tokens: LineTokens | None = None  # reads a str by `tokenization` (sentence_tokens)
    _line_tokens_from: dict | None = None  # a copy of the tokenization it was built from
    _single_characters: bool | None = None  # whether the vocabulary is single characters
    _registry: ClassVar[dict[str, type[NgramLanguageModel]]] = {}

    def __init__(self, order: int, unk_cutoff: int = 1) -> None:
        if not isinstance(order, int) or order < 1:
            raise ValueError(f"order must be an integer >= 1, got {order!r}")
        if not isinstance(unk_cutoff, int) or unk_cutoff < 1:
            raise ValueError(f"unk_cutoff must be an integer >= 1, got {unk_cutoff!r}")
        self.order = order
        self.unk_cutoff = unk_cutoff
        self.vocab: list[str] = []
        self._index: dict[str, int] = {}
        self._keys: list[np.ndarray] = []
        self._logprob: list[np.ndarray] = []
        self._logbackoff: list[np.ndarray] = []
        self._flat: tuple[np.ndarray, ...] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        NgramLanguageModel._registry[cls.__name__] = cls

    # ---- estimation -------------------------------------------------------------------------

    def fit(self, sentences: Iterable[Sequence[str]]) -> NgramLanguageModel:
        """Count the n-grams of `sentences` (lists of tokens; a str sentence in the list is
        its characters, for a character-level model) and estimate the model. One str in
        place of the sentences is one sentence split on whitespace, as lmplz reads text
        and as `perplexity` reads one str for a word model."""
        sentences = list(whole_sentences(training_sentences(sentences)))
        # fitted on str sentences (their characters): a str to score is characters too
        self.str_is_characters = any(isinstance(s, str) for s in sentences)
        vocab, padded, position = encode_corpus(sentences, self.unk_cutoff)
        if len(padded) == 0:
            raise ValueError("cannot fit an n-gram model on an empty corpus")
        tables = count_ngrams(padded, position, self.order, len(vocab))
        return self.fit_counts(vocab, tables)

    def fit_external(self, sentences: Iterable[Sequence[str]], memory_bytes: int,
                     scratch_dir: str | Path | None = None) -> NgramLanguageModel:
        """`fit` for corpora larger than memory: one pass over `sentences` (any iterable, e.g.
        streamed from disk), counting in `memory_bytes` with sorted runs spilled to
        `scratch_dir`; the same model as `fit` (see `ngram.external`), a bare str read as
        `fit` reads it."""
        from seqlab.nlp.ngram.external import count_ngrams_external

        vocab, tables = count_ngrams_external(training_sentences(sentences), self.order,
                                              self.unk_cutoff, memory_bytes, scratch_dir)
        logprob, logbackoff = self._estimate(tables, len(vocab))
        keys = [table.keys for table in tables]
        del tables  # counts, parents and suffixes go before the flat tables are built
        self._set_tables(vocab, keys, logprob, logbackoff)
        return self

    def fit_counts(self, vocab: list[str], tables: list[NgramTable]) -> NgramLanguageModel:
        """Estimate the model from counted tables (`count_ngrams`'s layout) over `vocab`."""
        logprob, logbackoff = self._estimate(tables, len(vocab))
        self._set_tables(vocab, [table.keys for table in tables], logprob, logbackoff)
        return self

    def _estimate(
        self, tables: list[NgramTable], vocab_size: int
    ) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Log probability and log backoff of every row of every table (a smoothing method)."""
        raise NotImplementedError

    def config(self) -> dict[str, Any]:
        """The constructor arguments (saved with the model)."""
        return {"order": self.order, "unk_cutoff": self.unk_cutoff}

    def _set_tables(self, vocab: list[str], keys: list[np.ndarray], logprob: list[np.ndarray],
                    logbackoff: list[np.ndarray]) -> None:
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        offsets[1:] = np.cumsum([len(k) for k in keys])
        flat = []
        for arrays, dtype in ((keys, np.int64), (logprob, np.float64), (logbackoff, np.float64)):
            joined = np.empty(offsets[-1], dtype=dtype)
            for n, array in enumerate(arrays):
                joined[offsets[n]:offsets[n + 1]] = array
            flat.append(joined)
        self._set_flat_tables(vocab, *flat, offsets)

    def _set_flat_tables(self, vocab: list[str], flat_keys: np.ndarray,
                         flat_logprob: np.ndarray, flat_logbackoff: np.ndarray,
                         offsets: np.ndarray) -> None:
        """Adopt tables already laid end to end (order n at offsets[n - 1]:offsets[n])."""
        self.vocab = list(vocab)
        self._index = {token: i for i, token in enumerate(self.vocab)}
        self._single_characters = None  # found again, on first need, for this vocabulary
        flat = (flat_keys, flat_logprob, flat_logbackoff)
        # each order's table is a view of the flat one the kernels read: held once
        self._keys, self._logprob, self._logbackoff = (
            [joined[offsets[n]:offsets[n + 1]] for n in range(len(offsets) - 1)]
            for joined in flat)
        self._flat = (*flat, offsets)

    def _require_fitted(self) -> tuple[np.ndarray, ...]:
        if self._flat is None:
            raise RuntimeError(f"this {type(self).__name__} is not fitted yet: call fit() first")
        return self._flat

    # ---- lookup -----------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        """Number of tokens, <unk>, <s> and </s> included."""
        return len(self.vocab)

    @property
    def counts(self) -> list[int]:
        """Number of listed n-grams of each order (as in an ARPA header)."""
        return [len(k) for k in self._keys]

    def token_id(self, token: str) -> int:
        """Id of `token` (the id of <unk> for a token outside the vocabulary)."""
        return self._index.get(token, self._index.get(UNK, UNK_ID))

    def _ids(self, tokens: Sequence[str | int]) -> np.ndarray:
        get, unk = self._index.get, self._index.get(UNK, UNK_ID)
        ids = [t if isinstance(t, (int, np.integer)) else get(t, unk) for t in tokens]
        array = np.asarray(ids, dtype=np.int64)
        if array.size and (array.min() < 0 or array.max() >= self.vocab_size):
            raise ValueError(f"token ids must be in [0, {self.vocab_size}), got {tokens!r}")
        return array

    def _context_ids(self, context: Sequence[str | int] | str) -> np.ndarray:
        """Ids of `context` (a str read as `sentence_tokens` reads a sentence); a sentence
        that ended with </s> starts again at <s>."""
        ids = self._ids(self.sentence_tokens(context))
        ends = np.flatnonzero(ids == self._index.get(EOS, EOS_ID))
        if len(ends):
            ids = np.concatenate(([self._index.get(BOS, BOS_ID)], ids[ends[-1] + 1 :]))
        return ids

    def logprob(self, word: str, context: Sequence[str] | str = ()) -> float:
        """Natural-log probability of `word` after `context` (tokens, or a str read as
        `sentence_tokens` reads a sentence: split on whitespace for a word model; '<s>'
        marks a start)."""
        keys, logprob, logbackoff, offsets = self._require_fitted()
        context_ids = self._context_ids(context)
        state, state_length = kernels.context_state(context_ids, self.vocab_size, keys, offsets)
        new_state = np.empty_like(state)
        use_constant = self.constant_backoff is not None
        return float(kernels.step(
            state, state_length, int(self._ids([word])[0]), self.vocab_size, keys, logprob,
            logbackoff, offsets, self.constant_backoff or 0.0, use_constant, new_state,
        ))

    def log10prob(self, word: str, context: Sequence[str] | str = ()) -> float:
        """Base-10 log probability of `word` after `context` (as ARPA files and KenLM print)."""
        return self.logprob(word, context) / LN10

    def next_token_logprobs(self, context: Sequence[str | int] | str = ()) -> np.ndarray:
        """Natural-log probabilities of every vocabulary entry after `context` (tokens or ids,
        or a str read as `sentence_tokens` reads a sentence).

        Pass `['<s>', ...]` to condition on a sentence start; an empty context gives the unigram
        distribution. <s> itself is never predicted (log probability -inf).
        """
        keys, _, _, offsets = self._require_fitted()
        context_ids = self._context_ids(context)
        state, state_length = kernels.context_state(context_ids, self.vocab_size, keys, offsets)
        result = self._logprob[0].copy()
        vocab_size = self.vocab_size
        for length in range(1, state_length + 1):
            row = int(state[length - 1])
            if row < 0:
                if self.constant_backoff is not None:
                    result += self.constant_backoff
                continue
            if self.constant_backoff is not None:
                result += self.constant_backoff
            else:
                result += self._logbackoff[length - 1][row]
            children = self._keys[length]
            lo, hi = np.searchsorted(children, [row * vocab_size, (row + 1) * vocab_size])
            result[children[lo:hi] - row * vocab_size] = self._logprob[length][lo:hi]
        if self.constant_backoff is not None:  # scores, not probabilities: normalise to sample
            result = result - np.logaddexp.reduce(result)
        return result

    # ---- scoring ----------------------------------------------------------------------------

    def _padded_logprobs(self, sentences: Iterable[Sequence[str]]) -> tuple[np.ndarray, int]:
        self._require_fitted()
        get, unk = self._index.get, self._index.get(UNK, UNK_ID)
        flat: list[int] = []
        lengths: list[int] = []
        for sentence in sentences:
            ids = [get(token, unk) for token in self.sentence_tokens(sentence)]
            flat.extend(ids)
            lengths.append(len(ids))
        bos, eos = self._index.get(BOS, BOS_ID), self._index.get(EOS, EOS_ID)
        padded, position = pad_sentences(np.asarray(flat, dtype=np.int64),
                                         np.asarray(lengths, dtype=np.int64), bos, eos)
        return self._score_ids(padded, position == 0), len(flat) + len(lengths)

    def _score_ids(self, padded: np.ndarray, is_start: np.ndarray) -> np.ndarray:
        """Log probability of every id of `padded` given its sentence so far (0 where
        `is_start`, a sentence's <s>; a literal <s> elsewhere is scored as a word, as
        `full_scores` and KenLM score it)."""
        keys, logprob, logbackoff, offsets = self._require_fitted()
        use_constant = self.constant_backoff is not None
        return kernels.score_padded(padded, is_start, self.vocab_size, keys, logprob,
                                    logbackoff, offsets, self.constant_backoff or 0.0,
                                    use_constant, self._index.get(BOS, BOS_ID))

    def _continued_logprobs(self, parts: Iterator[Sequence[str]]) -> Iterator[np.ndarray]:
        """Log probabilities of one sentence given as consecutive parts (a long line's
        `ContinuedLine`s and its last part): each part's tokens, then `</s>`, scored a part
        at a time with the last order - 1 ids before it as context (the state a whole
        sentence would have there), so the numbers are the whole sentence's."""
        get, unk = self._index.get, self._index.get(UNK, UNK_ID)
        width = self.order - 1
        context = np.array([self._index.get(BOS, BOS_ID)], dtype=np.int64)
        context_start = np.ones(1, dtype=np.bool_)  # which of `context` is the sentence's <s>
        for part in parts:
            ids = np.fromiter((get(token, unk) for token in part), dtype=np.int64)
            padded = np.concatenate((context, ids))
            is_start = np.concatenate((context_start, np.zeros(len(ids), dtype=np.bool_)))
            yield self._score_ids(padded, is_start)[len(context):]
            keep = max(0, len(padded) - width) if width else len(padded)
            context, context_start = padded[keep:], is_start[keep:]
        eos = np.array([self._index.get(EOS, EOS_ID)], dtype=np.int64)
        yield self._score_ids(np.concatenate((context, eos)),
                              np.concatenate((context_start, [False])))[-1:]

    def sentence_tokens(self, sentence: Sequence[str] | str) -> Sequence[str]:
        """The tokens of one sentence to score: a list as it is; a str read as the model's
        training text was read (its characters when `fit` was given str sentences; else
        its recorded `tokenization`: words, whitespace-separated tokens or characters),
        or, where none is recorded, split on whitespace as KenLM's `Model.score` does. An
        ARPA file without seqlab's mark (`written_elsewhere`) is read by characters, a space
        spelled U+2581, as `seqlab ngram eval` reads it, only where it holds seqlab's character
        level (`holds_seqlab_characters`: seqlab's files before it marked them); another
        tool's file of single characters (KenLM's character models hold space-separated
        characters) is split at spaces as KenLM does. A str for an in-memory model of single
        characters that records no tokenization (fitted on lists, or loaded from an older
        .npz) is refused (ValueError): nothing says how its training text was read."""
        if not isinstance(sentence, str):
            return sentence
        if self.str_is_characters:
            return list(sentence)
        if self.tokenization is not None:
            return self._tokenization_reader()(sentence)
        if self.written_elsewhere:
            if self.holds_seqlab_characters():
                return self._unmarked_char_reader(sentence)
            return kenlm_split(sentence)
        if self._vocab_is_single_characters():
            raise ValueError(
                "a str sentence for a seqlab model of single characters that records no "
                "tokenization (how its training text was read): pass a list of tokens, as "
                "training read its text, or set model.tokenization to the level and "
                "lowercasing it was trained with (`seqlab ngram train` records them)")
        return kenlm_split(sentence)

    @staticmethod
    def _unmarked_char_reader(sentence: str) -> Sequence[str]:
        """A str's tokens at the character level (no lowercasing), as the CLI reads text for
        an unmarked ARPA file of single characters."""
        return LineTokens("char", False)(sentence)

    def _tokenization_reader(self) -> LineTokens:
        """The reader of `tokenization`, checked and built once (again only when the
        attribute is given another value or changed in place)."""
        if self._line_tokens is None or self._line_tokens_from != self.tokenization:
            self._line_tokens = LineTokens(**checked_tokenization(self.tokenization))
            self._line_tokens_from = dict(self.tokenization)
        return self._line_tokens

    def holds_seqlab_characters(self) -> bool:
        """Whether the vocabulary is seqlab's character level: single characters (besides
        <s>, </s> and <unk>), U+2581 among them, the space as seqlab spells it (an ARPA token
        cannot hold a space). What tells seqlab's unmarked character files from another
        tool's: KenLM's character models hold space-separated characters and no U+2581. A
        seqlab character model trained on text without a single space holds no U+2581
        either: pass such a model a list of characters."""
        return self._vocab_is_single_characters() and SPACE in self._index

    def _vocab_is_single_characters(self) -> bool:
        """Whether every token but <s>, </s> and <unk> is one character (a scan of the
        vocabulary once per vocabulary, not once per sentence)."""
        if self._single_characters is None:
            words = [w for w in self.vocab if w not in (BOS, EOS, UNK)]
            self._single_characters = bool(words) and all(len(w) == 1 for w in words)
        return self._single_characters

    def score(self, sentence: Sequence[str] | str, bos: bool = True, eos: bool = True) -> float:
        """Total natural-log probability of one sentence, with <s> before it and </s> after:
        a list of tokens, or a str read as `sentence_tokens` says (as KenLM's
        `Model.score("the cat sat", bos=True, eos=True)`, in natural logs: divide by ln 10
        for KenLM's log10). `bos=False` starts from an empty context, not the sentence
        start; `eos=False` leaves out </s>. Always the sum of `full_scores` (in natural
        logs), as KenLM's: a literal <s> inside the sentence is a word, never predicted (log
        zero: the score is -inf), as KenLM scores it and as training refuses it."""
        if bos and eos:
            logprobs, _ = self._padded_logprobs([sentence])
            return float(logprobs.sum())
        return float(self._word_scores(sentence, bos, eos).logprobs.sum())

    def full_scores(self, sentence: Sequence[str] | str, bos: bool = True,
                    eos: bool = True) -> Iterator[tuple[float, int, bool]]:
        """KenLM's `Model.full_scores`: for each word of one sentence (then </s> when `eos`),
        (log10 probability, length of the n-gram it was found in, whether it is out of the
        vocabulary). Base-10 logs, as KenLM prints them (`score` is in natural logs); the
        sentence is read as `score` reads it."""
        scores = self._word_scores(sentence, bos, eos)
        for logprob, length, oov in zip(scores.logprobs.tolist(), scores.ngram_lengths.tolist(),
                                        scores.oov.tolist(), strict=True):
            yield logprob / LN10, length, oov

    def _word_scores(self, sentence: Sequence[str] | str, bos: bool, eos: bool) -> WordScores:
        return word_scores(self, self.sentence_tokens(sentence), bos, eos)

    def sentence_logprobs(self, sentences: Iterable[Sequence[str]] | str) -> np.ndarray:
        """Total natural-log probability of each sentence (with <s> / </s> padding); one str
        is one sentence (as KenLM's `Model.score` takes it), read as `sentence_tokens` says."""
        sentences = [self.sentence_tokens(s) for s in whole_sentences(as_sentences(sentences))]
        logprobs, _ = self._padded_logprobs(sentences)
        lengths = np.array([len(s) + 2 for s in sentences], dtype=np.int64)
        starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        return np.add.reduceat(logprobs, starts) if len(sentences) else np.zeros(0)

    def perplexity(self, sentences: Iterable[Sequence[str]] | str) -> float:
        """exp(-mean log probability) over every token and one </s> per sentence (as KenLM).

        One str is one sentence, as KenLM's `Model.perplexity("the cat sat")` takes it (read
        as `sentence_tokens` says: a char-level model reads its characters); several go in a
        list.

        Out-of-vocabulary tokens count, scored as <unk>. Infinite when some token has zero
        probability (log10 -99 in an ARPA file, as KenLM writes log zero).
        """
        return self.perplexity_detail(sentences)[0]

    def perplexity_detail(self, sentences: Iterable[Sequence[str]] | str
                          ) -> tuple[float, int, int]:
        """(perplexity, tokens scored, tokens of zero probability) in one pass: perplexity is
        inf when any token has zero probability. One str is one sentence (`perplexity`)."""
        if self.constant_backoff is not None:
            raise TypeError(
                f"{type(self).__name__} gives scores, not probabilities: perplexity is undefined"
            )
        n_tokens = n_zero = 0

        def values() -> Iterator[float]:
            nonlocal n_tokens, n_zero
            for block in sentence_batches(as_sentences(sentences), SCORE_BLOCK_TOKENS):
                if isinstance(block, ContinuedSentence):  # a long line, a part at a time
                    # (tokens, count): each part's tokens, then </s>, all counted
                    pieces: Iterable[tuple[np.ndarray, int]] = (
                        (logprobs, len(logprobs))
                        for logprobs in self._continued_logprobs(block.parts))
                else:
                    pieces = (self._padded_logprobs(block),)
                for logprobs, count in pieces:
                    n_tokens += count
                    n_zero += zero_probabilities(logprobs, self.unk_listed)
                    yield from logprobs.tolist()

        # fsum over the stream: the same correctly rounded total as over one list of them all
        total = math.fsum(values())
        if n_tokens == 0:
            raise ValueError("perplexity needs at least one sentence")
        if n_zero:
            return math.inf, n_tokens, n_zero
        return math.exp(-total / n_tokens), n_tokens, 0

    # ---- generation -------------------------------------------------------------------------

    def generate(self, n: int, seed: int | None = None, temperature: float = 1.0,
                 context: Sequence[str] | str | None = None) -> list[str]:
        """Sample `n` tokens (a sentence end appears as '</s>', after which a new one starts).

        `temperature=0` picks the most likely token each time; `context` defaults to ['<s>']
        (a str is read as `sentence_tokens` reads a sentence: split on whitespace for a word
        model).
        """
        if n < 0:
            raise ValueError(f"n must be >= 0, got {n}")
        if not (temperature >= 0 and math.isfinite(temperature)):
            raise ValueError(f"temperature must be a finite number >= 0, got {temperature}")
        rng = np.random.default_rng(seed)
        bos = self._index.get(BOS, BOS_ID)
        history = (list(self._ids(self.sentence_tokens(context))) if context is not None
                   else [bos])
        window = max(self.order - 1, 0)
        tokens: list[str] = []
        for _ in range(n):
            # the last order - 1 ids; all of them while the history is shorter than that
            logprobs = self.next_token_logprobs(history[max(len(history) - window, 0):]
                                                if window else [])
            if temperature == 0:
                choice = int(np.argmax(logprobs))
            else:
                scaled = logprobs / temperature
                probs = np.exp(scaled - scaled.max())
                choice = int(rng.choice(len(probs), p=probs / probs.sum()))
            tokens.append(self.vocab[choice])
            history = [bos] if self.vocab[choice] == EOS else [*history, choice]
        return tokens

    # ---- files ------------------------------------------------------------------------------

    def save_arpa(self, path: str | Path) -> None:
        """Write the model as an ARPA file (log10 probabilities and backoffs), KenLM/SRILM-ready.

        Log zero (an MLE model's unseen events, the zero backoff of its seen contexts) is
        written -99, ARPA's convention: the file (KenLM, `load_arpa`) scores such an event
        about -99 per zero instead of -inf; perplexity stays infinite (see `perplexity`)."""
        from seqlab.nlp.ngram.arpa import write_arpa

        if self.constant_backoff is not None:
            raise TypeError(f"{type(self).__name__} gives scores, not probabilities: "
                            "it has no ARPA form (save it as .npz instead)")
        flat_keys = self._require_fitted()[0]
        write_arpa(path, self.vocab, self._keys, self._logprob, self._logbackoff,
                   flat_keys=flat_keys, tokenization=self.tokenization)

    def save(self, path: str | Path) -> None:
        """Save to one .npz file (arrays plus a JSON header; no pickle), read back by `load`."""
        self._require_fitted()
        header = {"format": SAVE_FORMAT, "version": 1, "class": type(self).__name__,
                  "config": self.config(), "vocab": self.vocab}
        if self.tokenization is not None:
            header["tokenization"] = checked_tokenization(self.tokenization)
        arrays: dict[str, np.ndarray] = {"header": np.array(json.dumps(header))}
        for n, (k, p, b) in enumerate(zip(self._keys, self._logprob, self._logbackoff), 1):
            arrays[f"keys_{n}"], arrays[f"logprob_{n}"], arrays[f"logbackoff_{n}"] = k, p, b
        with atomic_write(path, "wb") as file:
            np.savez(file, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> NgramLanguageModel:
        """Load a model written by `save` (any smoothing method)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"n-gram model file not found: {path}")
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                if header.get("format") != SAVE_FORMAT:
                    raise ValueError("not a seqlab n-gram model")
                if header.get("version", 1) != 1:
                    raise ValueError(f"format version {header.get('version')!r} is not one this "
                                     "seqlab reads (1); upgrade seqlab")
                model_class = cls._registry[header["class"]]
                model = model_class(**header["config"])
                order = len([name for name in data.files if name.startswith("keys_")])
                model._set_tables(
                    header["vocab"],
                    [data[f"keys_{n}"] for n in range(1, order + 1)],
                    [data[f"logprob_{n}"] for n in range(1, order + 1)],
                    [data[f"logbackoff_{n}"] for n in range(1, order + 1)],
                )
                if header.get("tokenization") is not None:
                    model.tokenization = checked_tokenization(header["tokenization"])
        except (ValueError, KeyError, OSError, TypeError, json.JSONDecodeError, EOFError,
                zipfile.BadZipFile) as error:
            raise ValueError(f"{path} is not a seqlab n-gram model file ({error})") from error
        return model

    def __repr__(self) -> str:
        fitted = f", vocab_size={self.vocab_size}, counts={self.counts}" if self._flat else ""
        return f"{type(self).__name__}(order={self.order}{fitted})"


class ContinuedSentence:
    """One sentence that came as `sentences.ContinuedLine` parts: `parts` yields them and
    its last part, read from the stream as they are consumed (consume them before the next
    block of `sentence_batches`)."""

    def __init__(self, first: Sequence[str], rest: Iterator[Sequence[str]]) -> None:
        self.parts = self._parts(first, rest)

    @staticmethod
    def _parts(first: Sequence[str], rest: Iterator[Sequence[str]]) -> Iterator[Sequence[str]]:
        yield first
        for part in rest:
            yield part
            if not isinstance(part, ContinuedLine):
                return


def sentence_batches(sentences: Iterable[Sequence[str]],
                     block_tokens: int) -> Iterator[list[Sequence[str]] | ContinuedSentence]:
    """Consecutive lists of `sentences` holding about `block_tokens` tokens each (streamed);
    a sentence that comes in `ContinuedLine` parts comes alone, as a `ContinuedSentence`."""
    iterator = iter(sentences)
    batch: list[Sequence[str]] = []
    tokens = 0
    for sentence in iterator:
        if isinstance(sentence, ContinuedLine):
            if batch:
                yield batch
                batch, tokens = [], 0
            continued = ContinuedSentence(sentence, iterator)
            yield continued
            for _ in continued.parts:  # what the consumer left: not another sentence's
                pass
            continue
        batch.append(sentence)
        tokens += len(sentence) + 2
        if tokens >= block_tokens:
            yield batch
            batch, tokens = [], 0
    if batch:
        yield batch
