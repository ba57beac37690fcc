"""CONV_2D and DEPTHWISE_CONV_2D, int8 activations, int8 weights (per-channel or per-tensor), int32 bias;
16x8 (int16 activations, int64 bias) in s16_conv.py."""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.geometry import padding_text, window_geometry
from ...ir.quant import activation_range, multiply_by_quantized_multiplier, quantize_multiplier
from ...kernels.conv import choose, is_pointwise, wide_path, win_window
from ..records import KernelCall, ParamStruct, c_dims4, c_int
from ..registry import lowers
from .fc import kernel_sums
from .s16_conv import conv_call as s16_conv_call


def _check(cond: bool, op, msg: str) -> None:
    if not cond:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _lower(ctx, op, depthwise: bool):
    a = op.attrs
    _check(len(op.inputs) >= 2, op, "needs an input and a filter")
    x = ctx.tensor(op.inputs[0])
    w = ctx.tensor(op.inputs[1])
    b = ctx.tensor(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
    y = ctx.tensor(op.outputs[0])

    s16 = x.dtype == "int16"       # 16x8 quantisation (s16_conv.py checks the rest)
    _check((x.dtype == "int8" and y.dtype == "int8") or s16, op,
           f"{x.dtype} input / {y.dtype} output are not supported (int8, or int16 16x8)")
    _check(w.is_const, op, "the filter must be constant")
    _check(w.dtype == "int8", op, f"{w.dtype} filter is not supported (int8 only)")
    _check(s16 or b is None or (b.is_const and b.dtype == "int32"), op,
           f"the bias must be a constant int32 tensor (got {None if b is None else b.dtype})")
    _check(x.quant is not None and w.quant is not None and y.quant is not None, op,
           "input, filter and output must be quantised")
    _check(len(x.shape) == 4 and len(w.shape) == 4 and len(y.shape) == 4, op,
           f"tensors must be 4-D (input {x.shape}, filter {w.shape}, output {y.shape})")
    _check(a.stride_h > 0 and a.stride_w > 0 and a.dilation_h > 0 and a.dilation_w > 0, op,
           "strides and dilations must be positive")
    _check(a.padding in ("SAME", "VALID") or (a.padding == "EXPLICIT" and a.pads is not None), op,
           f"padding {a.padding} is not supported")
    _check(a.activation in ("NONE", "RELU", "RELU6", "RELU_N1_TO_1"), op,
           f"fused activation {a.activation} is not supported")
    if any(int(z) != 0 for z in w.quant.zero_point):
        # TFLite's int8 kernels ignore the filter zero point (weights are symmetric)
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): filter zero point must be 0")

    n, in_h, in_w, in_c = x.shape
    on, out_h, out_w, out_c = y.shape
    _check(on == n, op, f"batch of output {on} differs from input {n}")
    if depthwise:
        _check(w.shape[0] == 1, op, f"filter shape {w.shape} must be [1, KH, KW, C]")
        _, kh, kw, fc = w.shape
        mult = a.depth_multiplier
        _check(mult > 0 and in_c * mult == out_c and fc == out_c, op,
               f"depth_multiplier {mult} does not match input channels {in_c}, filter channels {fc} "
               f"and output channels {out_c}")
    else:
        fo, kh, kw, fc = w.shape
        mult = 0
        _check(fc == in_c, op, f"grouped convolution (input channels {in_c}, filter channels {fc}) is not supported")
        _check(fo == out_c, op, f"filter output channels {fo} differ from output channels {out_c}")
    if b is not None:
        _check(b.size == out_c, op, f"bias has {b.size} values for {out_c} output channels")

    # Padding as TFLite computes it (or the PAD folded in): from the output size the op's parameters give.
    geo = window_geometry(a, in_h, in_w, kh, kw)
    _check((geo.out_h, geo.out_w) == (out_h, out_w), op,
           f"output size {out_h}x{out_w} differs from the {geo.out_h}x{geo.out_w} that {padding_text(a)} gives")
    pad_top, pad_left, pad_bottom, pad_right = geo.pads

    comment = (f"{in_h}x{in_w}x{in_c} -> {out_h}x{out_w}x{out_c}, k {kh}x{kw}, s {a.stride_h}x{a.stride_w}, "
               f"d {a.dilation_h}x{a.dilation_w}, {padding_text(a)}, {a.activation}"
               + (f", mult {mult}" if depthwise else ""))
    if s16:
        kernel, source = (("mcu_depthwise_conv_s16", "mcu_dwconv_s16.c") if depthwise
                          else ("mcu_conv_s16", "mcu_conv_s16.c"))
        return [s16_conv_call(ctx, op, kernel, source, x, w, b, y, (a.stride_h, a.stride_w),
                              (a.dilation_h, a.dilation_w), geo.pads, mult, comment)]
    # Per-channel multipliers as PopulateConvolutionQuantizationParams computes them (double arithmetic).
    scales = w.quant.scale
    _check(len(scales) in (1, out_c), op, f"{len(scales)} filter scales for {out_c} channels")
    kind = "dwconv" if depthwise else "conv"
    name = ctx.unique(f"{kind}{op.index}")
    # the 1x1 fast paths (1x1, stride 1, unpadded) skip output channels whose weights are all zero
    path = wide_path(x.shape, w.shape, y.shape, a, depthwise)
    pointwise = is_pointwise(x.shape, w.shape, y.shape, a, depthwise)
    # the DSP wide paths' pre-widened weights (wide_path: conv_1x1_wide, conv_im2col_wide, conv_im2col_rows; the
    # last runs only with its planned scratch, the others have fallbacks reading the stream too)
    extra = (ctx.scratch_or_null(op, "int16_t"),)    # NULL: no scratch on this target (or not planned)
    wide = path is not None and (path != "rows" or extra[0] != "NULL") and ctx.widen(op.index)
    params = conv_params(ctx, name, op, x, w, y, out_c, (a.stride_h, a.stride_w), (a.dilation_h, a.dilation_w),
                         (pad_top, pad_left, pad_bottom, pad_right), mult,
                         bias=b if not depthwise or wide else None, dead_hint=pointwise, wide=wide,
                         row_pad=path == "rows")
    dsp_win = ctx.simd in ("dsp", "dsp-size") and win_window(x.shape, w.shape, y.shape, a, depthwise) is not None
    mve_win = ctx.simd == "mve" and depthwise and win_window(x.shape, w.shape, y.shape, a, True) is not None
    # in a patch stage a 1x1 conv whose tiles reach into the padding is not one (input and output differ)
    tiles = ctx.patch_tiles.get(op.index)
    tile_pointwise = pointwise and (tiles is None or all(r_ins[0] == r_out for r_out, r_ins in tiles))
    fields = dict(params.fields)
    chosen = dict(reference=ctx.kernels == "reference", scratch=extra[0] != "NULL", win=dsp_win or mve_win,
                  pointwise=tile_pointwise,
                  pixels=None if tiles is None else (min(r_ins[0].h * r_ins[0].w for _, r_ins in tiles),
                                                     min(r_out.h * r_out.w for r_out, _ in tiles)),
                  dead="dead_out" in fields)
    variant = choose(x.shape, w.shape, y.shape, a, depthwise, ctx.simd, wide="wide_filter" in fields, **chosen)
    def carries_win_w(v) -> bool:
        """Whether the call of variant `v` carries the DSP window kernels' weights: where a window kernel
        could take the conv, not for the pair-interleaved convs (which never fall back on them) nor for a
        pre-widened one that runs another kernel (conv_im2col_rows, the wide engine: none reads them)."""
        widened_elsewhere = "wide_filter" in fields and v.name.endswith("_dsp") and "_win_" not in v.name
        return dsp_win and not v.name.endswith("_pairs_s8_dsp") and not widened_elsewhere

    win_w = 0                   # bytes of the window kernels' weights this call adds
    if carries_win_w(variant):
        # the DSP window kernels' weights, widened at compile time (mcu_conv_params_t.win_w)
        ww = ctx.const(win_weights(w.data, depthwise, mult), "uint32_t", f"{name}_win_w")
        params = ParamStruct(params.ctype, params.name, (*params.fields, ("win_w", ww)))
        win_w = ctx.const_bytes(ww)
    elif mve_win:
        # the Helium depthwise window kernel's filter rows, transposed at compile time (win_w)
        ww = ctx.const(win_rows(w.data), "uint32_t", f"{name}_win_w")
        params = ParamStruct(params.ctype, params.name, (*params.fields, ("win_w", ww)))
    # with the pre-widened weights covering the whole filter (in.c a multiple of 4) every DSP path reads
    # those (conv_1x1_wide_pre, mcu_wide_pre_rows_any): no int8 copy in flash (NULL)
    # (not the im2col convs: their fallbacks, conv_rows, read the int8 filter)
    wide_only = tile_pointwise and in_c % 4 == 0 and any(f == "wide_filter" for f, _ in params.fields)
    # (the Helium g3 kernels read their own layouts: the plain filter and bias stay out of flash)
    g3 = variant.name in ("mcu_conv_im2col_s8_mve", "mcu_conv_1x1_g3_s8_mve")
    bias = ctx.weight(b.index, "int32_t") if b is not None and not g3 else "NULL"
    if variant.name == "mcu_conv_1x1_s8" and "dead_out" in fields:
        # the 2 x 2 blocks read the live channels' rows only: the all-zero rows stay out of flash
        live = np.setdiff1d(np.arange(out_c), dead_channels(w))
        rows = np.asarray(w.data).reshape(out_c, -1)[live]
        filt = ctx.const(rows.astype(np.int8), "int8_t", f"{name}_live_w") if len(live) else "NULL"
        params = ParamStruct(params.ctype, params.name, (*params.fields, ("filter_live_rows", c_int(1))))
    elif variant.name.endswith("_pairs_s8_dsp"):
        # the wide engine's pairs of channels read their int8 weights through one pointer (mcu_nn_pairs.h)
        filt = ctx.const(pair_interleaved(w.data, row_pad=variant.name == "mcu_conv_im2col_rows_pairs_s8_dsp"),
                         "int8_t", f"{name}_pairs_w")
    elif g3:
        # its filter: groups of 3 rows interleaved by 16-byte chunks; its bias argument: per group of 3 channels
        # the folded sums, multipliers and split shifts (im2col_mve_filter, im2col_mve_groups)
        filt = ctx.const(im2col_mve_filter(w.data), "int8_t", f"{name}_w3")
        rq = [quantize_multiplier(float(x.scale) * float(scales[c if len(scales) > 1 else 0]) / float(y.scale))
              for c in range(out_c)]
        ksum = kernel_sums(w.data, None if b is None else b.data, -x.zero_point, out_c)
        bias = ctx.const(im2col_mve_groups(ksum, [m for m, _ in rq], [e for _, e in rq]), "int32_t", f"{name}_g3")
    else:
        filt = "NULL" if wide_only else ctx.weight(w.index, "int8_t")
    if "wide_filter" in fields:
        # what the pre-widened weights add to flash against the int8 variant the conv runs without them
        # (`narrow`): the stream, less the int8 filter it then drops, less the window kernels' weights that
        # variant's call carries (a window kernel's), plus those this one does; the channels that run and that
        # variant: kernels/wide_cost.py weighs them against the cycles they save
        narrow = choose(x.shape, w.shape, y.shape, a, depthwise, ctx.simd, wide=False, **chosen)
        narrow_win_w = 0
        if dsp_win and not narrow.name.endswith("_pairs_s8_dsp"):
            narrow_win_w = win_w or int(win_weights(w.data, depthwise, mult).nbytes)
        # (the rows pairs' int8 filter is its rows padded with zeros: more than w's bytes)
        narrow_pad = (pair_interleaved(w.data, row_pad=True).nbytes - w.nbytes
                      if narrow.name == "mcu_conv_im2col_rows_pairs_s8_dsp" else 0)
        ctx.wide_extra[op.index] = (ctx.const_bytes(fields["wide_filter"]) - (w.nbytes if wide_only else 0)
                                    + win_w - narrow_win_w - narrow_pad,
                                    out_c - len(dead_channels(w)) if pointwise else out_c, narrow.name)
    return [KernelCall(op.index, op.kind, variant.name,
                       (f"&{params.name}", ctx.act(x.index), filt, bias,
                        ctx.act(y.index), *extra),
                       params, variant.sources, comment)]


