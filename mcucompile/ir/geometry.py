"""Sliding-window geometry of convolutions and pools: output size and four-sided padding.

One place for TFLite's ComputeOutSize / ComputePaddingWithOffset (padding "SAME" or "VALID") and for the
explicit four-sided padding that graph normalisation gives a conv or pool when it folds an explicit PAD
into it (padding "EXPLICIT", attrs.pads = (top, left, bottom, right)). Lowering, region math and the
model checks all ask window_geometry.
"""

from __future__ import annotations

from dataclasses import dataclass


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
