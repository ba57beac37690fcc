"""The audio front end: TFLite Micro's signal library ops (custom ops "Signal...": signal/micro/kernels/ for
the ops, signal/src/ for the integer arithmetic), one C kernel each (firmware/mcu_signal_*.c, declared in
firmware/mcu_nn_signal.h). What the kernels need beyond the model's constants is computed here, once:

- SignalRfft: kiss_fft's stage plan (its radix-4-first factorisation of fft_length / 2) and its Q15
  twiddles floor(0.5 + 32767 cos / sin(phase)), with the phases as kiss_fft computes them in double
  (math.cos / math.sin are the C library's); radix 4 and 2 only, so fft_length a power of two >= 4;
- SignalFilterBankLog: the 129-point table of log2(1 + i / 128) - i / 128 in Q16 (rounded to nearest) with
  a trailing 0, and ln 2 in Q16;
- sizes, shifts and smoothing factors from the op's options (ir/signal.py).

SignalFilterBankSpectralSubtraction keeps a noise estimate across invokes, as in TFLite Micro: it is
persistent memory (LowerCtx.persistent: the model's state region, zero after <model>_reset()), so frames
stream from one invoke to the next; `simulate` resets before every sample unless --sequence.
"""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers

LOG_SEGMENTS = 128      # the log table's segments (Q16 fraction >> 9)


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _types(ctx, op, ins: tuple, outs: tuple):
    """Check the dtypes of the op's inputs and outputs (None: any); return the tensors."""
    if len(op.inputs) != len(ins) or len(op.outputs) != len(outs):
        _fail(op, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; TFLite Micro's kernel takes "
                  f"{len(ins)} and {len(outs)}")
    xs, ys = [ctx.tensor(i) for i in op.inputs], [ctx.tensor(i) for i in op.outputs]
    for what, ts, want in (("input", xs, ins), ("output", ys, outs)):
        for k, (t, d) in enumerate(zip(ts, want)):
            if t.dtype != d:
                _fail(op, f"{what} {k} ('{t.name}') is {t.dtype}; TFLite Micro's kernel takes {d}")
    return xs, ys


def _const(op, t, what: str):
    if t.data is None:
        _fail(op, f"the {what} ('{t.name}') must be a constant of the model")
    return np.asarray(t.data).reshape(-1)


def _call(op, func: str, args, params, source: str, comment: str) -> list[KernelCall]:
    return [KernelCall(op.index, op.kind, func, args, params, (source,), comment)]


@lowers("CUSTOM:SignalWindow")
def lower_window(ctx, op):
    (x, w), (y,) = _types(ctx, op, ("int16", "int16"), ("int16",))
    _const(op, w, "window")
    n = int(w.shape[0]) if len(w.shape) == 1 else 0
    if n < 1 or x.size % n or y.size != x.size:
        _fail(op, f"window {tuple(w.shape)} must be 1-D and divide the input {tuple(x.shape)} "
                  f"(output {tuple(y.shape)})")
    if not 0 <= op.attrs.shift <= 31:
        _fail(op, f"shift {op.attrs.shift} is outside 0..31")
    name = ctx.unique(f"signal_window{op.index}")
    params = ParamStruct("mcu_signal_window_params_t", f"{name}_params", (
        ("size", c_int(x.size)), ("window_size", c_int(n)), ("shift", c_int(op.attrs.shift)),
        ("window", ctx.weight(op.inputs[1], "int16_t"))))
    return _call(op, "mcu_signal_window_s16", (f"&{params.name}", ctx.act(x.index, "int16_t"),
                                               ctx.act(y.index, "int16_t")),
                 params, "mcu_signal_window.c", f"{x.size} samples x window {n} >> {op.attrs.shift}")


@lowers("CUSTOM:SignalFftAutoScale")
def lower_fft_auto_scale(ctx, op):
    (x,), (y, bits) = _types(ctx, op, ("int16",), ("int16", "int32"))
    if y.size != x.size or bits.size != 1:
        _fail(op, f"outputs {tuple(y.shape)} and {tuple(bits.shape)} must be the input's shape "
                  f"{tuple(x.shape)} and a single value")
    return _call(op, "mcu_signal_fft_auto_scale_s16",
                 (c_int(x.size), ctx.act(x.index, "int16_t"), ctx.act(y.index, "int16_t"),
                  ctx.act(bits.index, "int32_t")), None, "mcu_signal_fft_auto_scale.c", f"{x.size} samples")