def im2col_mve_filter(w) -> np.ndarray:
    """The filter of mcu_conv_im2col_s8_mve (firmware/mcu_conv_im2col_mve.c): a conv filter [Cout, KH, KW, Cin]
    as rows of n = KH KW Cin weights, zero-padded to a multiple of 16, the rows in groups of 3 (the last
    completed with zero rows), each group's rows interleaved by 16-byte chunks: chunk k of row j of group g at
    byte 48 (g blocks + k) + 16 j, blocks = n / 16 rounded up."""
    rows = np.asarray(w, dtype=np.int8).reshape(int(w.shape[0]), -1)
    out_c, n = rows.shape
    blocks, groups = -(-n // 16), -(-out_c // 3)
    padded = np.zeros((groups * 3, blocks * 16), dtype=np.int8)
    padded[:out_c, :n] = rows
    return padded.reshape(groups, 3, blocks, 16).transpose(0, 2, 1, 3).reshape(-1)


def im2col_mve_groups(ksum, mults, shifts) -> np.ndarray:
    """The per-channel constants of mcu_conv_im2col_s8_mve, 16 int32 per group of 3 output channels (lane 3
    and the missing channels of the last group 0): the folded sums (bias + input_offset * weight sum), the
    multipliers, the left shifts max(shift, 0) and the right shifts min(shift, 0) (mcu_mve_rq's operands)."""
    n = len(ksum)
    groups = -(-n // 3)
    rec = np.zeros((groups, 4, 4), dtype=np.int64)
    sh = np.asarray(shifts, dtype=np.int64)
    for k, v in enumerate((np.asarray(ksum, dtype=np.int64), np.asarray(mults, dtype=np.int64),
                           np.maximum(sh, 0), np.minimum(sh, 0))):
        col = np.zeros(groups * 3, dtype=np.int64)
        col[:n] = v
        rec[:, k, :3] = col.reshape(groups, 3)
    return rec.reshape(-1).astype(np.int32)


def dead_channels(w) -> np.ndarray:
    """Output channels of a conv filter [Cout, KH, KW, Cin] whose weights are all zero (ascending)."""
    data = np.asarray(w.data).reshape(int(w.shape[0]), -1)
    return np.flatnonzero(~data.any(axis=1))


def dead_outputs(bias, mults, shifts, output_zero_point: int, act_min: int, act_max: int) -> np.ndarray:
    """The output of each channel whose weights are all zero: its sum is the bias alone (0 without a bias),
    requantised as TFLite does (MultiplyByQuantizedMultiplier, its int32 left shift wrapping as in C), plus
    the output zero point, clamped to the activation range. int8, one per channel."""
    b = np.zeros(len(mults), dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64)
    shifts = np.asarray(shifts, dtype=np.int64)
    left = np.where(shifts > 0, shifts, 0)
    x = ((b << left) + (1 << 31)) % (1 << 32) - (1 << 31)          # (uint32_t)x << left, as int32
    y = multiply_by_quantized_multiplier(x, np.asarray(mults, dtype=np.int64), np.minimum(shifts, 0))
    return np.clip(y + output_zero_point, act_min, act_max).astype(np.int8)


def pair_interleaved(w: np.ndarray, row_pad: bool = False) -> np.ndarray:
    """The int8 filter [Cout, KH, KW, Cin] (Cout even, KH KW Cin a multiple of 4) as the _pairs variants read it
    (firmware/mcu_nn_pairs.h): per pair of channels (a, b) = (2j, 2j + 1), per group of 4 consecutive weights
    e0..e3 of a row, the 8 bytes a e0, b e0, a e2, b e2, a e1, b e1, a e3, b e3 (the word a half group's SMLADs
    take both channels' weights from: SXTB16 gives a's (e0, e2), SXTB16 ROR #8 b's). The same bytes in another
    order (int8, flat). row_pad (mcu_conv_im2col_rows_pairs_s8_dsp): each filter row's KW Cin weights first
    followed by zeros up to a multiple of 4 (k = KH run4), as conv_im2col_rows's stream."""
    w = np.asarray(w, dtype=np.int8)
    cout = int(w.shape[0])
    if row_pad:
        rows = w.reshape(cout, int(w.shape[1]), -1)
        w = np.pad(rows, ((0, 0), (0, 0), (0, -rows.shape[2] % 4)))
    rows = w.reshape(cout // 2, 2, -1, 4)[:, :, :, [0, 2, 1, 3]]    # [pair, channel of the pair, group, e]
    return np.ascontiguousarray(rows.transpose(0, 2, 3, 1)).reshape(-1)


def sxtb16_words(q: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Groups of 4 int16 values q[..., 0..3] (as int64) as SXTB16 gives them from 4 bytes: the words
    (q0, q2) and (q1, q3), the lower index in the low half (uint32 as int64)."""
    q = np.asarray(q, dtype=np.int64) & 0xFFFF
    return q[..., 0] | q[..., 2] << 16, q[..., 1] | q[..., 3] << 16


def wide_filter(w: np.ndarray, pairs: np.ndarray, bias, mults, shifts, output_zero_point: int,
                row_pad: bool = False) -> np.ndarray:
    """The conv's weights pre-widened for the DSP wide paths (firmware/mcu_nn.h, mcu_conv_params_t.wide_filter):
    w the filter [Cout, KH, KW, Cin] (a depthwise conv of one input channel: its filter transposed), its
    window of k = KH KW Cin elements (row_pad, conv_im2col_rows: each filter row's KW Cin weights followed by
    zeros up to a multiple of 4, k = KH that); pairs: the channels in the
    order the kernel pairs them (an odd count pairs the last one with itself); bias: the int32 biases or
    None; mults / shifts: the per-channel multipliers. Per pair (oc, oc1), k4 + 10 uint32 words, k4 = k & ~3:
    the doubled biases (wrapping), per group of 4 window elements c0..c3 (the k4 first) 4 words of two int16
    (low half first), the doubled weights [oc (c0, c2)] [oc1 (c0, c2)] [oc (c1, c3)] [oc1 (c1, c3)] (the kernels
    sum doubled products for mcu_rqd_apply without doubling the input), then per channel of the pair
    mcu_rq2_channel's m, e = -shift, c = (2 output_zero_point + 1) 2^(e-1) (0 unless 1 <= e <= 22) and the
    channel's index."""
    cout, kh = int(w.shape[0]), int(w.shape[1])
    data = np.asarray(w).reshape(cout, kh, -1).astype(np.int64)
    if row_pad:
        run = data.shape[2]
        data = np.pad(data, ((0, 0), (0, 0), (0, -run % 4)))
    data = 2 * data.reshape(cout, -1)              # doubled: the kernels' sums are doubled, the input is not
    k4 = data.shape[1] & ~3
    data = data[:, :k4]
    pairs = np.asarray(pairs, dtype=np.int64)
    if len(pairs) % 2:
        pairs = np.append(pairs, pairs[-1])
    oc, oc1 = pairs[0::2], pairs[1::2]
    a02, a13 = sxtb16_words(data[oc].reshape(-1, k4 // 4, 4))      # [pair, group] of oc
    b02, b13 = sxtb16_words(data[oc1].reshape(-1, k4 // 4, 4))     # and of oc1
    words = np.stack([a02, b02, a13, b13], axis=-1).reshape(len(oc), -1)
    b2 = 2 * (np.zeros(cout, dtype=np.int64) if bias is None else np.asarray(bias, dtype=np.int64))
    e = -np.asarray(shifts, dtype=np.int64)
    ok = (e >= 1) & (e <= 22)
    c = np.where(ok, (2 * int(output_zero_point) + 1) * (np.int64(1) << np.where(ok, e - 1, 0)), 0)
    m = np.asarray(mults, dtype=np.int64)
    req = np.stack([m[oc], e[oc], c[oc], oc, m[oc1], e[oc1], c[oc1], oc1], axis=-1)
    stream = np.concatenate([np.stack([b2[oc], b2[oc1]], axis=-1), words, req], axis=1)
    return (stream % (1 << 32)).astype(np.uint32).ravel()


def conv_params(ctx, name: str, op, x, w, y, out_c: int, stride: tuple, dilation: tuple, pads: tuple,
                depth_multiplier: int, bias=None, dead_hint: bool = False, wide: bool = False,
                row_pad: bool = False) -> ParamStruct:
    """The mcu_conv_params_t of a conv, depthwise conv or transpose conv: shapes, geometry (pads: top, left,
    bottom, right), offsets, the fused activation's range and per-channel multipliers as
    PopulateConvolutionQuantizationParams computes them (double arithmetic; one filter scale or out_c).
    dead_hint (conv filters [Cout, KH, KW, Cin]; bias: the bias tensor or None): when some output channels'
    weights are all zero, the dead-channel hint (dead_out: their constant outputs, live / live_c: the other
    channels); no fields (NULL) when none are. wide (the convs wide_path names, Armv7E-M DSP targets): the
    weights pre-widened for the wide paths (wide_filter(), over the pairs of live channels; row_pad: the
    window rows padded, conv_im2col_rows; a depthwise conv of one input channel as the conv of its
    transposed filter; bias: the depthwise conv's too) as wide_filter."""
    scales = w.quant.scale
    mults, shifts = [], []
    for c in range(out_c):
        q, sh = quantize_multiplier(float(x.scale) * float(scales[c if len(scales) > 1 else 0]) / float(y.scale))
        mults.append(q)
        shifts.append(sh)
    act_min, act_max = activation_range(op.attrs.activation, y.scale, y.zero_point)
    hint = ()
    dead = dead_channels(w) if dead_hint and out_c <= 0xFFFF else np.zeros(0, dtype=np.int64)
    live = np.setdiff1d(np.arange(out_c), dead)
    if len(dead):
        const = dead_outputs(None if bias is None else bias.data, mults, shifts, y.zero_point, act_min, act_max)
        row = np.zeros(out_c, dtype=np.int8)
        row[dead] = const[dead]                     # live channels' bytes are overwritten: 0
        hint = (("dead_out", ctx.const(row, "int8_t", f"{name}_dead_out")),
                ("live", ctx.const(live.astype(np.uint16), "uint16_t", f"{name}_live") if len(live) else "NULL"),
                ("live_c", c_int(len(live))))
    return ParamStruct("mcu_conv_params_t", f"{name}_params", (
        ("in", c_dims4(x.shape)),
        ("filter", c_dims4(w.shape)),
        ("out", c_dims4(y.shape)),
        ("stride_h", c_int(stride[0])),
        ("stride_w", c_int(stride[1])),
        ("dilation_h", c_int(dilation[0])),
        ("dilation_w", c_int(dilation[1])),
        ("pad_top", c_int(pads[0])),
        ("pad_left", c_int(pads[1])),
        ("pad_bottom", c_int(pads[2])),
        ("pad_right", c_int(pads[3])),
        ("depth_multiplier", c_int(depth_multiplier)),
        ("input_offset", c_int(-x.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("act_min", c_int(act_min)),
        ("act_max", c_int(act_max)),
        ("out_mult", ctx.const(np.array(mults, dtype=np.int32), "int32_t", f"{name}_mult")),
        ("out_shift", ctx.const(np.array(shifts, dtype=np.int32), "int32_t", f"{name}_shift")),
        *hint,
        *((("wide_filter", ctx.const(wide_filter(np.asarray(w.data) if not depth_multiplier
                                                  else np.asarray(w.data).transpose(3, 1, 2, 0),
                                                  live, None if bias is None else bias.data, mults, shifts,
                                                  y.zero_point, row_pad), "uint32_t", f"{name}_wide")),)
          if wide and len(live) else ()),
    ))


def win_weights(w: np.ndarray, depthwise: bool, m: int) -> np.ndarray:
    """mcu_conv_params_t.win_w (firmware/mcu_nn.h): each output channel's n weights (a conv filter [Cout,
    KH, KW, Cin]: its row; a depthwise filter [1, KH, KW, C]: its taps), zero past n up to g = (n + 3) // 4
    groups of 4, widened as SXTB16 does (group k..k+3: the int16 pairs (k, k+2) and (k+1, k+3), the lower
    index in the low half), by pairs of channels (a depthwise conv: within one input channel's m), the
    last of an odd count with itself; per pair and group the first channel's 2 words, then the second's."""
    w = np.asarray(w, dtype=np.int64)
    rows = w.reshape(-1, w.shape[3]).T if depthwise else w.reshape(w.shape[0], -1)    # [channels, n]
    n = rows.shape[1]
    g = (n + 3) // 4
    padded = np.zeros((rows.shape[0], 4 * g), dtype=np.int64)
    padded[:, :n] = rows
    words = np.stack(sxtb16_words(padded.reshape(-1, g, 4)), axis=2)     # [C, g, 2]
    per = m if depthwise else rows.shape[0]                                 # channels paired among themselves
    first = [base + j for base in range(0, rows.shape[0], per) for j in range(0, per, 2)]
    second = [c + 1 if (c - base) + 1 < per else c for base in range(0, rows.shape[0], per)
              for c in range(base, base + per, 2)]
    out = np.concatenate([words[first], words[second]], axis=2)             # [pairs, g, 4]
    return out.reshape(-1).astype(np.uint32)


def win_rows(w: np.ndarray) -> np.ndarray:
    """mcu_conv_params_t.win_w of the Helium depthwise window kernel (firmware/mcu_conv_win_mve.c
    mcu_depthwise_win_mve): a depthwise filter [1, KH, KW, C] transposed, channel c's KH KW taps at byte
    c KH KW, as little-endian words (zero bytes past the end)."""
    w = np.asarray(w, dtype=np.int8)
    rows = np.ascontiguousarray(w.reshape(-1, w.shape[3]).T).reshape(-1)
    padded = np.zeros((rows.size + 3) // 4 * 4, dtype=np.int8)
    padded[:rows.size] = rows
    return padded.view("<u4").astype(np.uint32)


@lowers("CONV_2D")
def lower_conv2d(ctx, op):
    return _lower(ctx, op, depthwise=False)


@lowers("DEPTHWISE_CONV_2D")
def lower_depthwise_conv2d(ctx, op):
    return _lower(ctx, op, depthwise=True)
