"""GATHER, GATHER_ND, EMBEDDING_LOOKUP (a GATHER on axis 0, ids first) and MIRROR_PAD, int8, as TFLite
Micro's reference kernels (gather.cc, gather_nd.cc, embedding_lookup.cc, mirror_pad.cc): pure data movement,
raw codes copied, so the output must be quantised like the input.

With indices that are constants of the model (and always for MIRROR_PAD, whose paddings must be), every
source index is known at compile time: the op becomes one `mcu_table_copy_s8` call, which walks the output
and adds one entry per output dimension from per-dimension offset tables (firmware/mcu_table_copy.c),
copying the trailing contiguous run with memcpy. Indices computed at run time (int32, or int64 for
GATHER) go through `mcu_gather_s8` / `mcu_gather_nd_s8` (firmware/mcu_gather.c), TFLite Micro's loops;
an out-of-range index (an error or undefined behaviour in TFLite) writes zeros there instead of reading
out of bounds, and is refused at compile time when the indices are constants.
"""

from __future__ import annotations

import numpy as np

from ..records import Cast, KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .slicing import MAX_DIMS, _elem_strides, _fail, _same_int8, _src

MAX_INDEX_DEPTH = 5    # TFLite Micro's MAX_INDICES_ND (gather_nd.cc)