def kiss_factors(n: int) -> list[int]:
    """kiss_fft's stage plan of an n-point complex FFT: radix 4 while it divides, then 2, 3, 5, ... (a
    remaining prime above sqrt(n) whole); (radix, remaining length) pairs."""
    out, p, limit = [], 4, math.floor(math.sqrt(n))
    while True:
        while n % p:
            p = {4: 2, 2: 3}.get(p, p + 2)
            if p > limit:
                p = n
        n //= p
        out += [p, n]
        if n <= 1:
            return out


def kiss_twiddles(n: int) -> np.ndarray:
    """The n-point complex FFT's Q15 twiddles e^(-2 pi i k / n), (re, im) interleaved, as kiss_fft (16-bit
    fixed point) makes them."""
    tw = []
    for k in range(n):
        phase = -2 * math.pi * k / n
        tw += [math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))]
    return np.array(tw, dtype=np.int16)


def kiss_super_twiddles(n: int) -> np.ndarray:
    """kiss_fftr's split twiddles for a real FFT of 2 n points: phase -pi ((k + 1) / n + 1/2), k < n / 2."""
    tw = []
    for k in range(n // 2):
        phase = -math.pi * ((k + 1) / n + 0.5)
        tw += [math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))]
    return np.array(tw, dtype=np.int16)


@lowers("CUSTOM:SignalRfft")
def lower_rfft(ctx, op):
    a = op.attrs
    if a.dtype != "int16":
        _fail(op, f"{a.dtype} RFFT: only the int16 (kiss_fft 16-bit fixed point) variant is supported")
    (x,), (y,) = _types(ctx, op, ("int16",), ("int16",))
    n = a.fft_length
    if n < 4 or n & (n - 1) or n > 1 << 15:
        _fail(op, f"fft_length {n}: only powers of two from 4 to 32768 are supported (kiss_fft radix 4 and 2)")
    if not x.shape or len(y.shape) != len(x.shape):
        _fail(op, f"input {tuple(x.shape)} and output {tuple(y.shape)} must have the same rank")
    length = int(x.shape[-1])
    frames = x.size // max(length, 1)
    if length < 1 or length > n:
        _fail(op, f"frames of {length} samples do not fit fft_length {n}")
    if int(y.shape[-1]) != n + 2 or y.size != frames * (n + 2):
        _fail(op, f"output {tuple(y.shape)}: {frames} frame(s) of fft_length / 2 + 1 = {n // 2 + 1} complex "
                  "bins expected")
    half = n // 2
    factors = kiss_factors(half)
    name = ctx.unique(f"signal_rfft{op.index}")
    params = ParamStruct("mcu_signal_rfft_params_t", f"{name}_params", (
        ("frames", c_int(frames)), ("input_length", c_int(length)), ("fft_length", c_int(n)),
        ("output_length", c_int(half + 1)),
        ("factors", ctx.const(np.array(factors, dtype=np.int32), "int32_t", f"rfft{n}_factors")),
        ("twiddles", ctx.const(kiss_twiddles(half), "int16_t", f"rfft{n}_twiddles")),
        ("super_twiddles", ctx.const(kiss_super_twiddles(half), "int16_t", f"rfft{n}_super_twiddles"))))
    return _call(op, "mcu_signal_rfft_s16", (f"&{params.name}", ctx.act(x.index, "int16_t"),
                                             ctx.scratch(op, "int16_t"), ctx.act(y.index, "int16_t")),
                 params, "mcu_signal_rfft.c",
                 f"{frames} x {length} samples, fft_length {n} (radix {'x'.join(map(str, factors[::2]))})")


@lowers("CUSTOM:SignalEnergy")
def lower_energy(ctx, op):
    (x,), (y,) = _types(ctx, op, ("int16",), ("uint32",))
    a = op.attrs
    if len(x.shape) != 1 or len(y.shape) != 1 or x.size != 2 * y.size:
        _fail(op, f"input {tuple(x.shape)} and output {tuple(y.shape)} must be 1-D, 2 int16 per complex bin")
    if not 0 <= a.start_index <= a.end_index <= y.size:
        _fail(op, f"bins [{a.start_index}, {a.end_index}) are outside the {y.size} bins")
    return _call(op, "mcu_signal_energy_s16", (c_int(y.size), c_int(a.start_index), c_int(a.end_index),
                                               ctx.act(x.index, "int16_t"), ctx.act(y.index, "uint32_t")),
                 None, "mcu_signal_energy.c", f"bins [{a.start_index}, {a.end_index}) of {y.size}")


