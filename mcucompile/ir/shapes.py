"""Graph checks run after reading and between passes: structure, order, the int8-only rule, and per op
that every output shape is what the op computes from its inputs and attributes (and that rescale factors
are sane), so nothing inconsistent reaches code generation."""

from __future__ import annotations

from ..errors import ModelFormatError, UnsupportedModelError
from .geometry import pool_output_and_padding, window_geometry
from .graph import Graph

CONVERT_HINT = ("mcucompile compiles full-int8 models only; convert the float model with "
                "`mcucompile convert MODEL --calibration DATA` to get one")


# ops that write no tensor: ASSIGN_VARIABLE writes the persistent state (frontend/variables.py)
SINK_KINDS = frozenset({"ASSIGN_VARIABLE"})


def verify_graph(g: Graph, source: str = "model") -> None:
    produced: dict[int, int] = {}
    available = set(g.inputs) | {t.index for t in g.tensors if t.is_const}
    for op in g.ops:
        if not op.outputs and op.kind not in SINK_KINDS:
            raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) has no output")
        for t in op.inputs:
            if t >= 0 and t not in available:
                if t in produced or any(t in o.outputs for o in g.ops[op.index:]):
                    raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) reads tensor {t} before it is "
                                           "written (ops out of order or a cycle in the graph)")
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) reads tensor {t}, "
                                       "which is neither an input, a constant nor written by any op")
        for t in op.outputs:
            if t < 0:
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) has an absent output")
            if t in produced:
                raise ModelFormatError(f"{source}: tensor {t} is written by op {produced[t]} and op {op.index}")
            if t in available:
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) writes tensor {t}, "
                                       "which is a model input or a constant")
            produced[t] = op.index
            available.add(t)
    for t in g.outputs:
        if t < 0 or t not in available:
            raise ModelFormatError(f"{source}: model output tensor {t} is never written")
    if not g.inputs:
        raise UnsupportedModelError(f"{source}: the model has no input")
    _check_dtypes(g, source)
    check_shapes(g, source)
    check_rescales(g, source)


def _check_dtypes(g: Graph, source: str) -> None:
    quantize_inputs = {op.inputs[0] for op in g.ops if op.kind == "QUANTIZE"}
    dequantize_outputs = {op.outputs[0] for op in g.ops if op.kind == "DEQUANTIZE"}
    index_outputs = {op.outputs[0] for op in g.ops if op.kind in ("ARG_MAX", "ARG_MIN")}
    other_ok = _non_int8_ok(g)
    int16_ok = _int16_ok(g)
    # raw int8 integers (no quantisation): a CAST's result that only CASTs read or the caller takes (the audio
    # front end's int8 features)
    read_by: dict[int, set[str]] = {}
    for o in g.ops:
        for k in o.inputs:
            read_by.setdefault(k, set()).add(o.kind)
    raw_int8 = {op.outputs[0] for op in g.ops if op.kind == "CAST" and read_by.get(op.outputs[0], set()) <= {"CAST"}}
    for ti in g.activations():
        t = g.tensors[ti]
        if t.dtype == "int8":
            if t.quant is None and ti not in raw_int8:
                raise UnsupportedModelError(f"{source}: int8 tensor {ti} ({t.name!r}) has no quantisation "
                                            f"parameters. {CONVERT_HINT}")
            continue
        boundary_ok = t.dtype == "float32" and (
            (ti in g.inputs and ti in quantize_inputs) or (ti in g.outputs and ti in dequantize_outputs))
        if boundary_ok:
            continue
        if t.dtype in ("int32", "int64") and ti in index_outputs:
            continue    # ARG_MAX / ARG_MIN write integer indices, not activations
        if t.dtype == "int16" and ti in int16_ok:
            continue    # 16x8 quantisation: every op that writes or reads it has an int16 lowering
        if ti in other_ok:
            continue    # indices, bool conditions, cast results: the consuming lowering checks the dtype
        if t.dtype == "int16":
            lacking = sorted({op.kind for op in g.ops if ti in (*op.inputs, *op.outputs)} - INT16_KINDS)
            raise UnsupportedModelError(
                f"{source}: tensor {ti} ({t.name!r}) holds int16 activations (16x8 quantisation), which "
                f"{', '.join(lacking)} cannot take yet (the ops with a 16x8 form: `mcucompile ops`, its 16x8 "
                "lines)")
        what = {"float32": "float", "int16": "int16", "uint8": "uint8"}.get(t.dtype, t.dtype)
        raise UnsupportedModelError(
            f"{source}: tensor {ti} ({t.name!r}) holds {what} activations; only int8 activations are "
            f"supported. {CONVERT_HINT}")


