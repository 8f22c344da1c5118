"""`out = a @ b` for the LSTM loops' per-step products, by broadcast tiles with no reductions.

`rows_gemm` computes each output as a dot product: sixteen vector sums per 4 x 4 tile, then a
horizontal add of every one of them, which at dot products 256 long (the LSTM forward at
H = 256) costs a fifth of the product (83 GFLOP/s against 105 at depth 1024, AMD EPYC Zen 4).
Here b is (K, M) with contiguous rows (W_hh^T in the forward, W_hh in the backward) and every
output tile is `ROWS` rows of `COLS` vectors: at each k, `ROWS` broadcast loads of a and `COLS`
vector loads of b's row k feed ROWS * COLS fused multiply-adds into accumulators that stay in
registers over all of K, then are stored once. Numba cannot express a vector accumulator (its
loop vectorizer only vectorizes the k loop, as reductions, and spilled a generated 4 x 32
scalar tile at 6 GFLOP/s), so the tile is an LLVM IR intrinsic of explicit `<lanes x float>`
vectors (`llvm.fmuladd`: one FMA instruction each on an FMA target); LLVM lowers those to the
widest registers of Numba's target (`cpu_features`: zmm with AVX-512, two ymm each on AVX2, where
the tile is halved to fit 16 registers). Targets without FMA keep BLAS (`panels_pay`).
Plain-NumPy bodies under NUMBA_DISABLE_JIT=1 (`panel_gemm_reference` is the reference).
CPU time, one thread, AMD EPYC Zen 4, batch 32, float32, with W packed into panels once per
layer call (`pack_panels`): 112-115 GFLOP/s at H = 128 / 256 / 512 forward and backward,
against 74-106 for `rows_gemm` and 53-82 for OpenBLAS; at batch 1 12.5 us against OpenBLAS's
15.5 us GEMV (H = 256).
"""

import numpy as np
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import intrinsic

from .cpu_features import has_fma, vector_bytes

