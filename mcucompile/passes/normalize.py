"""Graph normalisation between the reader and the planner: the exported graph made plannable.

Exporters from PyTorch (ONNX -> TFLite, litert-torch) write what TensorFlow's converter folds away:
an explicit PAD before every strided or depthwise conv (a padded copy of the whole map, often the
model's peak), and a TRANSPOSE from NCHW at the input. This pass rewrites them, exactly:

- fold_pad: a PAD/PADV2 of the two spatial axes whose one reader is a CONV_2D / DEPTHWISE_CONV_2D (pad
  value = the zero point, so padded taps add nothing) or a MAX_POOL_2D (pad value no greater than the
  input can be, so padded taps never win) becomes that op's four-sided padding (padding "EXPLICIT").
  An AVERAGE_POOL_2D counts only real pixels where TFLite pads implicitly, so a PAD before one stays.
- drop_input_transpose (input_layout "nhwc"): a TRANSPOSE NCHW -> NHWC that is the only reader of a
  model input is dropped; the caller passes NHWC (the generated header says so).
- token_map (passes/token_maps.py): per-token ops on a map flattened into tokens run on the map itself.
- fold_shape: SHAPE (of a static shape, so always a constant) becomes a constant tensor.
- fold_broadcast_args: BROADCAST_ARGS of two constant shapes (a folded SHAPE's too) becomes a constant.
- hoist (passes/hoist.py): an op that would cut a run of patchable ops without reading it moves before
  the run (with the ops of the run it reads), when that does not raise the layer-by-layer peak.

Each rewrite is recorded (Graph.rewrites, with the model file's op indices) for `analyze`; ops are
renumbered so that op.index stays the op's position. The references (TFLite Micro, LiteRT) always run the
unrewritten model file, so every rewrite is checked against them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..ir import Graph, Op, Rewrite
from ..ir.geometry import WindowGeometry, padding_text, window_geometry
from ..ir.quant import activation_range
from .hoist import hoist
from .token_maps import lift_token_maps

INPUT_LAYOUTS = ("model", "nhwc")
NCHW_TO_NHWC = (0, 2, 3, 1)


def normalize(g: Graph, input_layout: str = "model") -> Graph:
    """The rewritten graph (g itself when nothing applies)."""
    if input_layout not in INPUT_LAYOUTS:
        from ..errors import McuCompileError
        raise McuCompileError(f"unknown input layout {input_layout!r}; one of {', '.join(INPUT_LAYOUTS)}")
    ops: list[Op | None] = list(g.ops)
    tensors = list(g.tensors)
    rewrites: list[Rewrite] = []
    for k, op in enumerate(g.ops):
        if op.kind in ("SHAPE", "BROADCAST_ARGS"):
            done = (_fold_shape if op.kind == "SHAPE" else _fold_broadcast_args)(g, op, tensors)
            if done is not None:
                ops[k] = None
                rewrites.append(done)
    readers: dict[int, list[int]] = {}
    for k, op in enumerate(g.ops):
        for t in op.inputs:
            if t >= 0 and ops[k] is not None:
                readers.setdefault(t, []).append(k)
    inputs = list(g.inputs)
    if input_layout == "nhwc":
        for i, t in enumerate(g.inputs):
            r = readers.get(t, [])
            if len(r) != 1 or t in g.outputs or g.ops[r[0]].kind != "TRANSPOSE":
                continue
            op = g.ops[r[0]]
            perm = _const(g, op.inputs[1]) if len(op.inputs) > 1 else None
            if perm is None or tuple(int(p) for p in perm.reshape(-1)) != NCHW_TO_NHWC:
                continue
            y = g.tensors[op.outputs[0]]
            ops[r[0]] = None
            inputs[i] = y.index
            rewrites.append(Rewrite("drop_input_transpose", op.index, -1,
                                    f"op {op.index} TRANSPOSE NCHW -> NHWC of input {i} dropped: the caller "
                                    f"passes NHWC {list(y.shape)}", i, NCHW_TO_NHWC))
    for k, op in enumerate(g.ops):
        if op.kind in ("PAD", "PADV2") and ops[k] is not None:
            done = _fold_pad(g, op, readers, ops)
            if done is not None:
                rewrites.append(done)
    if any(r.kind in ("fold_shape", "fold_broadcast_args") for r in rewrites):
        g = replace(g, tensors=tuple(tensors))
    rewrites += lift_token_maps(g, ops, tensors)
    moved, hoisted = hoist(replace(g, tensors=tuple(tensors), ops=tuple(op for op in ops if op is not None),
                                   inputs=tuple(inputs)))
    rewrites += hoisted
    if not rewrites:
        return g
    renum = tuple(replace(op, index=k) for k, op in enumerate(moved.ops))
    return replace(moved, ops=renum, rewrites=g.rewrites + tuple(rewrites))


def _fold_shape(g: Graph, op: Op, tensors: list) -> Rewrite | None:
    """SHAPE of a tensor (every shape is static here) becomes a constant int32/int64 tensor; its readers (a
    RESHAPE's shape, FILL's dims, BROADCAST_TO's shape, ...) then see a constant. Kept when it is a model
    output or not a 1-D int32/int64 tensor of the input's rank."""
    if len(op.inputs) != 1 or len(op.outputs) != 1 or op.inputs[0] < 0:
        return None
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if y.index in g.outputs or y.dtype not in ("int32", "int64") or tuple(y.shape) != (len(x.shape),):
        return None
    tensors[y.index] = replace(y, data=np.array(x.shape, dtype=y.dtype))
    return Rewrite("fold_shape", op.index, -1, f"op {op.index} SHAPE of {list(x.shape)} folded into a constant")


def _fold_broadcast_args(g: Graph, op: Op, tensors: list) -> Rewrite | None:
    """BROADCAST_ARGS of two constant 1-D shapes (tensors: the constants folded so far) becomes the constant
    broadcast shape (NumPy's rule, TFLite's reference_ops::BroadcastArgs). Kept, and refused by its
    lowering, when an input is not constant, the shapes do not broadcast, the output is a model output or
    not a 1-D tensor of the inputs' dtype and the broadcast rank."""
    if len(op.inputs) != 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        return None
    a, b, y = tensors[op.inputs[0]], tensors[op.inputs[1]], tensors[op.outputs[0]]
    if a.data is None or b.data is None or y.index in g.outputs or not a.dtype == b.dtype == y.dtype:
        return None
    if y.dtype not in ("int32", "int64") or len(a.shape) != 1 or len(b.shape) != 1:
        return None
    sa, sb = (tuple(int(v) for v in np.asarray(t.data).reshape(-1)) for t in (a, b))
    try:
        out = np.broadcast_shapes(sa, sb)
    except ValueError:
        return None
    if tuple(y.shape) != (len(out),):
        return None
    tensors[y.index] = replace(y, data=np.array(out, dtype=y.dtype))
    return Rewrite("fold_broadcast_args", op.index, -1,
                   f"op {op.index} BROADCAST_ARGS of {list(sa)} and {list(sb)} folded into the constant {list(out)}")


def _const(g: Graph, t: int) -> np.ndarray | None:
    return None if t < 0 or g.tensors[t].data is None else np.asarray(g.tensors[t].data)


def _pad_value(g: Graph, op: Op) -> int | None:
    y = g.tensors[op.outputs[0]]
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        cv = g.tensors[op.inputs[2]]
        v = _const(g, cv.index)
        if v is None or v.size != 1 or cv.quant is None or cv.zero_point != y.zero_point or cv.scale != y.scale:
            return None
        return int(v.reshape(-1)[0])
    return y.zero_point


def _lowest(g: Graph, t: int) -> int:
    """The least value tensor t can hold: its producer's fused activation clamp, else -128."""
    k = g.producers().get(t)
    act = getattr(g.ops[k].attrs, "activation", "NONE") if k is not None else "NONE"
    x = g.tensors[t]
    if act in ("RELU", "RELU6", "RELU_N1_TO_1") and x.quant is not None:
        return activation_range(act, x.scale, x.zero_point)[0]
    return -128


def _fold_pad(g: Graph, op: Op, readers: dict, ops: list) -> Rewrite | None:
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    pads = _const(g, op.inputs[1]) if len(op.inputs) > 1 else None
    if (pads is None or pads.size != 8 or len(x.shape) != 4 or len(y.shape) != 4 or x.dtype != "int8"
            or y.dtype != "int8" or x.quant is None or y.quant is None or x.quant.per_channel
            or x.zero_point != y.zero_point or x.scale != y.scale or y.index in g.outputs or x.shape[0] != 1):
        return None
    p = pads.reshape(4, 2).astype(np.int64)
    if (p < 0).any() or p[0].any() or p[3].any():
        return None
    r = readers.get(y.index, [])
    if len(r) != 1 or ops[r[0]] is None:
        return None
    nxt = ops[r[0]]
    if nxt.inputs[0] != y.index or y.index in nxt.inputs[1:]:
        return None
    value = _pad_value(g, op)
    if value is None:
        return None
    if nxt.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        if value != y.zero_point:
            return None
        w = g.tensors[nxt.inputs[1]]
        kh, kw = w.shape[1], w.shape[2]
    elif nxt.kind == "MAX_POOL_2D":
        if value > _lowest(g, x.index):
            return None
        kh, kw = nxt.attrs.filter_h, nxt.attrs.filter_w
    else:
        return None
    a = nxt.attrs
    if a.padding not in ("SAME", "VALID"):
        return None
    inner = window_geometry(a, y.shape[1], y.shape[2], kh, kw)
    top, left = int(p[1, 0]) + inner.pad_top, int(p[2, 0]) + inner.pad_left
    dh, dw = getattr(a, "dilation_h", 1), getattr(a, "dilation_w", 1)
    # the pads the last output's window reads past the input (TFLite's convention: never negative)
    bottom = max((inner.out_h - 1) * a.stride_h + (kh - 1) * dh + 1 - x.shape[1] - top, 0)
    right = max((inner.out_w - 1) * a.stride_w + (kw - 1) * dw + 1 - x.shape[2] - left, 0)
    new = replace(a, padding="EXPLICIT", pads=(top, left, bottom, right))
    geo = window_geometry(new, x.shape[1], x.shape[2], kh, kw)
    if (geo.out_h, geo.out_w) != (inner.out_h, inner.out_w):
        return None
    if nxt.kind == "MAX_POOL_2D" and not _every_window_real(geo, x.shape[1], x.shape[2], kh, kw, a):
        return None
    ops[r[0]] = replace(nxt, inputs=(x.index, *nxt.inputs[1:]), attrs=new)
    ops[op.index] = None
    return Rewrite("fold_pad", op.index, nxt.index,
                   f"op {op.index} {op.kind} {list(y.shape)} folded into op {nxt.index} {nxt.kind} "
                   f"({padding_text(new)}; pad value {value})")


def _every_window_real(geo: WindowGeometry, in_h: int, in_w: int, kh: int, kw: int, a) -> bool:
    """Every pooling window reads at least one real pixel (a window of padding only would give the pad
    value in TFLite and the lowest value in a pool that skips padding)."""
    return (geo.pad_top < kh and geo.pad_left < kw
            and (geo.out_h - 1) * a.stride_h - geo.pad_top < in_h
            and (geo.out_w - 1) * a.stride_w - geo.pad_left < in_w)
