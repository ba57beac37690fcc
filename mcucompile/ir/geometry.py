"""Sliding-window geometry of convolutions and pools: output size and four-sided padding.

One place for TFLite's ComputeOutSize / ComputePaddingWithOffset (padding "SAME" or "VALID") and for the
explicit four-sided padding that graph normalisation gives a conv or pool when it folds an explicit PAD
into it (padding "EXPLICIT", attrs.pads = (top, left, bottom, right)). Lowering, region math and the
model checks all ask window_geometry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UnsupportedModelError


def compute_out_size(padding: str, in_size: int, k: int, stride: int, dilation: int = 1) -> int:
    """TFLite ComputeOutSize."""
    eff = (k - 1) * dilation + 1
    if stride == 0:
        return 0
    if padding == "SAME":
        return (in_size + stride - 1) // stride
    if padding == "VALID":
        return (in_size + stride - eff) // stride
    return 0


def compute_padding(stride: int, dilation: int, in_size: int, k: int, out_size: int) -> tuple[int, int]:
    """TFLite ComputePaddingWithOffset: (before, after); after = before + offset."""
    eff = (k - 1) * dilation + 1
    total = max((out_size - 1) * stride + eff - in_size, 0)
    return total // 2, total - total // 2


@dataclass(frozen=True)
class WindowGeometry:
    out_h: int
    out_w: int
    pad_top: int
    pad_left: int
    pad_bottom: int
    pad_right: int

    @property
    def pads(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right)"""
        return self.pad_top, self.pad_left, self.pad_bottom, self.pad_right


def pool_output_and_padding(in_size: int, filter_size: int, stride: int, padding: str) -> tuple[int, int]:
    """TFLite's ComputeOutSize + ComputePadding (dilation 1): (output size, padding before)."""
    if padding not in ("SAME", "VALID"):
        raise UnsupportedModelError(f"pooling padding {padding!r} is not supported")
    out = compute_out_size(padding, in_size, filter_size, stride, 1)
    return out, compute_padding(stride, 1, in_size, filter_size, out)[0]


def _axis(padding: str, explicit: tuple[int, int] | None, in_size: int, k: int, s: int, d: int):
    if padding == "EXPLICIT" and explicit is not None:
        before, after = explicit
        eff = (k - 1) * d + 1
        out = (in_size + before + after - eff) // s + 1 if s > 0 and in_size + before + after >= eff else 0
        return out, before, after
    out = compute_out_size(padding, in_size, k, s, d)
    return (out, *compute_padding(s, d, in_size, k, out))


def window_geometry(attrs, in_h: int, in_w: int, kh: int, kw: int) -> WindowGeometry:
    """Output size and padding of a conv / depthwise conv (attrs with dilations) or pool (dilation 1) on an
    in_h x in_w input with a kh x kw window. Padding "EXPLICIT" takes attrs.pads (top, left, bottom,
    right); for "SAME" / "VALID" the padding is TFLite's (before = total // 2). Pads after the last
    output's window (bottom/right) may exceed what the window reads (VALID's leftover rows: negative)."""
    dh, dw = getattr(attrs, "dilation_h", 1), getattr(attrs, "dilation_w", 1)
    pads = getattr(attrs, "pads", None)
    oh, pt, pb = _axis(attrs.padding, (pads[0], pads[2]) if pads else None, in_h, kh, attrs.stride_h, dh)
    ow, pl, pr = _axis(attrs.padding, (pads[1], pads[3]) if pads else None, in_w, kw, attrs.stride_w, dw)
    return WindowGeometry(oh, ow, pt, pl, pb, pr)


def padding_text(attrs) -> str:
    """How a conv/pool pads, for comments and messages: "SAME padding", "VALID padding" or "pads t/l/b/r"."""
    if attrs.padding == "EXPLICIT" and attrs.pads is not None:
        t, l, b, r = attrs.pads
        return f"pads t{t} l{l} b{b} r{r}"
    return f"{attrs.padding} padding"


# ---- resize: which input rows/columns an output row/column reads (TFLite's arithmetic) ----------

def _round_half_away(v: np.float32) -> int:
    """TfLiteRound (std::round) of a float32 value: ties away from zero."""
    t = np.trunc(v)
    if abs(float(v) - float(t)) >= 0.5:      # exact for float32 values
        t += np.float32(np.sign(v))
    return int(t)


