"""The BPE training merge loop in plain Python, for corpora whose distinct words are few.

The same algorithm as `bpe_kernels.train_merges` (linked lists over the distinct words'
symbols, pair counts updated per occurrence, a lazy max-heap, ties to the smallest pair of ids), so
the same merges in the same order; without Numba, whose import and LLVM start-up add ~130 MB of
resident memory and ~3 s, more than this loop costs on up to a few hundred thousand symbols.
"""

from __future__ import annotations

import heapq
from array import array
from collections import defaultdict
from collections.abc import Sequence

_DEAD = -1


def train_merges(symbols: Sequence[int], word_lengths: Sequence[int],
                 word_counts: Sequence[int], n_merges: int, min_frequency: int,
                 first_new_id: int) -> list[tuple[int, int]]:
    """Learn up to n_merges merges as (left, right) symbol ids, equal to
    `bpe_kernels.train_merges` on the same arguments (any sequences of ints: `array.array`s,
    lists or ndarrays; no NumPy is imported, which saves ~20 MB resident)."""
    base = first_new_id + n_merges
    lengths = [int(length) for length in word_lengths]
    n = sum(lengths)
    # machine integers (array.array), not lists of int objects (~36 bytes an entry); 4 bytes
    # for positions and symbols where they fit
    code = "i" if max(n, base) < 2**31 else "q"
    sym = array(code, symbols[:n])
    nxt = array(code, range(1, n + 1))
    prv = array(code, range(-1, n - 1))
    # a word's count fits 4 bytes below 2**31 occurrences (a corpus of billions of words)
    counts_of_words = [int(count) for count in word_counts]
    weight_code = "i" if max(counts_of_words, default=0) < 2**31 else "q"
    weight = array(weight_code)
    start = 0
    for length, count in zip(lengths, counts_of_words, strict=True):
        if length:
            nxt[start + length - 1] = -1
            prv[start] = -1
            weight.extend(array(weight_code, (count,)) * length)
            start += length
    del lengths, counts_of_words

    counts: defaultdict[int, int] = defaultdict(int)
    where: defaultdict[int, array] = defaultdict(lambda: array(code))  # pair -> positions, FIFO
    for p in range(n):
        q = nxt[p]
        if q != -1:
            key = sym[p] * base + sym[q]
            counts[key] += weight[p]
            where[key].append(p)
    # heap entries are one int each, -count * 2**shift + key (ordered as the pair (-count, key):
    # 0 <= key < 2**shift), not a tuple of two: ~90 bytes less an entry
    shift = (base * base).bit_length()
    mask = (1 << shift) - 1
    heap = [(-count << shift) | key for key, count in counts.items()]
    heapq.heapify(heap)

    merges: list[tuple[int, int]] = []
    while len(merges) < n_merges:
        best_key, best_count = -1, 0
        while heap:
            entry = heapq.heappop(heap)
            negative_count, key = entry >> shift, entry & mask
            current = counts.get(key, 0)
            if current == -negative_count:
                best_key, best_count = key, current
                break
            if 0 < current < -negative_count:  # stale-high entry: requeue at its true count
                heapq.heappush(heap, (-current << shift) | key)
        if best_key < 0 or best_count <= 0 or best_count < min_frequency:
            break
        left, right = divmod(best_key, base)
        new = first_new_id + len(merges)
        merges.append((left, right))
        touched: dict[int, None] = {}
        occurrences = where[best_key]
        # the Numba kernel walks a FIFO list that grows as it goes: an index does the same
        i = 0
        while i < len(occurrences):
            p = occurrences[i]
            i += 1
            q = nxt[p]
            if sym[p] != left or q == -1 or sym[q] != right:
                continue  # stale: this occurrence was consumed by an earlier merge
            w = weight[p]
            before, after = prv[p], nxt[q]
            if before != -1:
                counts[sym[before] * base + left] -= w
                key = sym[before] * base + new
                counts[key] += w
                touched[key] = None
                where[key].append(before)
            if after != -1:
                counts[right * base + sym[after]] -= w
                key = new * base + sym[after]
                counts[key] += w
                touched[key] = None
                where[key].append(p)
            counts[best_key] -= w
            sym[p] = new
            sym[q] = _DEAD
            nxt[p] = after
            if after != -1:
                prv[after] = p
        del where[best_key]
        for key in touched:
            count = counts[key]
            if count > 0:
                heapq.heappush(heap, (-count << shift) | key)
    return merges