# Non-int8 tensors some ops write or read: bool (comparisons, SELECT_V2's condition), integer indices
# (GATHER, GATHER_ND), CAST / FILL / ZEROS_LIKE results and TFLite_Detection_PostProcess's float32 inputs
# (box encodings, class predictions: a DEQUANTIZE's output) and outputs. (op kind, slot) -> dtypes.
NON_INT8_WRITERS = {**{(k, 0): ("bool",) for k in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL", "GREATER",
                                                     "GREATER_EQUAL")},
                    ("CAST", 0): ("int32", "int16"), ("ZEROS_LIKE", 0): ("int32", "int64"),
                    ("FILL", 0): ("int32",), ("SHAPE", 0): ("int32", "int64"),
                    **{("TFLite_Detection_PostProcess", k): ("float32",) for k in range(4)},
                    ("READ_VARIABLE", 0): ("int16", "int32")}
NON_INT8_READERS = {("GATHER", 1): ("int32", "int64"), ("GATHER_ND", 1): ("int32",), ("SELECT_V2", 0): ("bool",),
                    ("SELECT", 0): ("bool",), **{("TFLite_Detection_PostProcess", k): ("float32",) for k in (0, 1)},
                    ("CAST", 0): ("int32", "bool", "int16", "uint32"), ("ZEROS_LIKE", 0): ("int32", "int64"),
                    ("ASSIGN_VARIABLE", 0): ("int16", "int32"),
                    **{(k, i): ("int32", "int64", "bool") for k in ("EQUAL", "NOT_EQUAL", "LESS", "LESS_EQUAL",
                                                                     "GREATER", "GREATER_EQUAL") for i in (0, 1)}}

# The audio front end (TFLite Micro's signal library, codegen/ops/signal.py): int16 samples and spectra,
# uint32 / uint64 energies and channels, the int32 auto-scale shift; and the unquantised int32 arithmetic and
# data movement around them (codegen/ops/int32_ops.py). The lowerings check the exact dtypes.
_SIG = "CUSTOM:Signal"
NON_INT8_WRITERS.update({
    (_SIG + "Window", 0): ("int16",), (_SIG + "FftAutoScale", 0): ("int16",), (_SIG + "FftAutoScale", 1): ("int32",),
    (_SIG + "Rfft", 0): ("int16",), (_SIG + "Energy", 0): ("uint32",), (_SIG + "FilterBank", 0): ("uint64",),
    (_SIG + "FilterBankSquareRoot", 0): ("uint32",), (_SIG + "FilterBankSpectralSubtraction", 0): ("uint32",),
    (_SIG + "FilterBankSpectralSubtraction", 1): ("uint32",), (_SIG + "PCAN", 0): ("uint32",),
    (_SIG + "FilterBankLog", 0): ("int16",), ("CAST", 0): ("int32", "int16", "uint32"),
    **{(k, 0): ("int32",) for k in ("ADD", "MUL", "DIV", "MINIMUM", "MAXIMUM", "STRIDED_SLICE", "CONCATENATION")}})
NON_INT8_READERS.update({
    (_SIG + "Window", 0): ("int16",), (_SIG + "FftAutoScale", 0): ("int16",), (_SIG + "Rfft", 0): ("int16",),
    (_SIG + "Energy", 0): ("int16",), (_SIG + "FilterBank", 0): ("uint32",),
    (_SIG + "FilterBankSquareRoot", 0): ("uint64",), (_SIG + "FilterBankSquareRoot", 1): ("int32",),
    (_SIG + "FilterBankSpectralSubtraction", 0): ("uint32",), (_SIG + "PCAN", 0): ("uint32",),
    (_SIG + "PCAN", 1): ("uint32",), (_SIG + "FilterBankLog", 0): ("uint32",),
    **{(k, i): ("int32",) for k in ("ADD", "MUL", "DIV", "MINIMUM", "MAXIMUM") for i in (0, 1)},
    ("STRIDED_SLICE", 0): ("int32",), **{("CONCATENATION", i): ("int32",) for i in range(8)}})