def nearest_indices(out_size: int, in_size: int, align_corners: bool, half_pixel_centers: bool) -> list[int]:
    """TFLite's GetNearestNeighbor for every output index, in float32 as the C++ computes it."""
    f = np.float32
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    else:
        scale = f(in_size) / f(out_size)
    offset = f(0.5) if half_pixel_centers else f(0.0)
    picks = []
    for v in range(out_size):
        s = f(f(v) + offset) * scale
        k = _round_half_away(s) if align_corners else int(np.floor(s))
        k = min(k, in_size - 1)
        if half_pixel_centers:
            k = max(0, k)
        picks.append(k)
    return picks


def bilinear_scale_10(out_size: int, in_size: int, align_corners: bool) -> int:
    """ResizeBilinearInteger's scale: input pixels per output pixel in 1/1024 units, rounded."""
    if align_corners and out_size > 1:
        return ((1 << 10) * (in_size - 1) + (out_size - 1) // 2) // (out_size - 1)
    return ((1 << 10) * in_size + out_size // 2) // out_size


def bilinear_offset(scale: int, half_pixel_centers: bool) -> int:
    """ResizeBilinearInteger's offset: half_pixel_centers puts the source at (v + 0.5) * scale - 0.5, i.e.
    v * scale + scale / 2 - 512 in 1/1024 pixels (C division)."""
    return scale // 2 - (1 << 9) if half_pixel_centers else 0


def _trunc_div(a: int, b: int) -> int:
    """C's integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def bilinear_rows(v: int, scale: int, offset: int, size: int) -> tuple[int, int]:
    """The two input indices output index v blends (firmware/mcu_resize.c's source())."""
    s = v * scale + offset
    return max(_trunc_div(s, 1024), 0), min(_trunc_div(s + 1023, 1024), size - 1)


def resize_interval(kind: str, attrs, in_size: int, out_size: int, o0: int, o1: int) -> tuple[int, int]:
    """Input indices [i0, i1) that outputs [o0, o1) of a RESIZE_BILINEAR / RESIZE_NEAREST_NEIGHBOR read
    along one axis (sources never decrease with the output index)."""
    if kind == "RESIZE_NEAREST_NEIGHBOR":
        picks = nearest_indices(out_size, in_size, attrs.align_corners, attrs.half_pixel_centers)
        seen = picks[o0:o1]
        return min(seen), max(seen) + 1
    scale = bilinear_scale_10(out_size, in_size, attrs.align_corners)
    offset = bilinear_offset(scale, attrs.half_pixel_centers)
    first, last = bilinear_rows(o0, scale, offset, in_size), bilinear_rows(o1 - 1, scale, offset, in_size)
    return min(first), max(last) + 1


# ---- STRIDED_SLICE: the first element and the end along one axis (TFLite's arithmetic) -------------

def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else (lo if v < lo else v)


def slice_bounds(size: int, begin: int, end: int, stride: int, begin_masked: bool, end_masked: bool,
                 shrink: bool) -> tuple[int, int]:
    """TFLite's StridedSliceStartForAxis / StridedSliceEndForAxis for one axis: (start, stop)."""
    start = begin + size if begin < 0 else begin
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    if shrink:
        return start, (start if start >= size else start + 1)
    stop = end + size if end < 0 else end
    stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
    if end_masked:
        stop = size if stride > 0 else -1
    return start, stop


def spatial_slice(g, op) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
    """(start, stride) per axis of a STRIDED_SLICE of a 4-D map that keeps all four axes and steps forward
    through rows and columns (what patch stages run), else None."""
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    consts = [g.tensors[t].data if t >= 0 else None for t in op.inputs[1:4]]
    a = op.attrs
    if (len(op.inputs) != 4 or len(x.shape) != 4 or len(y.shape) != 4 or any(c is None for c in consts)
            or a.shrink_axis_mask or a.ellipsis_mask or a.new_axis_mask or a.offset):
        return None
    begin, end, strides = ([int(v) for v in np.asarray(c).reshape(-1)] for c in consts)
    if not len(begin) == len(end) == len(strides) == 4 or min(strides) <= 0:
        return None
    starts = []
    for d in range(4):
        start, stop = slice_bounds(x.shape[d], begin[d], end[d], strides[d], bool(a.begin_mask >> d & 1),
                                   bool(a.end_mask >> d & 1), False)
        if len(range(start, stop, strides[d])) != y.shape[d]:
            return None
        starts.append(start)
    return tuple(starts), tuple(strides)
