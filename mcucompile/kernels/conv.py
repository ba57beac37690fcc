"""Which kernel variant runs a CONV_2D or DEPTHWISE_CONV_2D on a target, and the scratch it needs there: the one
place that chooses (the planner reads the scratch, the lowering calls the variant by name; firmware/mcu_nn.h
lists the variants, each with its *_get_buffer_size, which tests/test_conv_variants.py holds equal to
Variant.scratch here)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..ir.geometry import window_geometry

WIN_MAXN = 96          # firmware/mcu_conv_internal.h: the window kernels' largest window (values)


def win_scratch_bytes(n: int, total: int) -> int:
    """MCU_WIN_SCRATCH_BYTES(n, total) (firmware/mcu_nn.h): the DSP window kernels' work memory for
    windows of n values and `total` output channels to chunk (a conv: out.c; a depthwise conv: the depth
    multiplier). g = (n + 3) / 4 groups of 4 values; chunks of min(total, 16) channels; per pair of a
    chunk's channels 40 bytes of output-stage constants, 16 g for two pixels' widened windows, two raw
    windows of 4 g + 4 bytes (the widened weights are win_w, in flash: win_weights)."""
    g = (n + 3) // 4
    return (min(total, 16) + 1) // 2 * 40 + 24 * g + 8


def win_window(x_shape, w_shape, y_shape, attrs, depthwise: bool):
    """(n, total) when firmware/mcu_conv_win_dsp.c's DSP window kernels take this conv (n values a window, total
    channels to chunk: a conv's out.c, a depthwise conv's multiplier), else None. A conv: in.c not a
    multiple of 4, n = kh kw in.c in [4, 96], not a 1x1 stride-1 conv of the input's size (conv_1x1's);
    a depthwise conv: multiplier m >= 2, in.c <= 4 and n = kh kw <= 96."""
    if len(x_shape) != 4 or len(w_shape) != 4 or len(y_shape) != 4:
        return None
    in_c, kh, kw = int(x_shape[3]), int(w_shape[1]), int(w_shape[2])
    if depthwise:
        m = int(attrs.depth_multiplier)
        ok = m >= 2 and in_c <= 4 and kh * kw <= WIN_MAXN and in_c * m == int(y_shape[3])
        return (kh * kw, m) if ok else None
    if ((kh, kw) == (1, 1) and (attrs.stride_h, attrs.stride_w) == (1, 1)
            and tuple(x_shape[1:3]) == tuple(y_shape[1:3])):
        return None
    n = kh * kw * in_c
    return (n, int(y_shape[3])) if in_c % 4 and 4 <= n <= WIN_MAXN else None


def is_pointwise(x_shape, w_shape, y_shape, attrs, depthwise: bool) -> bool:
    """A 1x1 stride-1 conv of the input's size (unpadded): the 1x1 kernels' shape (conv_1x1*)."""
    return (not depthwise and tuple(w_shape[1:3]) == (1, 1) and (attrs.stride_h, attrs.stride_w) == (1, 1)
            and tuple(x_shape[1:3]) == tuple(y_shape[1:3]))


def wide_path(x_shape, w_shape, y_shape, attrs, depthwise: bool):
    """Which DSP wide variant (firmware/mcu_conv_*_wide_dsp.c) can take this conv, reading the
    pre-widened weights (wide_filter) and 4 pixels' widened windows in its scratch: "1x1" (conv_1x1_wide:
    1x1 stride 1 unpadded, 4 <= in.c < 32000, at least 4 pixels), "im2col" (conv_im2col_wide: dilation 1,
    in.c a multiple of 4, a window under 32000 values, at least 4 output pixels), "rows" (conv_im2col_rows:
    dilation 1, in.c % 4 != 0, the window rows padded to whole groups of 4, k = kh run4 under 32000 and at
    most 4/3 of the window's kh kw in.c values, at least 4 output pixels; also a depthwise conv of one input
    channel, as the conv of its transposed filter) or None."""
    if len(x_shape) != 4 or len(w_shape) != 4 or len(y_shape) != 4:
        return None
    in_c, kh, kw = int(x_shape[3]), int(w_shape[1]), int(w_shape[2])
    if depthwise and in_c != 1:
        return None                                 # (one input channel: the conv of the transposed filter)
    if is_pointwise(x_shape, w_shape, y_shape, attrs, depthwise):
        return "1x1" if 4 <= in_c < 32000 and int(np.prod(x_shape[:3])) >= 4 else None
    if (attrs.dilation_h, attrs.dilation_w) != (1, 1) or int(np.prod(y_shape[:3])) < 4:
        return None
    if in_c % 4 == 0:
        return "im2col" if kh * kw * in_c < 32000 else None
    k = kh * (-(-kw * in_c // 4) * 4)
    return "rows" if k < 32000 and 3 * k <= 4 * kh * kw * in_c else None


def conv_scratch(graph, op, simd) -> int:
    """Bytes of the DSP paths' scratch (firmware/mcu_conv*.c, used on Armv7E-M DSP cores only: simd
    "dsp"). The wide paths (wide_path) widen 4 pixels' windows to int16, 8 bytes per window element: the 1x1
    stride-1 conv (conv_1x1_wide) its input channels rounded down to 4: 8 (in.c & ~3) bytes; the im2col
    convs (conv_im2col_wide) their whole window: 8 kh kw in.c bytes; the "rows" convs (conv_im2col_rows)
    their window with rows padded to groups of 4: 8 kh run4 bytes (MCU_CONV_SCRATCH_BYTES,
    MCU_CONV_WINDOW_SCRATCH_BYTES, MCU_CONV_ROWS_SCRATCH_BYTES). A conv with in.c not a multiple of 4 and n =
    kh kw in.c in [4, 96] (conv_win: win_window; the path without the pre-widened weights, --wide-weights
    off or when they would not fit the flash) holds its chunk's output-stage constants and windows there:
    win_scratch_bytes(n, out.c) (MCU_WIN_SCRATCH_BYTES); a conv both can take gets the larger. 0 for other
    convs and other targets (the host, Cortex-M0+ and Helium kernels take no scratch, so their plan stays as
    small as without these paths). Optional: without it (NULL) the kernels borrow the end of their own
    output, take a slower path or (the window convs) hold it on the stack, so the planner leaves it out
    where it would raise the peak (Options.scratch "free")."""
    if simd != "dsp":
        return 0
    a = op.attrs
    if len(op.inputs) < 2 or not op.outputs or graph.tensors[op.inputs[0]].dtype != "int8":
        return 0                                    # the lowering reports what is wrong; 16x8: no scratch
    x, y = graph.tensors[op.inputs[0]], graph.tensors[op.outputs[0]]
    w = graph.tensors[op.inputs[1]]
    if len(x.shape) != 4 or len(w.shape) != 4 or len(y.shape) != 4:
        return 0
    d, v = _dims(x.shape, w.shape, y.shape, a, False), VARIANTS       # (the variants' own scratch sizes)
    if is_pointwise(x.shape, w.shape, y.shape, a, False):
        return v["mcu_conv_1x1_wide_s8_dsp"].scratch(d)
    win = win_window(x.shape, w.shape, y.shape, a, depthwise=False)
    win_bytes = v["mcu_conv_win_s8_dsp"].scratch(d) if win is not None else 0
    path = wide_path(x.shape, w.shape, y.shape, a, False)
    if path == "im2col":
        return v["mcu_conv_im2col_wide_s8_dsp"].scratch(d)
    if path == "rows":
        return max(v["mcu_conv_im2col_rows_s8_dsp"].scratch(d), win_bytes)
    return win_bytes


def depthwise_scratch(graph, op, simd) -> int:
    """Bytes of the DSP depthwise paths' scratch (firmware/mcu_conv*.c, Armv7E-M DSP cores only: simd "dsp"):
    a depth multiplier m >= 2, at most 4 input channels and n = kh kw <= 96 (depthwise_win) take
    win_scratch_bytes(n, m) (MCU_WIN_SCRATCH_BYTES; win_window); one input channel with dilation 1 and at
    least 4 output pixels (wide_path "rows": conv_im2col_rows on the transposed filter's stream) 8 kh run4
    (MCU_CONV_ROWS_SCRATCH_BYTES), the larger where both apply; 0 for other depthwise convs and other
    targets. Optional: without it (NULL) the kernels hold it on the stack or take other paths."""
    if simd != "dsp" or len(op.inputs) < 2 or not op.outputs or graph.tensors[op.inputs[0]].dtype != "int8":
        return 0                                    # (16x8: mcu_depthwise_conv_s16 takes no scratch)
    x, w, y = (graph.tensors[i] for i in (op.inputs[0], op.inputs[1], op.outputs[0]))
    win = win_window(x.shape, w.shape, y.shape, op.attrs, depthwise=True)
    rows = wide_path(x.shape, w.shape, y.shape, op.attrs, True) == "rows"
    if win is None and not rows:
        return 0
    d = _dims(x.shape, w.shape, y.shape, op.attrs, True)             # (the variants' own scratch sizes)
    win_bytes = 0 if win is None else VARIANTS["mcu_dwconv_win_s8_dsp"].scratch(d)
    return max(VARIANTS["mcu_dwconv_im2col_rows_s8_dsp"].scratch(d), win_bytes) if rows else win_bytes


# ---- the variants -------------------------------------------------------------------------------------

ROWS = ("mcu_conv_rows.c",)
WIDE_1X1 = ("mcu_conv_1x1_wide_dsp.c", "mcu_conv_im2col_wide_dsp.c", *ROWS)      # the wide engine's two halves
WIN_DSP = ("mcu_conv_win_dsp.c",)
PAIRS = ("mcu_conv_wide_pairs_dsp.c", *WIDE_1X1)     # the wide engine on the pair-interleaved int8 filter
FAST_DW = ("mcu_dwconv_fast.c",)
K3V_DW = ("mcu_dwconv_k3v_dsp.c", *FAST_DW)          # (mcu_depthwise_fast: the tail, layers outside its limits)


def _dims(x_shape, w_shape, y_shape, attrs, depthwise: bool) -> dict:
    """The mcu_conv_params_t fields the *_get_buffer_size functions read."""
    return {"in_c": int(x_shape[3]), "kh": int(w_shape[1]), "kw": int(w_shape[2]), "out_c": int(y_shape[3]),
            "mult": int(attrs.depth_multiplier) if depthwise else 0}


def _win_groups(d: dict) -> int:
    return win_scratch_bytes(d["kh"] * d["kw"] * d["in_c"], d["out_c"])


@dataclass(frozen=True)
class Variant:
    """A conv kernel entry point of firmware/mcu_nn.h: its C name, the library files it needs (its own and
    those it falls back on), its scratch bytes from the params (its _get_buffer_size) and the kernel family it
    needs ("none": every core)."""
    name: str
    sources: tuple[str, ...]
    scratch: Callable[[dict], int] = lambda d: 0
    simd: str = "none"


VARIANTS = {v.name: v for v in (
    Variant("mcu_conv_ref_s8", ("mcu_conv_ref.c",)),
    Variant("mcu_conv_1x1_s8", ROWS),
    Variant("mcu_conv_rows_s8", ROWS),
    Variant("mcu_conv_1x1_wide_s8_dsp", WIDE_1X1, lambda d: 8 * (d["in_c"] & ~3), "dsp"),
    Variant("mcu_conv_1x1_wide_pre_s8_dsp", WIDE_1X1, lambda d: 8 * (d["in_c"] & ~3), "dsp"),
    Variant("mcu_conv_1x1_own_s8_dsp", WIDE_1X1, simd="dsp"),
    Variant("mcu_conv_1x1_own_pre_s8_dsp", WIDE_1X1, simd="dsp"),
    Variant("mcu_conv_im2col_wide_s8_dsp", WIDE_1X1, lambda d: 8 * d["kh"] * d["kw"] * d["in_c"], "dsp"),
    Variant("mcu_conv_im2col_own_s8_dsp", WIDE_1X1, simd="dsp"),
    Variant("mcu_conv_1x1_wide_pairs_s8_dsp", PAIRS, lambda d: 8 * (d["in_c"] & ~3), "dsp"),
    Variant("mcu_conv_im2col_wide_pairs_s8_dsp", PAIRS, lambda d: 8 * d["kh"] * d["kw"] * d["in_c"], "dsp"),
    Variant("mcu_conv_1x1_stack_pairs_s8_dsp", PAIRS, simd="dsp"),
    Variant("mcu_conv_im2col_stack_pairs_s8_dsp", PAIRS, simd="dsp"),
    Variant("mcu_conv_im2col_rows_pairs_s8_dsp", ("mcu_conv_rows_pairs_dsp.c", *PAIRS),
            lambda d: 8 * d["kh"] * (-(-d["kw"] * d["in_c"] // 4) * 4), "dsp"),
    Variant("mcu_conv_im2col_rows_s8_dsp", WIDE_1X1, lambda d: 8 * d["kh"] * (-(-d["kw"] * d["in_c"] // 4) * 4),
            "dsp"),
    Variant("mcu_conv_win_s8_dsp", WIN_DSP, _win_groups, "dsp"),
    Variant("mcu_conv_win_stack_s8_dsp", WIN_DSP, simd="dsp"),
    Variant("mcu_conv_1x1_s8_mve", ("mcu_conv_mve.c",), simd="mve"),
    Variant("mcu_conv_rows_s8_mve", ("mcu_conv_mve.c",), simd="mve"),
    Variant("mcu_conv_im2col_s8_mve", ("mcu_conv_im2col_mve.c",), simd="mve"),
    Variant("mcu_conv_1x1_g3_s8_mve", ("mcu_conv_1x1_g3_mve.c",), simd="mve"),
    Variant("mcu_dwconv_ref_s8", ("mcu_dwconv_ref.c",)),
    Variant("mcu_dwconv_fast_s8", FAST_DW),
    *(Variant(f"mcu_dwconv_groups{k}{t}_s8", ("mcu_dwconv_groups.c", *FAST_DW))     # (the _tail ones call it)
      for k in ("", "_k3", "_k5", "_k3_small", "_k5_small") for t in ("", "_tail")),
    Variant("mcu_dwconv_groups_s8_mve", ("mcu_dwconv_mve.c",), simd="mve"),
    Variant("mcu_dwconv_k3v_s8_dsp", K3V_DW, simd="dsp"),
    Variant("mcu_dwconv_k3v_tail_s8_dsp", K3V_DW, simd="dsp"),
    Variant("mcu_dwconv_im2col_rows_s8_dsp", WIDE_1X1,
            lambda d: 8 * d["kh"] * (-(-d["kw"] // 4) * 4), "dsp"),
    Variant("mcu_dwconv_win_s8_dsp", WIN_DSP, lambda d: win_scratch_bytes(d["kh"] * d["kw"], d["mult"]), "dsp"),
    Variant("mcu_dwconv_win_stack_s8_dsp", WIN_DSP, simd="dsp"),
    Variant("mcu_dwconv_win_s8_mve", ("mcu_conv_win_mve.c", *WIN_DSP), simd="mve"),
    Variant("mcu_dwconv_taps_s8_mve", ("mcu_dwconv_taps_mve.c",), simd="mve"),
    Variant("mcu_dwconv_seq_s8_mve", ("mcu_dwconv_seq_mve.c",), simd="mve"),
)}
PAIRS_STACK_BYTES = 1152   # firmware/mcu_nn_pairs.h: the _stack_pairs variants' block on the stack (8 k bytes)
MVE_COL_MAX = 576      # firmware/mcu_nn_helium.h: mcu_conv_im2col_s8_mve's largest window kh kw in.c (its stack column)
MVE_DWT_TAPS = 64      # firmware/mcu_dwconv_taps_mve.c: mcu_dwconv_taps_s8_mve's largest window kh kw (DWT_TAPS)
MVE_SEQ_MIN_OUT = 4    # mcu_dwconv_seq_s8_mve's fewest outputs (the wake-word's last (15, 1) depthwise has 1)
MVE_SEQ_LEN = 512      # firmware/mcu_dwconv_seq_mve.c: mcu_dwconv_seq_s8_mve's longest input sequence (its stack row)
DWG_TAPS = 25          # firmware/mcu_conv_internal.h: mcu_dwconv_groups_s8's largest filter (kh kw)
K3V_MAX_WP = 15        # firmware/mcu_dwconv_k3v_dsp.c: mcu_dwconv_k3v_s8_dsp's widest padded map (out.w + 2)
K3V_MIN_H = 8          # (smaller maps: the groups' padded map, fewer fills a pixel)


def _inside_columns(x_shape, w_shape, y_shape, attrs) -> int:
    """Output columns whose window columns all lie inside the input (firmware/mcu_dwconv_mve.c's ox_lo ..
    ox_hi: the span its 4-pixel row blocks take)."""
    in_w, kw, out_w = int(x_shape[2]), int(w_shape[2]), int(y_shape[2])
    pad_left = window_geometry(attrs, int(x_shape[1]), in_w, int(w_shape[1]), kw).pads[1]
    sw, dw = attrs.stride_w, attrs.dilation_w
    lo = -(-pad_left // sw) if pad_left > 0 else 0
    last = in_w - 1 - (kw - 1) * dw + pad_left
    hi = min(0 if last < 0 else last // sw + 1, out_w)
    return max(hi - min(lo, hi), 0)


def seq_taps(x_shape, w_shape, y_shape, attrs) -> int | None:
    """k when firmware/mcu_dwconv_seq_mve.c's 1-D depthwise kernel can take this depthwise conv (multiplier 1
    assumed by the caller): a map along one axis (in.w = kw = out.w = 1, or in.h = kh = out.h = 1) of at
    most MVE_SEQ_LEN input steps, a window spanning (k - 1) dilation + 1 <= 16 steps (one 16-byte load),
    every output's window inside the input (no padding reached: the kernel folds the input offset into the
    bias over all k taps), its row gather's offsets (7 in.c) under 2^16 and at least MVE_SEQ_MIN_OUT outputs
    (fewer: the per-channel row costs more than the taps kernel's channel-parallel passes); else None."""
    if len(x_shape) != 4 or len(w_shape) != 4 or len(y_shape) != 4:
        return None
    (in_h, in_w, c), (kh, kw), (out_h, out_w) = x_shape[1:4], w_shape[1:3], y_shape[1:3]
    if in_w == 1 and kw == 1 and out_w == 1:
        k, len_in, len_out, s, d, axis = kh, in_h, out_h, attrs.stride_h, attrs.dilation_h, 0
    elif in_h == 1 and kh == 1 and out_h == 1:
        k, len_in, len_out, s, d, axis = kw, in_w, out_w, attrs.stride_w, attrs.dilation_w, 1
    else:
        return None
    before = window_geometry(attrs, int(in_h), int(in_w), int(kh), int(kw)).pads[axis]
    inside = before == 0 and (len_out - 1) * s + (k - 1) * d <= len_in - 1
    fits = (k - 1) * d + 1 <= 16 and len_in <= MVE_SEQ_LEN and 7 * c < 65536
    return int(k) if inside and fits and len_out >= MVE_SEQ_MIN_OUT else None


def choose(x_shape, w_shape, y_shape, attrs, depthwise: bool, simd: str, reference: bool = False,
           scratch: bool = False, wide: bool = False, win: bool = False, pointwise: bool | None = None,
           pixels: tuple[int, int] | None = None, dead: bool = False) -> Variant:
    """The variant that runs this conv: simd the target's kernel family ("none", "dsp", "dsp-size": the DSP
    cores' small-code set for --optimise size, "mve"); reference:
    --kernels reference (the reference loops only); scratch: a scratch buffer is planned for it; wide / win:
    its params carry the pre-widened weights (wide_filter) / the window kernels' weights (win_w); pointwise:
    whether it runs as a 1x1 conv of the input's size (default: is_pointwise; a patch stage's tiles that reach
    into the padding are not); pixels: the fewest (input, output) pixels it runs on (a patch stage's smallest
    tile; default: the whole tensors), as the wide variants need 4; dead: its params carry the dead-channel
    hint (dead_out; Helium's 1x1 g3 kernel does not take it). On the DSP cores without the pre-widened weights,
    the wide convs whose window is whole groups of 4 (in.c a multiple of 4) with an even out.c and no hint take
    the _pairs variants, whose filter the lowering re-lays out (pair_interleaved: same bytes, another order;
    the _rows_pairs one, in.c % 4 != 0 with planned scratch, its rows padded to groups of 4 with zeros);
    without planned scratch, the _stack_pairs ones where their block of 8 kh kw in.c bytes fits
    PAIRS_STACK_BYTES."""
    d = _dims(x_shape, w_shape, y_shape, attrs, depthwise)
    in_px, out_px = pixels if pixels is not None else (int(np.prod(x_shape[:3])), int(np.prod(y_shape[:3])))
    dil1 = (attrs.dilation_h, attrs.dilation_w) == (1, 1)
    v = VARIANTS
    if depthwise:
        m, taps = d["mult"], d["kh"] * d["kw"]
        if reference:
            return v["mcu_dwconv_ref_s8"]
        if simd == "dsp" and d["in_c"] == 1 and wide and scratch and dil1 and out_px >= 4:
            return v["mcu_dwconv_im2col_rows_s8_dsp"]
        if simd in ("dsp", "dsp-size", "mve") and win and m >= 2 and d["in_c"] <= 4 and taps <= WIN_MAXN:
            if simd == "mve":
                return v["mcu_dwconv_win_s8_mve"]
            return v["mcu_dwconv_win_s8_dsp" if scratch else "mcu_dwconv_win_stack_s8_dsp"]
        if m == 1 and simd == "mve" and pixels is None and seq_taps(x_shape, w_shape, y_shape, attrs):
            return v["mcu_dwconv_seq_s8_mve"]          # 1-D along time (TCN / wake-word shapes)
        if m == 1 and simd == "mve":
            narrow = taps <= MVE_DWT_TAPS and _inside_columns(x_shape, w_shape, y_shape, attrs) < 4
            return v["mcu_dwconv_taps_s8_mve" if narrow else "mcu_dwconv_groups_s8_mve"]
        if (simd == "dsp" and m == 1 and (d["kh"], d["kw"]) == (3, 3) and dil1 and d["in_c"] >= 4
                and (attrs.stride_h, attrs.stride_w) == (1, 1) and int(y_shape[2]) + 2 <= K3V_MAX_WP
                and int(y_shape[1]) >= K3V_MIN_H):
            # SMLAD on vertical pairs of widened input rows (2 padded row pairs of the group on the stack)
            return v[f"mcu_dwconv_k3v{'_tail' if d['out_c'] % 4 else ''}_s8_dsp"]
        if m == 1 and taps <= DWG_TAPS:
            width = {3: "_k3", 5: "_k5"}.get(d["kw"], "")     # the filter width's unrolled copy
            small = "_small" if width and simd == "dsp-size" else ""        # without the DSP pairs
            return v[f"mcu_dwconv_groups{width}{small}{'_tail' if d['out_c'] % 4 else ''}_s8"]
        return v["mcu_dwconv_fast_s8"]
    if reference:
        return v["mcu_conv_ref_s8"]
    in_c, n = d["in_c"], d["kh"] * d["kw"] * d["in_c"]
    if pointwise is None:
        pointwise = is_pointwise(x_shape, w_shape, y_shape, attrs, False)
    if simd == "mve":
        if pointwise:
            if in_c % 16 and in_c > 16 and not dead and n <= MVE_COL_MAX:
                return v["mcu_conv_im2col_s8_mve"]     # the pixels copied into zero-padded 16-byte columns
            return v["mcu_conv_1x1_g3_s8_mve" if in_c % 16 == 0 and not dead else "mcu_conv_1x1_s8_mve"]
        if n <= MVE_COL_MAX:            # (fewer instructions than the window kernels, which kept depthwise only)
            return v["mcu_conv_im2col_s8_mve"]
        return v["mcu_conv_rows_s8_mve" if attrs.dilation_w == 1 else "mcu_conv_ref_s8"]
    if simd == "dsp-size":
        # the small set: the 2 x 2 blocks, but the window kernel for few input channels (first layers), where
        # it runs several times faster than the blocks for about 3 KB of code
        if win and in_c % 4 and 4 <= n <= WIN_MAXN and not pointwise:
            return v["mcu_conv_win_s8_dsp" if scratch else "mcu_conv_win_stack_s8_dsp"]
    if simd == "dsp":
        if pointwise:
            if 4 <= in_c < 32000:
                kind = "wide" if scratch and in_px >= 4 else "own"
                if in_px >= 4 and not wide and not dead and in_c % 4 == 0 and d["out_c"] % 2 == 0:
                    if scratch:
                        return v["mcu_conv_1x1_wide_pairs_s8_dsp"]
                    if 8 * in_c <= PAIRS_STACK_BYTES:
                        return v["mcu_conv_1x1_stack_pairs_s8_dsp"]
                return v[f"mcu_conv_1x1_{kind}{'_pre' if wide else ''}_s8_dsp"]
            return v["mcu_conv_1x1_s8"]
        if wide and in_c % 4 and scratch and dil1 and out_px >= 4:
            return v["mcu_conv_im2col_rows_s8_dsp"]
        if (not wide and in_c % 4 and d["kw"] * in_c % 4 == 0 and dil1 and out_px >= 4 and d["out_c"] % 2 == 0
                and n < 32000 and not pointwise and (scratch or 8 * n <= PAIRS_STACK_BYTES)):
            # window rows of whole groups of 4 (kw in.c a multiple of 4): the im2col pairs, no padding needed
            return v["mcu_conv_im2col_wide_pairs_s8_dsp" if scratch else "mcu_conv_im2col_stack_pairs_s8_dsp"]
        if (not wide and in_c % 4 and scratch and d["out_c"] % 2 == 0 and not pointwise
                and wide_path(x_shape, w_shape, y_shape, attrs, False) == "rows" and out_px >= 4):
            # window rows padded to whole groups of 4 (at most 4/3 of the window: wide_path), their int8 weights
            # padded alike with zeros (pair_interleaved row_pad): the rows pairs, before the window kernels
            return v["mcu_conv_im2col_rows_pairs_s8_dsp"]
        if win and in_c % 4 and 4 <= n <= WIN_MAXN:
            return v["mcu_conv_win_s8_dsp" if scratch else "mcu_conv_win_stack_s8_dsp"]
        if dil1 and in_c % 4 == 0 and n < 32000:
            if scratch and out_px >= 4:
                if not wide and d["out_c"] % 2 == 0:
                    return v["mcu_conv_im2col_wide_pairs_s8_dsp"]
                return v["mcu_conv_im2col_wide_s8_dsp"]
            if not scratch:
                if not wide and d["out_c"] % 2 == 0 and out_px >= 4 and 8 * n <= PAIRS_STACK_BYTES:
                    return v["mcu_conv_im2col_stack_pairs_s8_dsp"]
                return v["mcu_conv_im2col_own_s8_dsp"]
    if pointwise:
        return v["mcu_conv_1x1_s8"]
    return v["mcu_conv_rows_s8" if attrs.dilation_w == 1 else "mcu_conv_ref_s8"]