# bool logic (codegen/ops/logic.py)
_LOGIC = ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT", "REDUCE_ALL")
NON_INT8_WRITERS.update({(k, 0): ("bool",) for k in _LOGIC})
NON_INT8_READERS.update({(k, i): ("bool",) for k in _LOGIC for i in (0, 1)})
NON_INT8_READERS[("DYNAMIC_UPDATE_SLICE", 2)] = ("int32",)     # run-time start indices
NON_INT8_READERS[("EMBEDDING_LOOKUP", 0)] = ("int32",)         # run-time ids
NON_INT8_WRITERS[("BROADCAST_ARGS", 0)] = ("int32", "int64")   # a shape, folded like SHAPE's


# 16x8 quantisation (int16 activations, int8 weights): the op kinds with an int16 lowering. An int16 tensor
# passes the dtype check when every op that writes or reads it is one of them; the lowering then checks the
# rest (weights int8, bias int64/int32, zero points 0).
INT16_KINDS: frozenset[str] = frozenset({
    "ADD", "SUB", "MUL", "AVERAGE_POOL_2D", "MAX_POOL_2D", "SOFTMAX", "LOGISTIC", "TANH", "LEAKY_RELU", "RELU",
    "RELU6",                                                                   # codegen/ops/s16.py
    "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV",       # codegen/ops/s16_conv.py
    "QUANTIZE", "DEQUANTIZE",
    "RESHAPE", "SQUEEZE", "EXPAND_DIMS",                                       # aliases
    "PAD", "PADV2", "CONCATENATION", "STRIDED_SLICE", "SLICE", "TRANSPOSE", "PACK", "UNPACK",   # byte copies
})


def _int16_ok(g: Graph) -> set[int]:
    """int16 activations whose writer and readers all have a 16x8 lowering (INT16_KINDS)."""
    bad: set[int] = set()
    seen: set[int] = set()
    for op in g.ops:
        for t in (*op.inputs, *op.outputs):
            if t >= 0 and g.tensors[t].dtype == "int16":
                seen.add(t)
                if op.kind not in INT16_KINDS:
                    bad.add(t)
    return seen - bad


def _non_int8_ok(g: Graph) -> set[int]:
    """Non-int8 activations written by an op that makes them (bool from a comparison...), or read only at
    inputs that take them (a model input of GATHER indices, of a SELECT_V2 condition...)."""
    ok: set[int] = set()
    readers: dict[int, list] = {}
    for op in g.ops:
        for k, t in enumerate(op.outputs):
            if g.tensors[t].dtype in NON_INT8_WRITERS.get((op.kind, k), ()):
                ok.add(t)
        for k, t in enumerate(op.inputs):
            if t >= 0:
                readers.setdefault(t, []).append((op.kind, k))
    for t, uses in readers.items():
        if t not in ok and all(g.tensors[t].dtype in NON_INT8_READERS.get(u, ()) for u in uses):
            ok.add(t)
    # a CAST to float32 (the converter's mask: comparison -> CAST -> QUANTIZE) read by QUANTIZE only, or a
    # model output
    for op in g.ops:
        if op.kind != "CAST":
            continue
        t = op.outputs[0]
        if op.kind == "CAST" and g.tensors[t].dtype == "float32" and (
                t in g.outputs or readers.get(t) and all(u == ("QUANTIZE", 0) for u in readers[t])):
            ok.add(t)
    return ok


# ---- output shapes: each op's output must be what the op computes from its inputs and attributes -------
#
# The lowerings and the kernels size their loops from the tensors' shapes, so a file whose output shape
# disagrees with the op (a corrupt or hand-edited model) would make the C read or write out of bounds.
# These checks stop such a model at read time with the op, its index and both shapes. Ops whose shape
# depends on a tensor that is not a constant of the model (a computed perm, axes, size) are left to the
# lowering, which rejects a non-constant operand anyway.