@lowers("CUSTOM:SignalFilterBank")
def lower_filter_bank(ctx, op):
    (x, *tabs), (y,) = _types(ctx, op, ("uint32",) + ("int16",) * 5, ("uint64",))
    names = ("weights", "unweights", "channel frequency starts", "channel weight starts", "channel widths")
    w, uw, fs, ws, wd = (_const(op, t, what).astype(np.int64) for t, what in zip(tabs, names))
    c = op.attrs.num_channels
    if c < 1 or y.shape != (c,) or len(x.shape) != 1:
        _fail(op, f"output {tuple(y.shape)} must be [num_channels = {c}] and the input 1-D")
    if not (len(fs) == len(ws) == len(wd) == c + 1) or len(uw) != len(w):
        _fail(op, f"the channel tables hold {len(fs)}, {len(ws)}, {len(wd)} entries (num_channels + 1 = "
                  f"{c + 1} expected) and the weights {len(w)} / {len(uw)}")
    if (wd < 0).any() or (fs < 0).any() or (ws < 0).any() or (fs + wd > x.size).any() or (ws + wd > len(w)).any():
        _fail(op, "a channel reads outside the spectrum or the weights")
    name = ctx.unique(f"signal_filter_bank{op.index}")
    params = ParamStruct("mcu_signal_filter_bank_params_t", f"{name}_params", (
        ("num_channels", c_int(c)),
        *((f, ctx.weight(t.index, "int16_t")) for f, t in zip(
            ("weights", "unweights", "freq_starts", "weight_starts", "widths"), tabs))))
    return _call(op, "mcu_signal_filter_bank_u32", (f"&{params.name}", ctx.act(x.index, "uint32_t"),
                                                    ctx.act(y.index, "uint64_t")),
                 params, "mcu_signal_filter_bank.c", f"{x.size} bins -> {c} channels")


@lowers("CUSTOM:SignalFilterBankSquareRoot")
def lower_filter_bank_sqrt(ctx, op):
    (x, bits), (y,) = _types(ctx, op, ("uint64", "int32"), ("uint32",))
    if len(x.shape) != 1 or y.shape != x.shape or bits.size != 1:
        _fail(op, f"input {tuple(x.shape)}, output {tuple(y.shape)} must be 1-D alike and the scale bits a "
                  "single value")
    bits_ptr = ctx.weight(bits.index, "int32_t") if bits.is_const else ctx.act(bits.index, "int32_t")
    return _call(op, "mcu_signal_filter_bank_sqrt_u64", (c_int(x.size), ctx.act(x.index, "uint64_t"), bits_ptr,
                                                         ctx.act(y.index, "uint32_t")),
                 None, "mcu_signal_filter_bank_sqrt.c", f"{x.size} channels")


@lowers("CUSTOM:SignalFilterBankSpectralSubtraction")
def lower_spectral_subtraction(ctx, op):
    (x,), (y, noise) = _types(ctx, op, ("uint32",), ("uint32", "uint32"))
    a = op.attrs
    if len(x.shape) != 1 or x.shape != (a.num_channels,) or y.shape != x.shape or noise.shape != x.shape:
        _fail(op, f"input {tuple(x.shape)} and outputs {tuple(y.shape)}, {tuple(noise.shape)} must be "
                  f"[num_channels = {a.num_channels}]")
    for f in ("smoothing", "one_minus_smoothing", "alternate_smoothing", "alternate_one_minus_smoothing",
              "min_signal_remaining"):
        if not 0 <= getattr(a, f) < 1 << 31:
            _fail(op, f"{f} {getattr(a, f)} is negative: the kernel takes it as an unsigned factor")
    for f in ("smoothing_bits", "spectral_subtraction_bits"):
        if not 0 <= getattr(a, f) <= 31:
            _fail(op, f"{f} {getattr(a, f)} is outside 0..31")
    name = ctx.unique(f"signal_spectral_subtraction{op.index}")
    params = ParamStruct("mcu_signal_spectral_subtraction_params_t", f"{name}_params", (
        ("num_channels", c_int(a.num_channels)), ("smoothing", f"{a.smoothing}u"),
        ("one_minus_smoothing", f"{a.one_minus_smoothing}u"), ("alt_smoothing", f"{a.alternate_smoothing}u"),
        ("alt_one_minus_smoothing", f"{a.alternate_one_minus_smoothing}u"),
        ("smoothing_bits", c_int(a.smoothing_bits)),
        ("spectral_subtraction_bits", c_int(a.spectral_subtraction_bits)),
        ("min_signal_remaining", f"{a.min_signal_remaining}u"), ("clamping", c_int(int(a.clamping)))))
    return _call(op, "mcu_signal_spectral_subtraction_u32",
                 (f"&{params.name}", ctx.act(x.index, "uint32_t"),
                  ctx.persistent(f"op {op.index} SignalFilterBankSpectralSubtraction noise estimate",
                                 4 * a.num_channels, "uint32_t"),
                  ctx.act(y.index, "uint32_t"), ctx.act(noise.index, "uint32_t")),
                 params, "mcu_signal_spectral_subtraction.c",
                 f"{a.num_channels} channels (noise estimate kept between invokes)")


