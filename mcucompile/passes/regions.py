"""Receptive-field (region) math for patch-based inference.

A Region is a half-open rectangle of rows [y0, y1) and columns [x0, x1) of an NHWC tensor. For an op
in the patch stage, `input_regions` maps the region of its output that a patch needs to the region of
each activation input it must read: the receptive field with its halo, clipped at the tensor border
(taps outside the tensor are the op's padding, which the kernels reproduce from the tile origin).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph, Op
from ..ir.geometry import resize_interval, spatial_slice, window_geometry

WINDOWED = ("CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "MAX_POOL_2D")
ELEMENTWISE = ("ADD", "SUB", "MUL", "DIV")    # two inputs broadcast to the output's shape
# one input, pixel for pixel (int8 -> int8: a 256-entry table, mcu_lut_s8)
POINTWISE = ("LOGISTIC", "TANH", "HARD_SWISH", "LEAKY_RELU", "RELU", "RELU6", "RELU_N1_TO_1", "QUANTIZE")
RESIZE = ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR")    # an output row reads one or two input rows
# along the channels: every input at the output's pixels; along rows or columns: each input at its span
CONCAT = ("CONCATENATION",)
PADS = ("PAD", "PADV2")                    # of the spatial axes: output rows are input rows shifted
SLICES = ("STRIDED_SLICE",)                # forward steps through rows and columns
LAYOUT = ("TRANSPOSE",)                    # batch first (NCHW -> NHWC, rows <-> columns, ...): its input is read
#                                            whole (a model input or a map from before the stage), gathered per patch
CHANNEL_REDUCE = ("SUM", "MEAN")           # over the channels only, keep_dims: pixel for pixel
TOKEN_MATMUL = ("BATCH_MATMUL",)           # each pixel's channels times a matrix read whole (a token map)
PATCHABLE = (*WINDOWED, *ELEMENTWISE, *POINTWISE, *RESIZE, *CONCAT, *LAYOUT, *PADS, *SLICES, *CHANNEL_REDUCE,
             *TOKEN_MATMUL)


@dataclass(frozen=True)
class Region:
    y0: int
    y1: int
    x0: int
    x1: int

    @property
    def h(self) -> int:
        return self.y1 - self.y0

    @property
    def w(self) -> int:
        return self.x1 - self.x0

    @property
    def area(self) -> int:
        return max(self.h, 0) * max(self.w, 0)

    def union(self, o: Region | None) -> Region:
        if o is None:
            return self
        return Region(min(self.y0, o.y0), max(self.y1, o.y1), min(self.x0, o.x0), max(self.x1, o.x1))

    def contains(self, o: Region) -> bool:
        return self.y0 <= o.y0 and o.y1 <= self.y1 and self.x0 <= o.x0 and o.x1 <= self.x1


def full(shape) -> Region:
    return Region(0, shape[1], 0, shape[2])


def whole(g: Graph, t: int) -> Region:
    """All of tensor t (its shape right-aligned to 4-D: a lower-rank operand broadcasts)."""
    d = dims4(g, t)
    return Region(0, d[1], 0, d[2])


def dims4(g: Graph, t: int) -> tuple[int, ...]:
    """Tensor t's shape right-aligned to 4-D (broadcasting's view of a lower-rank operand)."""
    shape = tuple(g.tensors[t].shape)
    return (1,) * (4 - len(shape)) + shape


@dataclass(frozen=True)
class Window:
    """How output rows/cols map to input rows/cols: in = out * stride - pad + k * dilation, k < taps."""
    kh: int
    kw: int
    sh: int
    sw: int
    dh: int
    dw: int
    pad_top: int
    pad_left: int


def window(g: Graph, op: Op) -> Window:
    """The sliding window of a conv/depthwise/pool op, with its padding (TFLite's, or the PAD folded in)."""
    a = op.attrs
    x = g.tensors[op.inputs[0]]
    if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        w = g.tensors[op.inputs[1]]
        kh, kw = w.shape[1], w.shape[2]
        geo = window_geometry(a, x.shape[1], x.shape[2], kh, kw)
        return Window(kh, kw, a.stride_h, a.stride_w, a.dilation_h, a.dilation_w, geo.pad_top, geo.pad_left)
    if op.kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        geo = window_geometry(a, x.shape[1], x.shape[2], a.filter_h, a.filter_w)
        return Window(a.filter_h, a.filter_w, a.stride_h, a.stride_w, 1, 1, geo.pad_top, geo.pad_left)
    raise ValueError(f"{op.kind} has no sliding window")


def window_interval(o0: int, o1: int, k: int, s: int, d: int, pad: int, size: int) -> tuple[int, int]:
    """One axis of the receptive field: the smallest [i0, i1) holding every input row (inside [0, size))
    that outputs [o0, o1) read. Outputs near the edges may read padding only, or (with dilation) skip the
    first/last rows: the lowest row is searched among the outputs up to the first whose window starts
    inside the tensor (later windows start further down), the highest among the outputs from the last
    down to the first whose window ends inside. Empty when nothing is read."""

    def taps(o: int):
        base = o * s - pad
        first = 0 if base >= 0 else (-base + d - 1) // d           # first tap inside the tensor
        last = min(k - 1, (size - 1 - base) // d) if size - 1 - base >= 0 else -1
        return (base + first * d, base + last * d) if first <= last else None

    lo, hi = size, 0
    for o in range(o0, o1):             # a window starting inside: later windows start further down
        t = taps(o)
        if t is not None:
            lo = min(lo, t[0])
        if o * s - pad >= 0:
            break
    for o in range(o1 - 1, o0 - 1, -1):  # a window ending inside: earlier windows end further up
        t = taps(o)
        if t is not None:
            hi = max(hi, t[1] + 1)
        if o * s - pad + (k - 1) * d <= size - 1:
            break
    return (lo, hi) if lo < hi else (0, 0)


def input_intervals(g: Graph, op: Op, axis: int, o0: int, o1: int) -> dict[int, tuple[int, int]]:
    """input_regions along one spatial axis (1 = rows, 2 = columns): the region math is separable."""
    if op.kind in ELEMENTWISE:      # a broadcast axis reads its one row/column
        return {t: (o0, o1) if dims4(g, t)[axis] > 1 else (0, 1) for t in op.inputs}
    if op.kind in CONCAT:
        if concat_axis(g, op) != axis:
            return {t: (o0, o1) for t in op.inputs}
        out: dict[int, tuple[int, int]] = {}
        nearest: dict[int, tuple[int, int]] = {}
        for t, (off, size) in zip(op.inputs, concat_spans(g, op)):
            i0, i1 = max(o0 - off, 0), min(o1 - off, size)
            if i1 <= i0:    # no row of this input: its nearest one, so that every stage tensor keeps a
                i0 = min(max(o0 - off, 0), size - 1)        # region (the copy of this input copies none)
                nearest.setdefault(t, (i0, i0 + 1))
                continue
            old = out.get(t)                                # an input given twice: both spans
            out[t] = (i0, i1) if old is None else (min(i0, old[0]), max(i1, old[1]))
        return {t: out[t] if t in out else nearest[t] for t in dict.fromkeys(op.inputs)}
    if op.kind in POINTWISE or op.kind in CHANNEL_REDUCE or op.kind in TOKEN_MATMUL:
        return {op.inputs[0]: (o0, o1)}
    if op.kind in LAYOUT:           # its input is read whole (from before the stage): nothing of the stage
        return {}
    if op.kind in SLICES:
        sl = spatial_slice(g, op)
        assert sl is not None, "patchable() admits spatial slices only"
        start, stride = sl
        return {op.inputs[0]: (start[axis] + o0 * stride[axis], start[axis] + (o1 - 1) * stride[axis] + 1)}
    if op.kind in PADS:
        pads = spatial_pads(g, op)
        assert pads is not None, "patchable() admits spatial pads only"
        before = pads[axis - 1][0]
        size = g.tensors[op.inputs[0]].shape[axis]
        i0, i1 = max(o0 - before, 0), min(o1 - before, size)
        return {op.inputs[0]: (i0, i1) if i0 < i1 else (0, 0)}
    if op.kind in RESIZE:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        return {op.inputs[0]: resize_interval(op.kind, op.attrs, x.shape[axis], y.shape[axis], o0, o1)}
    win = window(g, op)
    x = g.tensors[op.inputs[0]]
    if axis == 1:
        return {op.inputs[0]: window_interval(o0, o1, win.kh, win.sh, win.dh, win.pad_top, x.shape[1])}
    return {op.inputs[0]: window_interval(o0, o1, win.kw, win.sw, win.dw, win.pad_left, x.shape[2])}


def window_input(win: Window, out: Region, in_h: int, in_w: int) -> Region:
    """Input rows/cols that output region `out` reads (the receptive field, inside the input tensor)."""
    y0, y1 = window_interval(out.y0, out.y1, win.kh, win.sh, win.dh, win.pad_top, in_h)
    x0, x1 = window_interval(out.x0, out.x1, win.kw, win.sw, win.dw, win.pad_left, in_w)
    return Region(y0, y1, x0, x1)


def patchable(g: Graph, op: Op) -> bool:
    """Can this op run on a spatial patch? (4-D NHWC activations, a kind whose region math we know)."""
    if op.kind not in PATCHABLE:
        return False
    if any(t >= 0 and g.tensors[t].dtype == "int16" for t in (*op.inputs, *op.outputs)):
        return False                # 16x8 ops run layer by layer (their patch kernels are int8)
    acts = [t for t in (*op.inputs[:1], *op.outputs) if t >= 0]
    if any(len(g.tensors[t].shape) != 4 or g.tensors[t].shape[0] != 1 for t in acts):
        return False
    if op.kind in ELEMENTWISE:
        y = g.tensors[op.outputs[0]]
        return all(len(g.tensors[t].shape) <= 4 and all(d in (1, e) for d, e in zip(dims4(g, t), y.shape))
                   for t in op.inputs)
    if op.kind in POINTWISE:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        return not x.is_const and x.shape == y.shape and x.dtype == y.dtype == "int8"
    if op.kind in RESIZE:
        x = g.tensors[op.inputs[0]]
        return not x.is_const and x.dtype == "int8"
    if op.kind in PADS:
        x = g.tensors[op.inputs[0]]
        return not x.is_const and x.dtype == "int8" and spatial_pads(g, op) is not None
    if op.kind in SLICES:
        x = g.tensors[op.inputs[0]]
        return not x.is_const and x.dtype == "int8" and spatial_slice(g, op) is not None
    if op.kind in LAYOUT:
        perm = g.tensors[op.inputs[1]].data if len(op.inputs) > 1 else None
        x = g.tensors[op.inputs[0]]
        return perm is not None and int(perm.reshape(-1)[0]) == 0 and not x.is_const and x.dtype == "int8"
    if op.kind in CHANNEL_REDUCE:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        axes = g.tensors[op.inputs[1]].data if len(op.inputs) > 1 else None
        return (not x.is_const and x.dtype == y.dtype == "int8" and axes is not None and axes.size == 1
                and int(axes.reshape(-1)[0]) % 4 == 3 and tuple(y.shape) == (*x.shape[:3], 1))
    if op.kind in TOKEN_MATMUL:
        x, w, y = (g.tensors[t] for t in (*op.inputs[:2], op.outputs[0]))
        return (len(op.inputs) == 2 and not x.is_const and not op.attrs.adj_x and len(w.shape) in (2, 3)
                and (len(w.shape) == 2 or w.shape[0] == 1) and x.dtype == w.dtype == y.dtype == "int8"
                and tuple(y.shape[:3]) == tuple(x.shape[:3]))
    if op.kind in CONCAT:
        y = g.tensors[op.outputs[0]]
        axis = concat_axis(g, op)
        return (axis in (1, 2, 3) and y.dtype == "int8"
                and all(not g.tensors[t].is_const and len(g.tensors[t].shape) == 4
                        and all(g.tensors[t].shape[d] == y.shape[d] for d in range(4) if d != axis)
                        for t in op.inputs)
                and sum(g.tensors[t].shape[axis] for t in op.inputs) == y.shape[axis])
    return True


def concat_axis(g: Graph, op: Op) -> int:
    """The axis a CONCATENATION joins along, counted from the front (negative axes resolved)."""
    rank = len(g.tensors[op.outputs[0]].shape)
    return op.attrs.axis + rank if op.attrs.axis < 0 else op.attrs.axis


def concat_spans(g: Graph, op: Op) -> list[tuple[int, int]]:
    """Per input of a CONCATENATION: (offset, size) of its span along the concatenated axis."""
    axis, off, out = concat_axis(g, op), 0, []
    for t in op.inputs:
        size = g.tensors[t].shape[axis]
        out.append((off, size))
        off += size
    return out


def input_regions(g: Graph, op: Op, out: Region) -> dict[int, Region]:
    """Activation input tensor -> the region of it that output region `out` of `op` reads."""
    if op.kind in ELEMENTWISE:
        return {t: Region(*((out.y0, out.y1) if dims4(g, t)[1] > 1 else (0, 1)),
                          *((out.x0, out.x1) if dims4(g, t)[2] > 1 else (0, 1))) for t in op.inputs}
    if op.kind in CONCAT:
        rows = input_intervals(g, op, 1, out.y0, out.y1)
        cols = input_intervals(g, op, 2, out.x0, out.x1)
        return {t: Region(*rows[t], *cols[t]) for t in rows}
    if op.kind in POINTWISE or op.kind in CHANNEL_REDUCE or op.kind in TOKEN_MATMUL:
        return {op.inputs[0]: out}
    if op.kind in LAYOUT:
        return {}
    if op.kind in RESIZE or op.kind in PADS or op.kind in SLICES:
        (t, (y0, y1)), = input_intervals(g, op, 1, out.y0, out.y1).items()
        (_, (x0, x1)), = input_intervals(g, op, 2, out.x0, out.x1).items()
        return {t: Region(y0, y1, x0, x1)}
    x = g.tensors[op.inputs[0]]
    return {op.inputs[0]: window_input(window(g, op), out, x.shape[1], x.shape[2])}


# when an op of a patchable kind runs per patch (for `mcucompile ops`)
PATCH_NOTES = {
    "ADD": "per patch when both inputs broadcast to the output's 4-D shape (constants included)",
    "SUB": "per patch when both inputs broadcast to the output's 4-D shape (constants included)",
    "MUL": "per patch when both inputs broadcast to the output's 4-D shape (constants included)",
    "CONCATENATION": "per patch along the channel, row or column axis (a patch copies each input's part of it)",
    "TRANSPOSE": ("per patch when it keeps the batch axis first (NCHW -> NHWC, rows <-> columns, ...): each patch "
                  "gathers its pixels from the whole input (a model input or a map from before the stage)"),
    "PAD": "per patch when it pads rows and columns only (PADs before convs and max pools fold away)",
    "PADV2": "per patch when it pads rows and columns only (PADs before convs and max pools fold away)",
    "QUANTIZE": "per patch from an int8 input (int8 -> int8 is a 256-entry table)",
    "STRIDED_SLICE": "per patch when it keeps the four axes of a map and steps forward (constant bounds)",
    "DIV": "per patch when both inputs broadcast to the output's 4-D shape (constants included)",
    "SUM": "per patch when it sums each pixel's channels (keep_dims), e.g. over a token map",
    "MEAN": "per patch when it averages each pixel's channels (keep_dims), e.g. over a token map",
    "BATCH_MATMUL": "per patch when it multiplies each pixel of a map by one matrix (tokens lifted to a map)",
}


def spatial_pads(g: Graph, op: Op) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """((top, bottom), (left, right)) of a PAD/PADV2 of a 4-D map that pads rows and columns only, else
    None."""
    x = g.tensors[op.inputs[0]]
    data = g.tensors[op.inputs[1]].data if len(op.inputs) >= 2 else None
    if data is None or len(x.shape) != 4:
        return None
    p = [int(v) for v in data.reshape(-1)]
    if len(p) != 8 or min(p) < 0 or any(p[k] for k in (0, 1, 6, 7)):
        return None
    return (p[2], p[3]), (p[4], p[5])


# ops with a spatial meaning whose per-patch region math and kernels are not written yet
SPATIAL_NOT_YET = ("MIRROR_PAD", "SLICE", "TRANSPOSE_CONV", "SPACE_TO_DEPTH",
                   "DEPTH_TO_SPACE")


def break_reason(g: Graph, op: Op) -> str | None:
    """Why op cannot run inside a patch stage (None: it can), for `analyze --patch auto`."""
    if patchable(g, op):
        return None
    if op.kind in SPATIAL_NOT_YET:
        return "spatial, but no per-patch region math for it yet"
    if op.kind not in PATCHABLE:
        return "not spatial (it needs the whole map, or its output is not an NHWC map)"
    if op.kind in CHANNEL_REDUCE:
        return "not spatial (it needs the whole map: it reduces more than each pixel's channels)"
    if op.kind in TOKEN_MATMUL:
        return "not spatial (it mixes pixels: not a map's pixels times one matrix)"
    acts = [t for t in (*op.inputs[:1], *op.outputs) if t >= 0]
    if any(len(g.tensors[t].shape) != 4 or g.tensors[t].shape[0] != 1 for t in acts):
        return "not a 4-D NHWC map of batch 1"
    if op.kind in ELEMENTWISE:
        return "an input does not broadcast to the output's shape"
    if op.kind in CONCAT and concat_axis(g, op) not in (1, 2, 3):
        return (f"concatenates along axis {op.attrs.axis} (only the row, column and channel axes run per "
                "patch)")
    if op.kind in LAYOUT:
        return "moves the batch axis (or its permutation is not constant)"
    if op.kind in PADS:
        return "pads more than the rows and columns (or its paddings are not constant)"
    if op.kind in SLICES:
        return "shrinks an axis, steps backwards or has bounds that are not constant"
    return "a constant input or a dtype other than int8"