class _Skip(Exception):
    """The expected shape depends on something not known at compile time (the lowering decides)."""


def _fail(source: str, op, msg: str) -> None:
    raise ModelFormatError(f"{source}: op {op.index} ({op.kind}): {msg}")


def _size(shape) -> int:
    n = 1
    for d in shape:
        n *= int(d)
    return n


def _const_ints(g: Graph, op, pos: int) -> list[int]:
    if pos >= len(op.inputs) or op.inputs[pos] < 0:
        raise _Skip
    t = g.tensors[op.inputs[pos]]
    if t.data is None or t.dtype not in ("int32", "int64"):
        raise _Skip
    return [int(v) for v in t.data.reshape(-1)]


def _need_rank(source, op, what: str, shape, rank: int) -> None:
    if len(shape) != rank:
        _fail(source, op, f"{what} has shape {tuple(shape)}; {rank}-D is required")


def _axis(source, op, axis: int, rank: int) -> int:
    r = axis + rank if axis < 0 else axis
    if not 0 <= r < rank:
        _fail(source, op, f"axis {axis} is out of range for a rank-{rank} input")
    return r


def _conv_like(g, op, source, depthwise: bool):
    a = op.attrs
    x, w = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    _need_rank(source, op, "the input", x, 4)
    _need_rank(source, op, "the filter", w, 4)
    if min(a.stride_h, a.stride_w, a.dilation_h, a.dilation_w) <= 0:
        _fail(source, op, f"strides {a.stride_h}x{a.stride_w} and dilations {a.dilation_h}x{a.dilation_w} "
                          "must be positive")
    if depthwise and (a.depth_multiplier <= 0 or w[3] != x[3] * a.depth_multiplier):
        _fail(source, op, f"filter {tuple(w)} has {w[3]} channels; input channels {x[3]} x depth_multiplier "
                          f"{a.depth_multiplier} = {x[3] * a.depth_multiplier}")
    if not depthwise and (w[3] <= 0 or x[3] % w[3]):
        _fail(source, op, f"filter {tuple(w)} takes {w[3]} input channels, which do not divide the input's {x[3]}")
    geo = window_geometry(a, x[1], x[2], w[1], w[2])
    oh, ow = geo.out_h, geo.out_w
    return [(x[0], oh, ow, w[3] if depthwise else w[0])]


def _pool(g, op, source):
    a = op.attrs
    x = g.tensors[op.inputs[0]].shape
    _need_rank(source, op, "the input", x, 4)
    if min(a.stride_h, a.stride_w, a.filter_h, a.filter_w) <= 0:
        _fail(source, op, f"filter {a.filter_h}x{a.filter_w} and strides {a.stride_h}x{a.stride_w} "
                          "must be positive")
    oh, _ = pool_output_and_padding(x[1], a.filter_h, a.stride_h, a.padding)
    ow, _ = pool_output_and_padding(x[2], a.filter_w, a.stride_w, a.padding)
    return [(x[0], oh, ow, x[3])]