PCAN_LUT_MIN = 4 * 32 - 6 + 3     # the gain table entries a 32-bit noise estimate can reach


@lowers("CUSTOM:SignalPCAN")
def lower_pcan(ctx, op):
    (x, noise, lut), (y,) = _types(ctx, op, ("uint32", "uint32", "int16"), ("uint32",))
    table = _const(op, lut, "gain table")
    if len(x.shape) != 1 or noise.shape != x.shape or y.shape != x.shape:
        _fail(op, f"input {tuple(x.shape)}, noise estimate {tuple(noise.shape)} and output {tuple(y.shape)} "
                  "must be 1-D alike")
    if table.size < PCAN_LUT_MIN:
        _fail(op, f"the gain table has {table.size} entries; {PCAN_LUT_MIN} are read for a 32-bit noise "
                  "estimate")
    if not 0 <= op.attrs.snr_shift <= 63:
        _fail(op, f"snr_shift {op.attrs.snr_shift} is outside 0..63")
    return _call(op, "mcu_signal_pcan_u32",
                 (c_int(x.size), c_int(op.attrs.snr_shift), ctx.weight(lut.index, "int16_t"),
                  ctx.act(x.index, "uint32_t"), ctx.act(noise.index, "uint32_t"), ctx.act(y.index, "uint32_t")),
                 None, "mcu_signal_pcan.c", f"{x.size} channels, snr_shift {op.attrs.snr_shift}")


def log_table() -> np.ndarray:
    """log2(1 + i / 128) - i / 128 in Q16, rounded to nearest, i = 0..128, then a 0 (the interpolation
    reads one entry past the last segment)."""
    vals = [math.floor((math.log2(1 + i / LOG_SEGMENTS) - i / LOG_SEGMENTS) * 65536 + 0.5)
            for i in range(LOG_SEGMENTS + 1)]
    return np.array(vals + [0], dtype=np.uint16)


LOG_COEFF = round(math.log(2) * 65536)      # ln 2 in Q16 (45426)


@lowers("CUSTOM:SignalFilterBankLog")
def lower_filter_bank_log(ctx, op):
    (x,), (y,) = _types(ctx, op, ("uint32",), ("int16",))
    a = op.attrs
    if len(x.shape) != 1 or y.shape != x.shape:
        _fail(op, f"input {tuple(x.shape)} and output {tuple(y.shape)} must be 1-D alike")
    if not 0 <= a.input_correction_bits <= 31 or not 0 <= a.output_scale < 1 << 31:
        _fail(op, f"input_correction_bits {a.input_correction_bits} (0..31) or output_scale {a.output_scale} "
                  "(non-negative) out of range")
    name = ctx.unique(f"signal_filter_bank_log{op.index}")
    params = ParamStruct("mcu_signal_filter_bank_log_params_t", f"{name}_params", (
        ("channels", c_int(x.size)), ("input_correction_bits", c_int(a.input_correction_bits)),
        ("output_scale", f"{a.output_scale}u"), ("log_coeff", f"{LOG_COEFF}u"),
        ("log_lut", ctx.const(log_table(), "uint16_t", "signal_log_lut"))))
    return _call(op, "mcu_signal_filter_bank_log_u32", (f"&{params.name}", ctx.act(x.index, "uint32_t"),
                                                        ctx.act(y.index, "int16_t")),
                 params, "mcu_signal_filter_bank_log.c",
                 f"{x.size} channels, << {a.input_correction_bits}, scale {a.output_scale}")
