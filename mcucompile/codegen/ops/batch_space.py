"""SPACE_TO_BATCH_ND, BATCH_TO_SPACE_ND and BROADCAST_TO (int8): data movement through `mcu_table_copy_s8`.

Each output element reads one input element whose offset is a sum of one term per output dimension, so
the op is a set of per-dimension offset tables (codegen/ops/gather.py `_table_call`), computed here from
TFLite Micro's index arithmetic (reference_ops::SpaceToBatchND / BatchToSpaceND / BroadcastTo):

- BATCH_TO_SPACE_ND, input [B, S_1..S_M, rest] with block [b_1..b_M] and crops: output index o_i on a
  spatial axis reads t_i = o_i + crop_start_i: input spatial index t_i // b_i, and the input batch
  ((t_1 % b_1) * b_2 * .. + (t_2 % b_2) * .. ) * B' + b (B' = B / prod(b)); every part is a term of one axis.
- SPACE_TO_BATCH_ND, without padding: output batch ob = k * B + b reads input batch b at the block position
  k (row-major over the block), spatial index o_i * b_i + s_i(k). Paddings other than 0 are refused: TFLite
  Micro fills padded elements with SpaceToBatchParams.output_offset, which its kernel never sets (and a
  table copy cannot write a pad value).
- BROADCAST_TO: a broadcast axis reads offset 0 (TFLite Micro: up to 5 dimensions).
Raw codes are copied, so the output must be quantised like the input.
"""

from __future__ import annotations

import numpy as np

from ..registry import lowers
from .gather import _table_call
from .slicing import _const_ints, _elem_strides, _fail, _same_int8


def _block_and_pairs(ctx, op, x, what: str):
    if len(op.inputs) != 3:
        _fail(op, f"expects 3 inputs (input, block_shape, {what}), got {len(op.inputs)}")
    block = _const_ints(ctx, op, op.inputs[1], "block_shape")
    pairs = _const_ints(ctx, op, op.inputs[2], what)
    m = len(block)
    if not 1 <= m <= len(x.shape) - 1 or len(pairs) != 2 * m:
        _fail(op, f"block_shape {block} and {what} {pairs} do not fit an input of shape {tuple(x.shape)}")
    if min(block) < 1 or min(pairs) < 0:
        _fail(op, f"block_shape {block} must be positive and {what} {pairs} non-negative")
    return block, pairs


@lowers("BATCH_TO_SPACE_ND")
def lower_batch_to_space_nd(ctx, op):
    """int8, constant block_shape and crops; output quantised like the input"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    block, crops = _block_and_pairs(ctx, op, x, "crops")
    m, shape = len(block), [int(d) for d in x.shape]
    prod = int(np.prod(block))
    if shape[0] % prod:
        _fail(op, f"input batch {shape[0]} is not a multiple of the block size {prod}")
    out_batch = shape[0] // prod
    out = [out_batch] + [shape[1 + i] * block[i] - crops[2 * i] - crops[2 * i + 1] for i in range(m)] + shape[m + 1:]
    if tuple(y.shape) != tuple(out) or min(out) < 1:
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(out)} the op computes")
    es = _elem_strides(shape)
    tables = [np.arange(out_batch, dtype=np.int64) * es[0]]
    for i in range(m):
        t = np.arange(out[1 + i], dtype=np.int64) + crops[2 * i]
        after = int(np.prod(block[i + 1:]))          # block positions of the later axes
        tables.append((t % block[i]) * after * out_batch * es[0] + (t // block[i]) * es[1 + i])
    tables += [np.arange(shape[d], dtype=np.int64) * es[d] for d in range(m + 1, len(shape))]
    return _table_call(ctx, op, x, y, tables, f"{tuple(x.shape)} block {block} crops {crops} -> {tuple(y.shape)}")


@lowers("SPACE_TO_BATCH_ND")
def lower_space_to_batch_nd(ctx, op):
    """int8, constant block_shape, zero paddings; output quantised like the input"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    block, pads = _block_and_pairs(ctx, op, x, "paddings")
    if any(pads):
        _fail(op, f"paddings {pads} are not supported (only 0): TFLite Micro writes padded elements with a pad "
                  "value it never sets (SpaceToBatchParams.output_offset)")
    m, shape = len(block), [int(d) for d in x.shape]
    for i in range(m):
        if shape[1 + i] % block[i]:
            _fail(op, f"spatial dimension {shape[1 + i]} is not a multiple of its block size {block[i]}")
    prod = int(np.prod(block))
    out = [shape[0] * prod] + [shape[1 + i] // block[i] for i in range(m)] + shape[m + 1:]
    if tuple(y.shape) != tuple(out):
        _fail(op, f"output shape {tuple(y.shape)} differs from the {tuple(out)} the op computes")
    es = _elem_strides(shape)
    ob = np.arange(out[0], dtype=np.int64)
    k, b = ob // shape[0], ob % shape[0]
    first = b * es[0]
    for i in range(m):
        after = int(np.prod(block[i + 1:]))
        first = first + ((k // after) % block[i]) * es[1 + i]
    tables = [first] + [np.arange(out[1 + i], dtype=np.int64) * block[i] * es[1 + i] for i in range(m)]
    tables += [np.arange(shape[d], dtype=np.int64) * es[d] for d in range(m + 1, len(shape))]
    return _table_call(ctx, op, x, y, tables, f"{tuple(x.shape)} block {block} -> {tuple(y.shape)}")


BROADCAST_TO_MAX_DIMS = 5     # TFLite Micro's kMaxDims (broadcast_to.cc)


@lowers("BROADCAST_TO")
def lower_broadcast_to(ctx, op):
    """int8, constant int32/int64 shape, up to 5-D; output quantised like the input"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _same_int8(op, x, y)
    shape = _const_ints(ctx, op, op.inputs[1], "shape", ("int32", "int64")) if len(op.inputs) > 1 else []
    if tuple(shape) != tuple(y.shape):
        _fail(op, f"output shape {tuple(y.shape)} differs from the shape input {tuple(shape)}")
    rank = len(shape)
    if rank > BROADCAST_TO_MAX_DIMS or len(x.shape) > rank:
        _fail(op, f"broadcasting {tuple(x.shape)} to {tuple(shape)}: TFLite Micro takes up to "
                  f"{BROADCAST_TO_MAX_DIMS} dimensions and no more input than output dimensions")
    xs = [1] * (rank - len(x.shape)) + [int(d) for d in x.shape]
    es = _elem_strides(xs)
    tables = []
    for d in range(rank):
        if xs[d] not in (1, shape[d]):
            _fail(op, f"input dimension {xs[d]} does not broadcast to {shape[d]} (axis {d})")
        tables.append(np.arange(shape[d], dtype=np.int64) * es[d] if xs[d] == shape[d] else
                      np.zeros(shape[d], np.int64))
    return _table_call(ctx, op, x, y, tables, f"broadcast {tuple(x.shape)} -> {tuple(y.shape)}")


@lowers("SHAPE")
def lower_shape(ctx, op):
    """folded into a constant by graph normalisation (fold_shape); one that stays is refused"""
    _fail(op, "only a SHAPE that graph normalisation folds into a constant is supported (its output a 1-D "
              "int32/int64 tensor read by other ops, not a model output)")


@lowers("BROADCAST_ARGS")
def lower_broadcast_args(ctx, op):
    """folded into a constant by graph normalisation (fold_broadcast_args); one that stays is refused"""
    _fail(op, "only a BROADCAST_ARGS that graph normalisation folds into a constant is supported (two constant "
              "1-D int32/int64 shapes that broadcast, its output read by other ops, not a model output)")