def _fully_connected(g, op, source):
    x, w = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    _need_rank(source, op, "the weights", w, 2)
    depth = w[1]
    if depth <= 0 or _size(x) % depth:
        _fail(source, op, f"input {tuple(x)} does not hold whole rows of the weights' depth {depth}")
    if op.attrs.keep_num_dims:
        if not x or x[-1] != depth:
            _fail(source, op, f"keep_num_dims needs the input's last dimension {tuple(x)} to equal "
                              f"the weights' depth {depth}")
        return [tuple(x[:-1]) + (w[0],)]
    return [(_size(x) // depth, w[0])]


def _broadcast(g, op, source):
    shapes = [g.tensors[i].shape for i in op.inputs[:2]]
    rank = max(len(s) for s in shapes)
    out = []
    for d in range(rank):
        dims = {s[d - rank + len(s)] for s in shapes if d - rank + len(s) >= 0} - {1}
        if len(dims) > 1:
            _fail(source, op, f"input shapes {tuple(shapes[0])} and {tuple(shapes[1])} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return [tuple(out)]


def _same_as_input(g, op, source):
    return [g.tensors[op.inputs[0]].shape]


def _concatenation(g, op, source):
    xs = [g.tensors[i].shape for i in op.inputs if i >= 0]
    rank = len(xs[0])
    axis = _axis(source, op, op.attrs.axis, rank)
    for s in xs:
        if len(s) != rank or any(s[d] != xs[0][d] for d in range(rank) if d != axis):
            _fail(source, op, f"input shapes {[tuple(s) for s in xs]} differ outside axis {axis}")
    out = list(xs[0])
    out[axis] = sum(s[axis] for s in xs)
    return [tuple(out)]


def _pad(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    pads = _const_ints(g, op, 1)
    if len(pads) != 2 * len(x):
        _fail(source, op, f"paddings hold {len(pads)} values for a rank-{len(x)} input")
    if any(p < 0 for p in pads):
        _fail(source, op, f"negative paddings {pads}")
    return [tuple(x[d] + pads[2 * d] + pads[2 * d + 1] for d in range(len(x)))]


def _reduce(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    axes = {_axis(source, op, a, len(x)) for a in _const_ints(g, op, 1)}
    if op.attrs.keep_dims:
        return [tuple(1 if d in axes else x[d] for d in range(len(x)))]
    return [tuple(x[d] for d in range(len(x)) if d not in axes)]


def _transpose(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    perm = _const_ints(g, op, 1)
    if sorted(perm) != list(range(len(x))):
        _fail(source, op, f"perm {perm} is not a permutation of the input's {len(x)} axes")
    return [tuple(x[p] for p in perm)]


def _resize(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    _need_rank(source, op, "the input", x, 4)
    size = _const_ints(g, op, 1)
    if len(size) != 2:
        _fail(source, op, f"the size tensor holds {len(size)} values, expected 2")
    return [(x[0], size[0], size[1], x[3])]


def _transpose_conv(g, op, source):
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        _fail(source, op, "needs the output shape, the filter and the input")
    x, w = g.tensors[op.inputs[2]].shape, g.tensors[op.inputs[1]].shape
    _need_rank(source, op, "the input", x, 4)
    _need_rank(source, op, "the filter", w, 4)
    if op.attrs.stride_h <= 0 or op.attrs.stride_w <= 0:
        _fail(source, op, f"strides {op.attrs.stride_h}x{op.attrs.stride_w} must be positive")
    shape = _const_ints(g, op, 0)
    if len(shape) != 4 or shape[0] != x[0] or shape[3] != w[0]:
        _fail(source, op, f"the output_shape input {shape} does not fit input {tuple(x)} and filter {tuple(w)}")
    return [tuple(shape)]


def _batch_matmul(g, op, source):
    if len(op.inputs) != 2 or min(op.inputs) < 0:
        raise _Skip                       # the lowering names the missing operand
    lhs, rhs = (list(g.tensors[i].shape) for i in op.inputs[:2])
    if len(lhs) < 2 or len(rhs) < 2:
        _fail(source, op, f"operands {tuple(lhs)} and {tuple(rhs)} must have rank 2 or more")
    a = op.attrs
    rows, depth = (lhs[-1], lhs[-2]) if a.adj_x else (lhs[-2], lhs[-1])
    rdepth, cols = (rhs[-1], rhs[-2]) if a.adj_y else (rhs[-2], rhs[-1])
    if depth != rdepth:
        _fail(source, op, f"inner dimensions of {tuple(lhs)} and {tuple(rhs)} differ")
    rank = max(len(lhs), len(rhs))
    lb = [1] * (rank - len(lhs)) + lhs[:-2]
    rb = [1] * (rank - len(rhs)) + rhs[:-2]
    if any(p != q and 1 not in (p, q) for p, q in zip(lb, rb)):
        _fail(source, op, f"batch dimensions of {tuple(lhs)} and {tuple(rhs)} do not broadcast")
    return [tuple(max(p, q) for p, q in zip(lb, rb)) + (rows, cols)]


def _strided_slice(g, op, source):
    from ..ir.geometry import slice_bounds
    if len(op.inputs) != 4:
        raise _Skip
    x = g.tensors[op.inputs[0]].shape
    begin, end, strides = (_const_ints(g, op, k) for k in (1, 2, 3))
    a = op.attrs
    if not (len(begin) == len(end) == len(strides) == len(x)) or 0 in strides or a.ellipsis_mask \
            or a.new_axis_mask or a.offset:
        raise _Skip                       # the lowering rejects these with its own message
    out = []
    for d in range(len(x)):
        shrink = bool(a.shrink_axis_mask >> d & 1)
        start, stop = slice_bounds(x[d], begin[d], end[d], strides[d], bool(a.begin_mask >> d & 1),
                                   bool(a.end_mask >> d & 1), shrink)
        if not shrink:
            out.append(len(range(start, stop, strides[d])))
    return [tuple(out)]


def _split(g, op, source):
    if len(op.inputs) != (2 if op.kind == "SPLIT" else 3):
        raise _Skip                       # the lowering names the missing operand
    xi, ai = (op.inputs[1], 0) if op.kind == "SPLIT" else (op.inputs[0], 2)
    if xi < 0:
        raise _Skip
    x = g.tensors[xi].shape
    ax = _const_ints(g, op, ai)
    if len(ax) != 1:
        _fail(source, op, f"the axis tensor holds {len(ax)} values, expected 1")
    axis = _axis(source, op, ax[0], len(x))
    n = len(op.outputs)
    if op.kind == "SPLIT":
        if x[axis] % n:
            _fail(source, op, f"input dimension {x[axis]} on axis {axis} does not split into {n} equal parts")
        sizes = [x[axis] // n] * n
    else:
        sizes = _const_ints(g, op, 1)
        if len(sizes) != n:
            _fail(source, op, f"size_splits has {len(sizes)} values for {n} outputs")
        if sizes.count(-1) == 1:
            sizes[sizes.index(-1)] = x[axis] - (sum(sizes) + 1)
        if any(s < 0 for s in sizes) or sum(sizes) != x[axis]:
            _fail(source, op, f"size_splits {sizes} do not add up to input dimension {x[axis]} on axis {axis}")
    return [tuple(s if d == axis else x[d] for d in range(len(x))) for s in sizes]


def _tile(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    mult = _const_ints(g, op, 1)
    if len(mult) != len(x) or any(m < 1 for m in mult):
        _fail(source, op, f"multiples {mult} do not fit a rank-{len(x)} input")
    return [tuple(x[d] * mult[d] for d in range(len(x)))]


def _arg_minmax(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    ax = _const_ints(g, op, 1)
    if len(ax) != 1:
        _fail(source, op, f"the axis tensor holds {len(ax)} values, expected 1")
    axis = _axis(source, op, ax[0], len(x))
    return [tuple(x[:axis]) + tuple(x[axis + 1:])]


def _slice(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    begin, size = _const_ints(g, op, 1), _const_ints(g, op, 2)
    if not len(begin) == len(size) == len(x):
        raise _Skip                       # the lowering rejects these with its own message
    out = [x[d] - begin[d] if size[d] == -1 else size[d] for d in range(len(x))]
    if any(b < 0 or n < 0 or b + n > x[d] for d, (b, n) in enumerate(zip(begin, out))):
        raise _Skip
    return [tuple(out)]


def _pack(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    if any(tuple(g.tensors[i].shape) != tuple(x) for i in op.inputs if i >= 0):
        raise _Skip
    axis = op.attrs.axis + len(x) + 1 if op.attrs.axis < 0 else op.attrs.axis
    if not 0 <= axis <= len(x):
        raise _Skip
    return [tuple(x[:axis]) + (len(op.inputs),) + tuple(x[axis:])]


def _unpack(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    axis = op.attrs.axis + len(x) if op.attrs.axis < 0 else op.attrs.axis
    if not 0 <= axis < len(x) or x[axis] != len(op.outputs):
        raise _Skip
    return [tuple(x[:axis]) + tuple(x[axis + 1:])] * len(op.outputs)


def _space_depth(g, op, source):
    x = g.tensors[op.inputs[0]].shape
    b = op.attrs.block_size
    if len(x) != 4 or b < 1:
        raise _Skip
    if op.kind == "SPACE_TO_DEPTH":
        if x[1] % b or x[2] % b:
            raise _Skip
        return [(x[0], x[1] // b, x[2] // b, x[3] * b * b)]
    if x[3] % (b * b):
        raise _Skip
    return [(x[0], x[1] * b, x[2] * b, x[3] // (b * b))]


def _gather(g, op, source):
    x, idx = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    axis = _axis(source, op, op.attrs.axis, len(x))
    bd = op.attrs.batch_dims + len(idx) if op.attrs.batch_dims < 0 else op.attrs.batch_dims
    if not 0 <= bd <= min(axis, len(idx)) or any(x[d] != idx[d] for d in range(bd)):
        raise _Skip                       # the lowering names the batch_dims it cannot take
    return [tuple(x[:axis]) + tuple(idx[bd:]) + tuple(x[axis + 1:])]


def _gather_nd(g, op, source):
    x, idx = g.tensors[op.inputs[0]].shape, g.tensors[op.inputs[1]].shape
    if not x or not idx or idx[-1] > len(x):
        _fail(source, op, f"indices {tuple(idx)} do not index params {tuple(x)} (the last dimension "
                          "must be at most the params' rank)")
    return [tuple(idx[:-1]) + tuple(x[idx[-1]:])]


def _broadcast3(g, op, source):
    shapes = [g.tensors[i].shape for i in op.inputs[:3]]
    rank = max(len(s) for s in shapes)
    out = []
    for d in range(rank):
        dims = {s[d - rank + len(s)] for s in shapes if d - rank + len(s) >= 0} - {1}
        if len(dims) > 1:
            _fail(source, op, f"input shapes {[tuple(s) for s in shapes]} do not broadcast")
        out.append(dims.pop() if dims else 1)
    return [tuple(out)]


def _select(g, op, source):
    """SELECT (v1): operands of one shape; the condition of that shape or a vector over its first dimension."""
    c, a, b = (g.tensors[i].shape for i in op.inputs[:3])
    if tuple(a) != tuple(b) or not (tuple(c) == tuple(a) or (len(c) == 1 and len(a) > 1 and c[0] == a[0])):
        raise _Skip                       # the lowering names the shapes it cannot take
    return [tuple(a)]


def _fill(g, op, source):
    return [tuple(_const_ints(g, op, 0))]


SHAPE_RULES = {
    "CONV_2D": lambda g, op, s: _conv_like(g, op, s, depthwise=False),
    "DEPTHWISE_CONV_2D": lambda g, op, s: _conv_like(g, op, s, depthwise=True),
    "AVERAGE_POOL_2D": _pool, "MAX_POOL_2D": _pool,
    "FULLY_CONNECTED": _fully_connected,
    "ADD": _broadcast, "SUB": _broadcast, "MUL": _broadcast, "DIV": _broadcast,
    "SOFTMAX": _same_as_input, "QUANTIZE": _same_as_input, "DEQUANTIZE": _same_as_input,
    "LOGISTIC": _same_as_input, "TANH": _same_as_input, "HARD_SWISH": _same_as_input,
    "LEAKY_RELU": _same_as_input, "RELU": _same_as_input, "RELU6": _same_as_input,
    "RELU_N1_TO_1": _same_as_input, "ABS": _same_as_input, "NEG": _same_as_input,
    "ELU": _same_as_input, "EXP": _same_as_input, "LOG": _same_as_input, "RSQRT": _same_as_input,
    "SQRT": _same_as_input, "PRELU": _broadcast, "SQUARED_DIFFERENCE": _broadcast, "ADD_N": _same_as_input,
    "L2_NORMALIZATION": _same_as_input, "CUMSUM": _same_as_input,
    "LOG_SOFTMAX": _same_as_input,
    "MAXIMUM": _broadcast, "MINIMUM": _broadcast,
    "CONCATENATION": _concatenation, "PAD": _pad, "PADV2": _pad, "MEAN": _reduce, "SUM": _reduce,
    "REDUCE_MAX": _reduce, "REDUCE_MIN": _reduce, "REDUCE_ALL": _reduce,
    "TRANSPOSE": _transpose, "RESIZE_BILINEAR": _resize, "RESIZE_NEAREST_NEIGHBOR": _resize,
    "TRANSPOSE_CONV": _transpose_conv, "BATCH_MATMUL": _batch_matmul, "STRIDED_SLICE": _strided_slice,
    "SPLIT": _split, "SPLIT_V": _split, "TILE": _tile, "ARG_MAX": _arg_minmax, "ARG_MIN": _arg_minmax,
    "SLICE": _slice, "PACK": _pack, "UNPACK": _unpack, "SPACE_TO_DEPTH": _space_depth, "DEPTH_TO_SPACE": _space_depth,
    "GATHER": _gather, "GATHER_ND": _gather_nd, "MIRROR_PAD": _pad, "SELECT_V2": _broadcast3, "SELECT": _select,
    "EQUAL": _broadcast, "NOT_EQUAL": _broadcast, "LESS": _broadcast, "LESS_EQUAL": _broadcast,
    "GREATER": _broadcast, "GREATER_EQUAL": _broadcast, "CAST": _same_as_input, "ZEROS_LIKE": _same_as_input,
    "FILL": _fill, "REVERSE_V2": _same_as_input, "DYNAMIC_UPDATE_SLICE": _same_as_input,
    "LOGICAL_AND": _broadcast, "LOGICAL_OR": _broadcast, "LOGICAL_NOT": _same_as_input,
}
SAME_SIZE = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")     # views: only the element count must agree


# Ops whose kernels rescale an int32 accumulator by input_scale * weight_scale / output_scale: (input, weights).
RESCALED = {"CONV_2D": (0, 1), "DEPTHWISE_CONV_2D": (0, 1), "FULLY_CONNECTED": (0, 1), "TRANSPOSE_CONV": (2, 1),
            "BATCH_MATMUL": (0, 1)}
MAX_RESCALE = float(1 << 30)    # the kernels' fixed-point rescale takes shifts up to 30; real models sit below 1


def check_rescales(g: Graph, source: str = "model") -> None:
    """Raise ModelFormatError when an op's rescale factor is absurd (a corrupt scale, e.g. 1e30): the
    fixed-point requantisation would shift by more than the int32 arithmetic of TFLite's kernels allows."""
    for op in g.ops:
        pos = RESCALED.get(op.kind)
        if pos is None or max(pos) >= len(op.inputs) or min(op.inputs[p] for p in pos) < 0:
            continue
        x, w, y = g.tensors[op.inputs[pos[0]]], g.tensors[op.inputs[pos[1]]], g.tensors[op.outputs[0]]
        if x.quant is None or w.quant is None or y.quant is None or not y.quant.scale or y.quant.scale[0] <= 0:
            continue                      # missing quantisation is reported by the lowering
        real = float(x.quant.scale[0]) * max(float(s) for s in w.quant.scale) / float(y.quant.scale[0])
        if not real < MAX_RESCALE:
            _fail(source, op, f"input scale x weight scale / output scale = {real:.3g} is out of range "
                              f"(at most 2^30; int8 models have it below 1): a corrupt quantisation scale")


def check_shapes(g: Graph, source: str = "model") -> None:
    """Raise ModelFormatError naming the op when an output shape is not what the op computes."""
    for op in g.ops:
        ys = [g.tensors[t].shape for t in op.outputs]
        if op.kind in SAME_SIZE:
            x = g.tensors[op.inputs[0]].shape
            if _size(x) != _size(ys[0]):
                _fail(source, op, f"output shape {tuple(ys[0])} holds {_size(ys[0])} elements, "
                                  f"the input {tuple(x)} holds {_size(x)}")
            continue
        rule = SHAPE_RULES.get(op.kind)
        if rule is None:
            continue
        try:
            expected = rule(g, op, source)
        except _Skip:
            continue
        except UnsupportedModelError as e:     # e.g. a padding the shape formula does not know
            _fail(source, op, str(e))
        if len(expected) != len(ys):
            _fail(source, op, f"has {len(ys)} outputs; it computes {len(expected)}")
        for k, (want, got) in enumerate(zip(expected, ys)):
            want = tuple(int(d) for d in want)
            if any(d <= 0 for d in want):
                _fail(source, op, f"its inputs and attributes give an empty output {want}")
            if want != tuple(got):
                which = f"output {k} (tensor {op.outputs[k]})" if len(ys) > 1 else f"output tensor {op.outputs[0]}"
                _fail(source, op, f"{which} has shape {tuple(got)}, but the op computes {want} "
                                  "from its inputs and attributes")