def _table_call(ctx, op, x, y, tables: list[np.ndarray], comment: str) -> list[KernelCall]:
    """One mcu_table_copy_s8 call: output element (i0, .., in) reads input element sum_d tables[d][i_d]."""
    tables = [np.asarray(t, dtype=np.int64) for t in tables]
    if int(np.prod([len(t) for t in tables])) != y.size:
        _fail(op, f"output shape {tuple(y.shape)} does not hold the {[len(t) for t in tables]} elements copied")
    # trailing dims that read one contiguous run become the memcpy length
    inner = 1
    while len(tables) > 1 and np.array_equal(tables[-1], np.arange(len(tables[-1])) * inner):
        inner *= len(tables.pop())
    # size-1 dims: their single offset moves into the first table
    shift = sum(int(t[0]) for t in tables if len(t) == 1)
    tables = [t for t in tables if len(t) > 1] or [np.zeros(1, np.int64)]
    tables[0] = tables[0] + shift
    while len(tables) > MAX_DIMS:      # two tables become one (their outer sum)
        tables[0:2] = [(tables[0][:, None] + tables[1][None, :]).reshape(-1)]
    flat = np.concatenate(tables)
    if flat.min() < 0 or flat.max() >= (1 << 31):
        _fail(op, "input offsets do not fit int32")
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    offsets = ctx.const(flat.astype(np.int32), "int32_t", f"{name}_offsets")
    pad = MAX_DIMS - len(tables)
    params = ParamStruct("mcu_table_copy_params_t", f"{name}_params", (
        ("rank", c_int(len(tables))),
        ("out_dims", c_list([len(t) for t in tables] + [1] * pad)),
        ("inner", c_int(inner)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_table_copy_s8",
                       (f"&{params.name}", offsets, _src(ctx, x.index), ctx.act(y.index)),
                       params, ("mcu_table_copy.c",), comment)]


def _identity(n: int, stride: int) -> np.ndarray:
    return np.arange(n, dtype=np.int64) * stride


def _index_tensor(ctx, op, dtypes):
    idx = ctx.tensor(op.inputs[1])
    if idx.dtype not in dtypes:
        _fail(op, f"the indices tensor '{idx.name}' is {idx.dtype}; supported: {', '.join(dtypes)}")
    return idx


# ---- GATHER --------------------------------------------------------------------------------------

@lowers("GATHER")
def lower_gather(ctx, op):
    """int8 params (activation or constant), int32/int64 indices (constant or computed), any axis and batch_dims"""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (params, indices), got {len(op.inputs)}")
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    idx = _index_tensor(ctx, op, ("int32", "int64"))
    rank = len(x.shape)
    axis = op.attrs.axis + rank if op.attrs.axis < 0 else op.attrs.axis
    if not 0 <= axis < rank:
        _fail(op, f"axis {op.attrs.axis} is out of range for the rank-{rank} params")
    bd = op.attrs.batch_dims + len(idx.shape) if op.attrs.batch_dims < 0 else op.attrs.batch_dims
    if not 0 <= bd <= min(axis, len(idx.shape)) or tuple(idx.shape[:bd]) != tuple(x.shape[:bd]):
        _fail(op, f"batch_dims {op.attrs.batch_dims} does not fit axis {axis}, params {tuple(x.shape)} and "
                  f"indices {tuple(idx.shape)} (0 <= batch_dims <= axis, the first batch_dims dimensions alike)")
    want = tuple(x.shape[:axis]) + tuple(idx.shape[bd:]) + tuple(x.shape[axis + 1:])
    if tuple(y.shape) != want:
        _fail(op, f"output shape {tuple(y.shape)} differs from the {want} the op computes")
    batch = int(np.prod(x.shape[:bd], dtype=np.int64))
    outer = int(np.prod(x.shape[bd:axis], dtype=np.int64))
    inner = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    coord_size = int(np.prod(idx.shape[bd:], dtype=np.int64))
    desc = f"{tuple(x.shape)} on axis {axis} by {idx.dtype} {tuple(idx.shape)} -> {tuple(y.shape)}" + \
        (f", batch_dims {bd}" if bd else "")
    if idx.is_const:
        coords = np.asarray(idx.data, dtype=np.int64).reshape(-1)
        bad = coords[(coords < 0) | (coords >= x.shape[axis])]
        if len(bad):
            _fail(op, f"index {int(bad[0])} is out of range for dimension {x.shape[axis]} on axis {axis}")
        es = _elem_strides(x.shape)
        if bd == 0:
            lead = [_identity(x.shape[d], es[d]) for d in range(axis)] + [coords * es[axis]]
        else:   # the index table depends on the batch entry: one table over (batch, outer, coord)
            c = coords.reshape(batch, 1, coord_size)
            b_o = np.arange(batch * outer, dtype=np.int64).reshape(batch, outer, 1) * x.shape[axis]
            lead = [((b_o + c) * es[axis]).reshape(-1)]
        tables = lead + [_identity(x.shape[d], es[d]) for d in range(axis + 1, rank)]
        return _table_call(ctx, op, x, y, tables, desc + " (constant indices)")
    name = ctx.unique(f"gather{op.index}")
    params = ParamStruct("mcu_gather_params_t", f"{name}_params", (
        ("batch", c_int(batch)),
        ("outer", c_int(outer)),
        ("axis_size", c_int(x.shape[axis])),
        ("coord_size", c_int(coord_size)),
        ("inner", c_int(inner)),
        ("index_bytes", c_int(8 if idx.dtype == "int64" else 4)),
    ))
    ctype = "int64_t" if idx.dtype == "int64" else "int32_t"
    return [KernelCall(op.index, op.kind, "mcu_gather_s8",
                       (f"&{params.name}", _src(ctx, x.index), Cast("const void *", ctx.act(idx.index, ctype)),
                        ctx.act(y.index)), params, ("mcu_gather.c",), desc)]


# ---- GATHER_ND -----------------------------------------------------------------------------------

@lowers("GATHER_ND")
def lower_gather_nd(ctx, op):
    """int8 params (activation or constant), int32 indices (constant or computed), index depth <= 5"""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (params, indices), got {len(op.inputs)}")
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    idx = _index_tensor(ctx, op, ("int32",))
    if not x.shape or not idx.shape:
        _fail(op, f"params {tuple(x.shape)} and indices {tuple(idx.shape)} must both have rank 1 or more")
    nd = idx.shape[-1]
    if not 1 <= nd <= min(len(x.shape), MAX_INDEX_DEPTH):
        _fail(op, f"the indices' last dimension {nd} must be 1..{min(len(x.shape), MAX_INDEX_DEPTH)} "
                  f"(the params' rank {len(x.shape)}, TFLite Micro's limit {MAX_INDEX_DEPTH})")
    want = tuple(idx.shape[:-1]) + tuple(x.shape[nd:])
    if tuple(y.shape) != want:
        _fail(op, f"output shape {tuple(y.shape)} differs from the {want} the op computes")
    es = _elem_strides(x.shape)
    slice_size = int(np.prod(x.shape[nd:], dtype=np.int64))
    n_slices = idx.size // nd
    desc = f"{tuple(x.shape)} by {tuple(idx.shape)} -> {tuple(y.shape)}"
    if idx.is_const:
        coords = np.asarray(idx.data, dtype=np.int64).reshape(n_slices, nd)
        for row in coords:
            if any(not 0 <= int(v) < x.shape[d] for d, v in enumerate(row)):
                _fail(op, f"index {row.tolist()} is out of range for params {tuple(x.shape)}")
        tables = [coords @ np.asarray(es[:nd], dtype=np.int64)] + \
                 [_identity(x.shape[d], es[d]) for d in range(nd, len(x.shape))]
        return _table_call(ctx, op, x, y, tables, desc + " (constant indices)")
    name = ctx.unique(f"gather_nd{op.index}")
    params = ParamStruct("mcu_gather_nd_params_t", f"{name}_params", (
        ("n_slices", c_int(n_slices)),
        ("index_depth", c_int(nd)),
        ("slice_size", c_int(slice_size)),
        ("params_size", c_int(x.size)),
        ("dim_strides", c_list(es[:nd] + [0] * (MAX_INDEX_DEPTH - nd))),
    ))
    return [KernelCall(op.index, op.kind, "mcu_gather_nd_s8",
                       (f"&{params.name}", _src(ctx, x.index), ctx.act(idx.index, "int32_t"), ctx.act(y.index)),
                       params, ("mcu_gather.c",), desc)]


# ---- MIRROR_PAD ----------------------------------------------------------------------------------

def mirror_index(i: int, left: int, n: int, offset: int) -> int:
    """TFLite Micro's GetInputDimension: the input index of output index i along one axis (offset 1:
    REFLECT, 0: SYMMETRIC)."""
    if i < left:
        original = left + offset - 1
        return original - min(i, original - offset)
    i -= left
    if i >= n:
        i -= n
        original = n - (1 + offset)
        return original - min(i, original)
    return i


@lowers("MIRROR_PAD")
def lower_mirror_pad(ctx, op):
    """int8, REFLECT or SYMMETRIC, constant int32/int64 paddings, any rank (up to 6 after merging)"""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (input, paddings), got {len(op.inputs)}")
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    if op.attrs.mode not in ("REFLECT", "SYMMETRIC"):
        _fail(op, f"unknown mirror padding {op.attrs.mode}")
    offset = 1 if op.attrs.mode == "REFLECT" else 0
    p = ctx.tensor(op.inputs[1])
    if p.data is None or p.dtype not in ("int32", "int64"):
        _fail(op, f"the paddings must be a constant int32 or int64 tensor (got {p.dtype}"
                  f"{'' if p.is_const else ', computed at run time'})")
    pads = [int(v) for v in np.asarray(p.data).reshape(-1)]
    rank = len(x.shape)
    if len(pads) != 2 * rank:
        _fail(op, f"paddings hold {len(pads)} values for a rank-{rank} input")
    out = [x.shape[d] + pads[2 * d] + pads[2 * d + 1] for d in range(rank)]
    if tuple(y.shape) != tuple(out):
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(out)} the op computes")
    es = _elem_strides(x.shape)
    tables = []
    for d in range(rank):
        left, right, n = pads[2 * d], pads[2 * d + 1], x.shape[d]
        limit = n - offset
        if left < 0 or right < 0 or max(left, right) > limit:
            _fail(op, f"axis {d}: paddings ({left}, {right}) exceed {op.attrs.mode}'s limit {limit} for "
                      f"dimension {n} (TFLite reads outside the input then)")
        tables.append(np.array([mirror_index(i, left, n, offset) for i in range(out[d])], np.int64) * es[d])
    return _table_call(ctx, op, x, y, tables, f"{tuple(x.shape)} {op.attrs.mode.lower()} {pads} -> {tuple(y.shape)}")