VECTOR_BYTES = vector_bytes()  # 64 with AVX-512, else 32
FMA = has_fma()
ROWS = 4
COLS = 4 if VECTOR_BYTES >= 64 else 2  # ROWS * COLS accumulators + COLS loads fit the registers
# With 32-byte vectors a row below a multiple of ROWS (batch 1-3) spans this many panels:
# ROWS * COLS independent FMA chains like the full tile's, where one panel's row has only COLS
# (2 chains of 4-5 cycle FMAs on 2 ports: a fifth of an AVX2 core's peak). Two rows span half
# as many. Under an emulated AVX2 target on Zen 4 (benchmarks/small_batch_panels.py, H = 128):
# 2.4 us a row against 3.5, 2.5 us two rows against 7.0. With AVX-512 a row's 4 zmm chains
# are as fast as 16 (the one-row product is bound by loading the panels), so one panel.
ROW_PANELS = ROWS if VECTOR_BYTES < 64 else 1
PAIR_PANELS = max(ROW_PANELS // 2, 1)


def panel_gemm_reference(a, b):
    """a @ b (the plain-NumPy reference)."""
    return a @ b


def lanes_of(dtype) -> int:
    """Vector lanes of a dtype at this host's vector width."""
    return VECTOR_BYTES // np.dtype(dtype).itemsize


def _tile_codegen(context, builder, signature, args, ROWS=ROWS, start=False,
                  transposed_out=False, panels=1):
    """IR of out[n0:n0+ROWS, m0:m0+COLS*lanes] = a[n0:n0+ROWS, :depth] @ b[:depth, m0:...]
    (`start`: + c[n0:n0+ROWS, m0:...], c the 4th argument, any strides: out itself to
    accumulate, a bias broadcast with row stride 0). `a` may have any strides (its element
    [n, k] is read at n * strides[0] + k * strides[1]); b, out and c need unit column strides.
    `transposed_out`: the tile is stored as out[m0:m0+COLS*lanes, n0:n0+ROWS] (its transpose).
    A 3-D b is `pack_panels`' array and the tile spans its `panels` panels m0 .. m0+panels-1
    (out's columns m0*width .. (m0+panels)*width, width = COLS*lanes): `panels` times the
    accumulators, each still summed over k in order (the same bits as one panel at a time)."""
    a_type, b_type, out_type = signature.args[:3]
    a_arr = context.make_array(a_type)(context, builder, args[0])
    b_arr = context.make_array(b_type)(context, builder, args[1])
    out_arr = context.make_array(out_type)(context, builder, args[2])
    if start:
        c_arr = context.make_array(signature.args[3])(context, builder, args[3])
        args = (*args[:3], *args[4:])
    n0, m0, depth = args[3], args[4], args[5]
    scalar = context.get_value_type(out_type.dtype)
    lanes = VECTOR_BYTES // (4 if out_type.dtype == types.float32 else 8)
    cols = COLS * panels  # accumulators per row
    vector = ir.VectorType(scalar, lanes)
    int64 = ir.IntType(64)
    itemsize = ir.Constant(int64, 4 if out_type.dtype == types.float32 else 8)
    suffix = f"v{lanes}f{32 if out_type.dtype == types.float32 else 64}"
    fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector] * 3),
                                         f"llvm.fmuladd.{suffix}")

    def row_pointer(arr, row, column):
        """Address of arr[row, column] for an array with contiguous rows."""
        stride = cgutils.unpack_tuple(builder, arr.strides, 2)[0]
        base = builder.ptrtoint(arr.data, int64)
        offset = builder.add(builder.mul(row, stride), builder.mul(column, itemsize))
        return builder.add(base, offset)

    a_rows = [row_pointer(a_arr, builder.add(n0, ir.Constant(int64, r)), ir.Constant(int64, 0))
              for r in range(ROWS)]
    a_step = cgutils.unpack_tuple(builder, a_arr.strides, 2)[1]
    if b_type.ndim == 2:  # one panel (or any matrix with contiguous rows)
        b_stride = cgutils.unpack_tuple(builder, b_arr.strides, 2)[0]
        b_start = row_pointer(b_arr, ir.Constant(int64, 0), m0)
        panel_stride = ir.Constant(int64, 0)  # unused
    else:  # b[p, k, j]: panel p's row k
        panel_stride, b_stride, _ = cgutils.unpack_tuple(builder, b_arr.strides, 3)
        b_start = builder.add(builder.ptrtoint(b_arr.data, int64), builder.mul(m0, panel_stride))
        m0 = builder.mul(m0, ir.Constant(int64, COLS * lanes))  # out's first column
    zero = ir.Constant(vector, [ir.Constant(scalar, 0.0)] * lanes)
    undef = ir.Constant(vector, ir.Undefined)
    broadcast_mask = ir.Constant(ir.VectorType(ir.IntType(32), lanes), [0] * lanes)
    vector_bytes_ = ir.Constant(int64, VECTOR_BYTES)

    initial = [[zero] * cols for _ in range(ROWS)]
    if start:  # the accumulators start from c's tile (loaded before the loop)
        for r in range(ROWS):
            c_row = row_pointer(c_arr, builder.add(n0, ir.Constant(int64, r)), m0)
            for c in range(cols):
                address = builder.add(c_row, builder.mul(ir.Constant(int64, c), vector_bytes_))
                initial[r][c] = builder.load(builder.inttoptr(address, vector.as_pointer()),
                                             align=4 if lanes == 16 else 8)
    entry = builder.basic_block
    loop = builder.append_basic_block("panel.loop")
    done = builder.append_basic_block("panel.done")
    builder.branch(loop)
    builder.position_at_end(loop)
    k = builder.phi(int64)
    k.add_incoming(ir.Constant(int64, 0), entry)
    sums = [[builder.phi(vector) for _ in range(cols)] for _ in range(ROWS)]
    for r, row in enumerate(sums):
        for c, total in enumerate(row):
            total.add_incoming(initial[r][c], entry)
    b_row = builder.add(b_start, builder.mul(k, b_stride))
    b_vectors = []
    for c in range(cols):
        panel_row = builder.add(b_row, builder.mul(ir.Constant(int64, c // COLS), panel_stride))
        address = builder.add(panel_row, ir.Constant(int64, (c % COLS) * VECTOR_BYTES))
        pointer = builder.inttoptr(address, vector.as_pointer())
        b_vectors.append(builder.load(pointer, align=4 if lanes == 16 else 8))
    k_offset = builder.mul(k, a_step)
    new_sums = []
    for r in range(ROWS):
        pointer = builder.inttoptr(builder.add(a_rows[r], k_offset), scalar.as_pointer())
        x = builder.load(pointer)
        x_vector = builder.shuffle_vector(builder.insert_element(undef, x, ir.Constant(
            ir.IntType(32), 0)), undef, broadcast_mask)
        new_sums.append([builder.call(fma, [x_vector, b_vectors[c], sums[r][c]])
                         for c in range(cols)])
    k_next = builder.add(k, ir.Constant(int64, 1))
    tail = builder.basic_block
    k.add_incoming(k_next, tail)
    for r in range(ROWS):
        for c in range(cols):
            sums[r][c].add_incoming(new_sums[r][c], tail)
    builder.cbranch(builder.icmp_signed("<", k_next, depth), loop, done)
    builder.position_at_end(done)
    if transposed_out:  # out[m0 + j, n0:n0 + ROWS] = the tile's column j
        quad = ir.VectorType(scalar, ROWS)
        for c in range(cols):
            for lane in range(lanes):
                column = builder.add(m0, ir.Constant(int64, c * lanes + lane))
                values = ir.Constant(quad, ir.Undefined)
                for r in range(ROWS):
                    value = builder.extract_element(new_sums[r][c], ir.Constant(int64, lane))
                    values = builder.insert_element(values, value, ir.Constant(int64, r))
                address = row_pointer(out_arr, column, n0)
                builder.store(values, builder.inttoptr(address, quad.as_pointer()), align=4)
        return context.get_dummy_value()
    for r in range(ROWS):
        out_row = row_pointer(out_arr, builder.add(n0, ir.Constant(int64, r)), m0)
        for c in range(cols):
            address = builder.add(out_row, builder.mul(ir.Constant(int64, c), vector_bytes_))
            builder.store(new_sums[r][c], builder.inttoptr(address, vector.as_pointer()),
                          align=4 if lanes == 16 else 8)
    return context.get_dummy_value()


@intrinsic
def _tile(typingctx, a, b, out, n0, m0, depth):
    """One ROWS x (COLS * lanes) tile of out = a @ b over `depth` (>= 1) products."""
    signature = types.void(a, b, out, types.int64, types.int64, types.int64)
    return signature, _tile_codegen


@intrinsic
def _row_tile(typingctx, a, b, out, n0, m0, depth):
    """One 1 x (COLS * lanes) tile (the rows below a multiple of ROWS; batch 1)."""
    signature = types.void(a, b, out, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, ROWS=1)


@intrinsic
def _row_tile_panels(typingctx, a, panels, out, n0, p0, depth):
    """One row over `ROW_PANELS` panels from p0: out[n0, p0*width:(p0+ROW_PANELS)*width] =
    a[n0, :depth] @ the panels' columns (the same bits as `_row_tile` per panel)."""
    signature = types.void(a, panels, out, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, ROWS=1, panels=ROW_PANELS)


@intrinsic
def _pair_tile_panels(typingctx, a, panels, out, n0, p0, depth):
    """`_row_tile_panels` of rows n0 and n0 + 1 over PAIR_PANELS panels from p0."""
    signature = types.void(a, panels, out, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, ROWS=2, panels=PAIR_PANELS)


@intrinsic
def _tile_from(typingctx, a, b, out, c, n0, m0, depth):
    """`_tile` plus c's tile: out[tile] = c[tile] + a[rows, :depth] @ b[:depth, cols]."""
    signature = types.void(a, b, out, c, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, start=True)


@intrinsic
def _row_tile_from(typingctx, a, b, out, c, n0, m0, depth):
    """`_tile_from` of one row."""
    signature = types.void(a, b, out, c, types.int64, types.int64, types.int64)
    return signature, lambda *args: _tile_codegen(*args, ROWS=1, start=True)


def _tile_from_python(a, b, out, c, n0, m0, depth, rows=ROWS):
    width = COLS * lanes_of(out.dtype)
    out[n0:n0 + rows, m0:m0 + width] = (c[n0:n0 + rows, m0:m0 + width]
                                        + a[n0:n0 + rows, :depth] @ b[:depth, m0:m0 + width])


def _row_tile_from_python(a, b, out, c, n0, m0, depth):
    _tile_from_python(a, b, out, c, n0, m0, depth, 1)


def _tile_python(a, b, out, n0, m0, depth, rows=ROWS):
    width = COLS * lanes_of(out.dtype)
    out[n0:n0 + rows, m0:m0 + width] = a[n0:n0 + rows, :depth] @ b[:depth, m0:m0 + width]


def _row_tile_python(a, b, out, n0, m0, depth):
    _tile_python(a, b, out, n0, m0, depth, 1)


def _row_tile_panels_python(a, panels, out, n0, p0, depth, rows=1, spanned=ROW_PANELS):
    width = panels.shape[2]
    for p in range(p0, p0 + spanned):
        _tile_python(a, panels[p], out[:, p * width:(p + 1) * width], n0, 0, depth, rows)


def _pair_tile_panels_python(a, panels, out, n0, p0, depth):
    _row_tile_panels_python(a, panels, out, n0, p0, depth, 2, PAIR_PANELS)


if config.DISABLE_JIT:  # the intrinsic has no Python body
    _tile = _tile_python
    _row_tile = _row_tile_python
    _row_tile_panels = _row_tile_panels_python
    _pair_tile_panels = _pair_tile_panels_python
    _tile_from = _tile_from_python
    _row_tile_from = _row_tile_from_python


MIN_BATCH = 4  # below it the time loops keep BLAS: packing W costs more than the panels save
# With 32-byte vectors (AVX2) from batch 1: OpenBLAS's Haswell kernels are slow at few rows
# (W_hh h^T at H = 128, 1 / 2 / 3 rows: 3.7 / 11.4 / 17.5 us against the panels' spanned row
# and pair tiles' 2.4 / 2.5 / 5; benchmarks/small_batch_panels.py), and the whole batch-1 LSTM
# training step (H = 128, T = 64, packing included) took 0.55x the CPU time (config_sweep)
MIN_BATCH_NARROW = 1


def min_panel_batch() -> int:
    """The smallest batch whose time loops take the panels on this target's vector width."""
    return MIN_BATCH if VECTOR_BYTES >= 64 else MIN_BATCH_NARROW


def panels_pay(batch: int) -> bool:
    """Whether a time loop over `batch` sequences packs W_hh into panels (else BLAS per step):
    at batch 1 a panel product takes 12.5 us against OpenBLAS's 15.5 (H = 256), 128 steps
    save 0.4 ms, and packing W_hh^T costs 0.6 ms a layer; AVX2 targets from batch 1
    (`MIN_BATCH_NARROW`). Never on a target without FMA instructions (there the tile's
    multiply-adds run as separate instructions and lose to BLAS)."""
    return batch >= min_panel_batch() and FMA


def panel_columns(columns: int, dtype) -> int:
    """`columns` rounded up to a multiple of the tile's width: the columns a product with
    `pack_panels` of a (K, columns) matrix writes (the last ones zeros)."""
    width = COLS * lanes_of(dtype)
    return -(-columns // width) * width


def panels_shape(depth: int, columns: int, dtype) -> tuple[int, int, int]:
    """The shape of `pack_panels` of a (depth, columns) matrix of `dtype`."""
    width = COLS * lanes_of(dtype)
    return panel_columns(columns, dtype) // width, depth, width


def pack_panels(b):
    """b (K, M) as (ceil(M / width), K, width) panels of the tile's width, zero columns past M.
    One column of tiles reads its panel front to back; from b's own rows (M apart: at M = 1024
    float32 each k is another 4 KiB page, whose lines share a few L1 sets) the same product
    ran at 94-108 GFLOP/s against 114 packed, and at batch 1 three times slower. b may be a
    transposed view (W_hh.T): the copy reads it in blocks (NumPy's strided copy of a
    (256, 1024) W^T took 620 us, more than a batch-1 time loop's products)."""
    panels = np.empty(panels_shape(*b.shape, b.dtype), b.dtype)
    if b.ndim != 2:
        raise ValueError(f"pack_panels: b must be 2-D, got shape {b.shape}")
    if b.strides[0] == b.itemsize:  # a transposed view: read b.T's rows
        pack_transposed_into(b.T, panels)
    else:
        pack_rows_into(b, panels)
    return panels


@njit(cache=True, nogil=True, error_model="numpy")
def pack_rows_into(b, panels):
    """The panels of b (K, M) into `panels` (panels_shape(K, M)): panels[p, k, j] =
    b[k, p * width + j], zeros past b's columns."""
    count, depth, width = panels.shape
    columns = b.shape[1]
    for p in range(count):
        for k in range(depth):
            for j in range(width):
                m = p * width + j
                panels[p, k, j] = b[k, m] if m < columns else 0


@njit(cache=True, nogil=True, error_model="numpy")
def pack_transposed_into(rows, panels):
    """The panels of rows.T into `panels` (panels_shape(K, M) for rows (M, K)): panels[p, k,
    j] = rows[p * width + j, k] (rows = b.T, contiguous), zeros past its rows.

    Rows of up to 1 KiB: `pack_transposed_in_k_blocks` (float32, 128 x 128 to 2048 x 256:
    0.66-0.72x the time of the order below). Longer rows: 8 source rows at a time over all k
    (rows 1 KiB apart share L1 sets: 64 of them at once thrashed; there k blocks ran from 0.7x
    to 1.4x its time)."""
    count, depth, width = panels.shape
    if depth * rows.itemsize <= 1024:
        pack_transposed_in_k_blocks(rows, panels)
        return
    columns = rows.shape[0]
    _zero_past_columns(panels, columns)
    for p in range(count):
        for j0 in range(0, width, 8):
            j_end = min(j0 + 8, width, columns - p * width)
            if j_end <= j0:
                break
            for k in range(depth):
                target = panels[p, k]
                for j in range(j0, j_end):
                    target[j] = rows[p * width + j, k]


@njit(cache=True, nogil=True, error_model="numpy")
def pack_transposed_in_k_blocks(rows, panels):
    """`pack_transposed_into`'s panels with k in blocks of 64 whatever the rows' length: each
    source row is read a line at a time into a block of panel rows that stays in L1."""
    count, depth, width = panels.shape
    columns = rows.shape[0]
    _zero_past_columns(panels, columns)
    for p in range(count):
        j_end = min(width, columns - p * width)
        for k0 in range(0, depth, 64):
            k_end = min(k0 + 64, depth)
            for j in range(j_end):
                source = rows[p * width + j]
                for k in range(k0, k_end):
                    panels[p, k, j] = source[k]


@njit(cache=True, nogil=True, error_model="numpy")
def _zero_past_columns(panels, columns):
    """Zeros in the last panel's columns past `columns` (the matrix's own)."""
    count, _, width = panels.shape
    last = columns - (count - 1) * width
    if last < width:
        panels[count - 1, :, last:] = 0


@njit(cache=True, nogil=True, error_model="numpy")
def panel_gemm_packed_into(a, panels, out):
    """out[...] = a @ b for b given as `pack_panels(b)`: a (N, K), out (N, panel_columns(M))
    each with contiguous rows (unit column stride; the row stride may be anything), K >= 1;
    float32 or float64, one dtype.
    ROWS x (COLS * lanes) tiles, then the rows below a multiple of ROWS: two rows at a time
    over `PAIR_PANELS` panels, a last row over `ROW_PANELS` (then the last panels one at a
    time); every output summed over k in order whichever tile computes it (the same bits)."""
    n_rows = a.shape[0]
    count, depth, width = panels.shape
    if a.shape[1] != depth or out.shape[1] != count * width or out.shape[0] != n_rows:
        raise ValueError("panel_gemm_packed_into: a (N, K), panels (P, K, W), out (N, P*W)")
    item = panels.itemsize
    if (a.strides[1] != a.itemsize or out.strides[1] != out.itemsize
            or panels.strides[2] != item or panels.strides[1] != width * item):
        raise ValueError("panel_gemm_packed_into: a, out and panels need contiguous rows")
    n_main = n_rows - n_rows % ROWS
    for p in range(count):
        panel = panels[p]
        target = out[:, p * width:(p + 1) * width]
        for n0 in range(0, n_main, ROWS):
            _tile(a, panel, target, n0, 0, depth)
    if n_rows - n_main >= 2:  # two rows, then one row if three
        spanned = count - count % PAIR_PANELS
        for p in range(0, spanned, PAIR_PANELS):
            _pair_tile_panels(a, panels, out, n_main, p, depth)
        for p in range(spanned, count):
            target = out[:, p * width:(p + 1) * width]
            for n in range(n_main, n_main + 2):
                _row_tile(a, panels[p], target, n, 0, depth)
        n_main += 2
    if n_main < n_rows:
        spanned = count - count % ROW_PANELS
        for p in range(0, spanned, ROW_PANELS):
            _row_tile_panels(a, panels, out, n_main, p, depth)
        for p in range(spanned, count):
            _row_tile(a, panels[p], out[:, p * width:(p + 1) * width], n_main, 0, depth)