# ---- EMBEDDING_LOOKUP ----------------------------------------------------------------------------

@lowers("EMBEDDING_LOOKUP")
def lower_embedding_lookup(ctx, op):
    """int8 value rows picked by 1-D int32 ids (constant or computed): GATHER on axis 0, raw codes"""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (ids, value), got {len(op.inputs)}")
    ids, x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    if ids.dtype != "int32" or len(ids.shape) != 1:
        _fail(op, f"the ids tensor '{ids.name}' is {ids.dtype} {tuple(ids.shape)}; TFLite Micro takes 1-D int32 ids")
    if y.dtype == "float32":
        _fail(op, "the hybrid form (int8 value, float32 output) is not supported; the int8 -> int8 form is")
    _same_int8(op, x, y)
    if len(x.shape) < 2:
        _fail(op, f"the value tensor {tuple(x.shape)} must have at least 2 dimensions")
    want = (ids.shape[0], *x.shape[1:])
    if tuple(y.shape) != want:
        _fail(op, f"output shape {tuple(y.shape)} differs from the {want} the op computes")
    rows, inner = int(x.shape[0]), int(np.prod(x.shape[1:], dtype=np.int64))
    desc = f"{ids.shape[0]} rows of {tuple(x.shape)}"
    if ids.is_const:
        coords = np.asarray(ids.data, dtype=np.int64).reshape(-1)
        bad = coords[(coords < 0) | (coords >= rows)]
        if len(bad):
            _fail(op, f"id {int(bad[0])} is out of range for the {rows} rows of the value tensor")
        return _table_call(ctx, op, x, y, [coords * inner, _identity(inner, 1)], desc + " (constant ids)")
    name = ctx.unique(f"embedding_lookup{op.index}")
    params = ParamStruct("mcu_gather_params_t", f"{name}_params", (
        ("batch", c_int(1)), ("outer", c_int(1)), ("axis_size", c_int(rows)), ("coord_size", c_int(ids.shape[0])),
        ("inner", c_int(inner)), ("index_bytes", c_int(4))))
    return [KernelCall(op.index, op.kind, "mcu_gather_s8",
                       (f"&{params.name}", _src(ctx, x.index), Cast("const void *", ctx.act(ids.index, "int32_t")),
                        ctx.act(y.index)), params, ("mcu_gather.c",), desc)]
