"""The audio front end: TFLite Micro's signal library ops (SignalWindow, SignalFftAutoScale, SignalRfft,
SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot, SignalFilterBankSpectralSubtraction, SignalPCAN,
SignalFilterBankLog) and the int32 builtins around them, bit-exact with TFLite Micro's interpreter.

- the shared micro_speech audio preprocessor (480 int16 samples -> 40 int8 features) over silence, a sine
  sweep, full-scale white noise, a speech-like signal and a clipped square wave, on the host and on qemu-m4;
- small models built here (tests/tflite_builder.py, custom ops with flexbuffer options) for other sizes and
  parameters: window + RFFT (radix 4 and a radix-2 stage, several frames), energy + filter bank + square
  root, spectral subtraction (clamping) + PCAN + log, and the log over the whole uint32 range.

The spectral subtraction's noise estimate persists between invokes (the model's state region): by default
every sample starts from the reset state on both sides (the C calls <model>_reset(), the reference resets
the interpreter: mcucompile/sim/reference.py); with `sequence` the frames stream, the estimate carried.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from flatbuffers import flexbuffers

from mcucompile import api
from mcucompile.codegen.lowering import LowerCtx
from mcucompile.errors import ModelFormatError, UnsupportedModelError
from mcucompile.ir.signal import (
    SignalFilterBankLogAttrs,
    SignalRfftAttrs,
    SignalSpectralSubtractionAttrs,
    SignalWindowAttrs,
)

PREPROCESSOR = Path(__file__).resolve().parents[2] / "shared" / "models" / "tflm_examples" / \
    "audio_preprocessor_int8.tflite"
RATE = 16000


def _frames() -> np.ndarray:
    """[5, 1, 480] int16: silence, a 100 Hz -> 7 kHz sweep, full-scale white noise, a speech-like signal
    (harmonics of a gliding 110-180 Hz pitch under two formant bumps, an amplitude envelope, breath noise),
    a clipped square wave (-32768 / 32767)."""
    rng = np.random.default_rng(20)
    t = np.arange(480) / RATE
    sweep = 12000 * np.sin(2 * np.pi * (100 * t + (7000 - 100) / (2 * t[-1]) * t ** 2))
    noise = rng.integers(-32768, 32768, 480)
    f0 = 110 + 70 * t / t[-1]
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    speech = np.zeros(480)
    for h in range(1, 30):
        f = h * f0.mean()
        gain = np.exp(-((f - 700) / 300) ** 2) + 0.6 * np.exp(-((f - 1800) / 400) ** 2) + 0.05
        speech += gain * np.sin(h * phase)
    speech = 6000 * speech * (0.3 + 0.7 * np.sin(np.pi * t / t[-1])) + 300 * rng.standard_normal(480)
    square = np.where(np.sin(2 * np.pi * 1000 * t) >= 0, 40000, -40000)
    xs = [np.zeros(480), sweep, noise, speech, square]
    return np.stack([np.clip(np.round(x), -32768, 32767) for x in xs]).astype(np.int16)[:, None, :]


def _exact(r, n_min_unique=5):
    tflm, = r.comparisons
    assert tflm.available, tflm.error
    assert tflm.mismatches == 0, tflm
    assert r.ok
    assert len(np.unique(r.outputs[0])) >= n_min_unique          # the outputs move: a real comparison
    return r.outputs[0]


# ---- the shared audio preprocessor ----------------------------------------------------------------------

def test_preprocessor_options_are_typed_attributes():
    g = api.load(PREPROCESSOR)
    kinds = [op.kind for op in g.ops]
    assert kinds[:5] == ["CUSTOM:SignalWindow", "RESHAPE", "CUSTOM:SignalFftAutoScale", "CUSTOM:SignalRfft",
                         "CUSTOM:SignalEnergy"]
    by_kind = {op.kind: op.attrs for op in g.ops}
    assert isinstance(by_kind["CUSTOM:SignalWindow"], SignalWindowAttrs)
    assert by_kind["CUSTOM:SignalRfft"] == SignalRfftAttrs(512, "int16")
    ss = by_kind["CUSTOM:SignalFilterBankSpectralSubtraction"]
    assert isinstance(ss, SignalSpectralSubtractionAttrs) and ss.num_channels == 40
    assert isinstance(ss.clamping, bool)
    assert isinstance(by_kind["CUSTOM:SignalFilterBankLog"], SignalFilterBankLogAttrs)


def test_preprocessor_bit_exact_on_host():
    x = _frames()
    x = np.concatenate([x, x[3:4]])                # the speech frame again: the noise estimate starts anew
    r = api.simulate(PREPROCESSOR, inputs=[x], references=("tflm",))
    y = _exact(r)
    assert y.shape == (6, 40) and y.dtype == np.int8
    assert len(np.unique(y[0])) == 1                               # silence: every channel alike
    assert all(len(np.unique(row)) > 5 for row in y[1:])
    # each call an independent frame: TFLite Micro, reset after every sample, agrees (without the reset of its
    # noise estimate the repeated frame would give other features there)
    assert np.array_equal(y[5], y[3])


def test_preprocessor_streams_frames_bit_exact():
    """Frames one after another, the noise estimate carried from each to the next (TFLite Micro's micro_speech
    pipeline): every step bit-exact, and the repeated speech frame now gives other features than the first
    time (the estimate has grown), which it does not from the reset state."""
    x = _frames()
    x = np.concatenate([x, x[3:4]])
    r = api.simulate(PREPROCESSOR, inputs=[x], references=("tflm",), sequence=True)
    y = _exact(r)
    assert r.extra["sequence"] is True and r.extra["state_bytes"] >= 40 * 4
    assert not np.array_equal(y[5], y[3])


def test_preprocessor_on_qemu_m4(qemu_toolchain):
    x = _frames()[[1, 3]]
    r = api.simulate(PREPROCESSOR, inputs=[x], references=("tflm",), board="qemu-m4")
    _exact(r)


# ---- built models --------------------------------------------------------------------------------------

def _op(kind, ins, outs, **opts):
    from tflite_builder import O
    return O("CUSTOM:Signal" + kind, ins, outs, custom_options=flexbuffers.Dumps(opts) if opts else None)


def _save(tmp_path, name, tensors, ops, inputs, outputs) -> Path:
    from tflite_builder import M, build
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(build(M(tensors, ops, inputs, outputs)))
    return path


def _window_rfft(tmp_path, frames, length, fft_length, shift, seed):
    from tflite_builder import T
    rng = np.random.default_rng(seed)
    window = rng.integers(0, 1 << shift, length).astype(np.int16)
    ts = [T((frames, length), "int16", name="x"), T((length,), "int16", data=window, name="window"),
          T((frames, length), "int16", name="w"), T((frames, fft_length + 2), "int16", name="y")]
    ops = [_op("Window", [0, 1], [2], shift=shift), _op("Rfft", [2], [3], T=7, fft_length=fft_length)]
    return _save(tmp_path, f"rfft{fft_length}", ts, ops, [0], [3])


@pytest.mark.parametrize("frames,length,fft_length,shift", [(2, 200, 256, 14), (1, 64, 64, 12), (3, 5, 8, 10),
                                                       (1, 1500, 2048, 15)])
def test_window_rfft_bit_exact(tmp_path, frames, length, fft_length, shift):
    """fft_length 256: four stages, the last radix 2 (128 = 4 x 4 x 4 x 2); 64: radix 4, 4, 2; 8: radix 4
    alone; 2048: five radix-4 stages."""
    path = _window_rfft(tmp_path, frames, length, fft_length, shift, seed=fft_length)
    rng = np.random.default_rng(3)
    x = rng.integers(-32768, 32768, (4, frames, length)).astype(np.int16)
    x[1] = (20000 * np.sin(np.arange(length) * 0.3)).astype(np.int16)          # a tone: large bins
    x[2] = -32768                                                               # saturation
    _exact(api.simulate(str(path), inputs=[x], references=("tflm",)), 50)


def _preprocessor_const(name: str) -> np.ndarray:
    g = api.load(PREPROCESSOR)
    return next(t.data for t in g.tensors if t.name == name)


def test_energy_filter_bank_square_root_bit_exact(tmp_path):
    """The preprocessor's filter bank tables (constants of that model) over a random spectrum; the
    auto-scale bits a constant 3."""
    from tflite_builder import T
    tabs = [_preprocessor_const(f"signal_filter_bank/Const{s}") for s in ("", "_1", "_2", "_3", "_4")]
    reach = int((tabs[2].astype(np.int64) + tabs[4]).max())
    assert reach <= 250 and int(tabs[2].min()) >= 2        # the bins the bank reads are ones Energy writes
    ts = [T((514,), "int16", name="spectrum"), T((257,), "uint32", name="energy"),
          *(T(tab.shape, "int16", data=tab, name=f"tab{k}") for k, tab in enumerate(tabs)),
          T((40,), "uint64", name="bank"), T((), "int32", data=np.array(3, dtype=np.int32), name="bits"),
          T((40,), "uint32", name="y")]
    ops = [_op("Energy", [0], [1], start_index=2, end_index=250),
           _op("FilterBank", [1, 2, 3, 4, 5, 6], [7], num_channels=40),
           _op("FilterBankSquareRoot", [7, 8], [9])]
    path = _save(tmp_path, "bank", ts, ops, [0], [9])
    rng = np.random.default_rng(5)
    x = rng.integers(-32768, 32768, (3, 514)).astype(np.int16)
    x[1] //= 64
    _exact(api.simulate(str(path), inputs=[x], references=("tflm",)), 30)


def test_spectral_subtraction_pcan_log_bit_exact(tmp_path):
    """Clamping on, other smoothing factors than the preprocessor's; its PCAN gain table (a constant of
    that model); the log with other correction bits and scale."""
    from tflite_builder import T
    lut = _preprocessor_const("signal_pcan/Const")
    ts = [T((24,), "uint32", name="x"), T((24,), "uint32", name="sub"), T((24,), "uint32", name="noise"),
          T(lut.shape, "int16", data=lut, name="lut"), T((24,), "uint32", name="pcan"),
          T((24,), "int16", name="y")]
    ops = [_op("FilterBankSpectralSubtraction", [0], [1, 2], alternate_one_minus_smoothing=14000,
               alternate_smoothing=2384, clamping=True, min_signal_remaining=1638, num_channels=24,
               one_minus_smoothing=15000, smoothing=1384, smoothing_bits=8, spectral_subtraction_bits=14),
           _op("PCAN", [1, 2, 3], [4], snr_shift=5),
           _op("FilterBankLog", [4], [5], input_correction_bits=1, output_scale=200)]
    path = _save(tmp_path, "pcan", ts, ops, [0], [5])
    rng = np.random.default_rng(6)
    x = (rng.integers(0, 1 << 16, (4, 24)) >> rng.integers(0, 16, (4, 24))).astype(np.uint32)
    _exact(api.simulate(str(path), inputs=[x], references=("tflm",)), 20)


def test_filter_bank_log_over_the_uint32_range(tmp_path):
    from tflite_builder import T
    ts = [T((64,), "uint32", name="x"), T((64,), "int16", name="y")]
    path = _save(tmp_path, "log", ts, [_op("FilterBankLog", [0], [1], input_correction_bits=0,
                                           output_scale=1600)], [0], [1])
    rng = np.random.default_rng(7)
    x = (rng.integers(0, 1 << 32, (3, 64), dtype=np.uint64) >> rng.integers(0, 32, (3, 64), dtype=np.uint64))
    x = x.astype(np.uint32)
    x[0, :6] = [0, 1, 2, 3, 0xFFFFFFFF, 0x80000000]
    _exact(api.simulate(str(path), inputs=[x], references=("tflm",)), 50)


def test_int32_builtins_bit_exact(tmp_path):
    """The int32 paths the front end's post-processing uses, on other shapes: STRIDED_SLICE with a stride,
    CONCATENATION with a constant, MUL with RELU, DIV by a negative scalar (truncation towards zero), ADD,
    MINIMUM, MAXIMUM, and CASTs to and from uint32."""
    from tflite_builder import O, T
    rng = np.random.default_rng(8)
    i32 = np.int32
    ts = [T((12,), "int32", name="x"), T((1,), "int32", data=np.array([1], i32), name="b"),
          T((1,), "int32", data=np.array([11], i32), name="e"), T((1,), "int32", data=np.array([2], i32), name="s"),
          T((5,), "int32", name="sl"), T((3,), "int32", data=np.array([-7, 0, 40000], i32), name="c3"),
          T((8,), "int32", name="cat"), T((8,), "int32", data=rng.integers(-30, 30, 8).astype(i32), name="w"),
          T((8,), "int32", name="mul"), T((), "int32", data=np.array(-7, i32), name="d"),
          T((8,), "int32", name="div"), T((8,), "int32", name="add"), T((), "int32", data=np.array(20000, i32),
                                                                            name="hi"),
          T((8,), "int32", name="min"), T((), "int32", data=np.array(-100000, i32), name="lo"),
          T((8,), "int32", name="max"), T((8,), "uint32", name="u"), T((8,), "int32", name="y")]
    ops = [O("STRIDED_SLICE", [0, 1, 2, 3], [4], options=("StridedSliceOptions", {})),
           O("CONCATENATION", [4, 5], [6], options=("ConcatenationOptions", {"Axis": 0})),
           O("MUL", [6, 7], [8], options=("MulOptions", {"FusedActivationFunction": 1})),
           O("DIV", [8, 9], [10], options=("DivOptions", {})),
           O("ADD", [10, 6], [11], options=("AddOptions", {})),
           O("MINIMUM", [11, 12], [13]), O("MAXIMUM", [13, 14], [15]),
           O("CAST", [15], [16]), O("CAST", [16], [17])]
    path = _save(tmp_path, "int32", ts, ops, [0], [17])
    x = rng.integers(-30000, 30000, (4, 12)).astype(np.int32)
    _exact(api.simulate(str(path), inputs=[x], references=("tflm",)), 20)


def test_micro_speech_example_runs_bit_exact(tmp_path):
    """examples/micro_speech: the preprocessor and the keyword model in one library, driven by a C main over
    one second of audio; every feature and score byte equal to TFLite Micro's."""
    import subprocess
    import sys

    from conftest import ROOT, need_tools
    need_tools("gcc", "make")
    p = subprocess.run([sys.executable, str(ROOT / "examples" / "micro_speech" / "run.py"), "--out",
                        str(tmp_path / "build")], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    assert "features  49 x 40 int8, 0 bytes differ from TFLite Micro" in p.stdout
    assert re.search(r"^scores    silence -?\d+ unknown -?\d+ yes -?\d+ no -?\d+, 0 differ", p.stdout, re.M)
    assert re.search(r"^label     (silence|unknown|yes|no)$", p.stdout, re.M)


# ---- refusals ------------------------------------------------------------------------------------------

def test_refusals_name_the_op(tmp_path):
    from tflite_builder import T

    def fails(exc, msg, length=64, fft_length=64, T_code=7, extra=None, raw=None):
        ts = [T((1, length), "int16", name="x"), T((1, fft_length + 2), "int16", name="y")]
        opts = dict(T=T_code, fft_length=fft_length) if extra is None else extra
        op = _op("Rfft", [0], [1], **opts)
        if raw is not None:
            op.custom_options = raw
        path = _save(tmp_path, f"bad{fft_length}_{T_code}", ts, [op], [0], [1])
        with pytest.raises(exc, match=r"CUSTOM:SignalRfft \(op 0\): " + msg):
            api.compile_model(path, tmp_path / "out")

    fails(UnsupportedModelError, r"fft_length 48: only powers of two from 4 to 32768 are supported", 48, 48)
    fails(UnsupportedModelError, r"frames of 80 samples do not fit fft_length 64", 80, 64)
    fails(UnsupportedModelError,
          r"float32 RFFT: only the int16 \(kiss_fft 16-bit fixed point\) variant is supported", T_code=0)
    fails(UnsupportedModelError, r"element type code 9 is not one TFLite Micro's RFFT takes", T_code=9)
    fails(ModelFormatError, r"its custom options lack", extra={"fft_length": 64})
    fails(ModelFormatError, r"option fft_length is 'x', not an integer", extra={"T": 7, "fft_length": "x"})
    fails(ModelFormatError, r"its custom options must be a flexbuffer map with",
          raw=flexbuffers.Dumps(5))
    fails(ModelFormatError, r"its custom options are not a readable flexbuffer", raw=b"\x07")


def test_lowering_refusals():
    import dataclasses

    from mcucompile.codegen.ops import signal
    g = api.load(PREPROCESSOR)
    ops = {op.kind: op for op in g.ops}
    win = ops["CUSTOM:SignalWindow"]
    with pytest.raises(UnsupportedModelError, match=r"CUSTOM:SignalWindow \(op 0\): shift 40 is outside 0..31"):
        signal.lower_window(LowerCtx(g), dataclasses.replace(win, attrs=SignalWindowAttrs(40)))
    with pytest.raises(UnsupportedModelError, match=r"CUSTOM:SignalWindow \(op 0\): input 0 \('zeros_1'\) is "
                                                    r"int32; TFLite Micro's kernel takes int16"):
        signal.lower_window(LowerCtx(g), dataclasses.replace(win, inputs=(2, 1)))
    pcan = ops["CUSTOM:SignalPCAN"]
    with pytest.raises(UnsupportedModelError, match=r"CUSTOM:SignalPCAN \(op 12\): the gain table has 41 "
                                                    r"entries; 125 are read"):
        signal.lower_pcan(LowerCtx(g), dataclasses.replace(pcan, inputs=pcan.inputs[:2] + (9,)))


def _retensor(g, k, **changes):
    import dataclasses
    ts = list(g.tensors)
    ts[k] = dataclasses.replace(ts[k], **changes)
    return dataclasses.replace(g, tensors=tuple(ts))


def test_more_lowering_refusals():
    """Ops of the preprocessor changed one way each (attributes, inputs, a tensor's dtype), lowered alone."""
    import dataclasses

    from mcucompile.codegen.registry import REGISTRY
    from mcucompile.ir import Quant
    from mcucompile.ir.signal import SignalEnergyAttrs, SignalFilterBankAttrs, SignalPcanAttrs
    g = api.load(PREPROCESSOR)
    op = {o.index: o for o in g.ops}

    def refused(graph, o, msg, **changes):
        o = dataclasses.replace(o, **changes)
        with pytest.raises(UnsupportedModelError, match=rf"{o.kind} \(op {o.index}\): " + msg):
            REGISTRY[o.kind].fn(LowerCtx(graph), o)

    ss = op[11].attrs
    refused(g, op[0], r"has 3 inputs and 1 outputs; TFLite Micro's kernel takes 2 and 1", inputs=(0, 1, 1))
    refused(g, op[0], r"the window \('serving_default_audio_frame:0'\) must be a constant of the model",
            inputs=(0, 0))
    refused(g, op[4], r"bins \[0, 300\) are outside the 257 bins", attrs=SignalEnergyAttrs(0, 300))
    refused(g, op[9], r"output \(40,\) must be \[num_channels = 41\] and the input 1-D",
            attrs=SignalFilterBankAttrs(41))
    refused(g, op[11], r"input \(40,\) and outputs \(40,\), \(40,\) must be \[num_channels = 41\]",
            attrs=dataclasses.replace(ss, num_channels=41))
    refused(g, op[11], r"smoothing -1 is negative: the kernel takes it as an unsigned factor",
            attrs=dataclasses.replace(ss, smoothing=-1))
    refused(g, op[11], r"smoothing_bits 40 is outside 0..31", attrs=dataclasses.replace(ss, smoothing_bits=40))
    refused(g, op[12], r"snr_shift 70 is outside 0..63", attrs=SignalPcanAttrs(70))
    refused(g, op[13], r"input_correction_bits 32 \(0..31\) or output_scale 64 \(non-negative\) out of range",
            attrs=dataclasses.replace(op[13].attrs, input_correction_bits=32))
    # the int32 builtins around the Signal ops
    refused(g, op[15], r"int32 operand \(257,\) with output \(40,\): only elementwise operands or a single "
                       "value are supported", inputs=(35, 27))
    refused(g, op[15], r"inputs int32 and int16 with an int32 output: all three must be int32", inputs=(35, 8))
    refused(_retensor(g, 18, quant=Quant((1.0,), (0,))), op[17],
            r"int32 inputs must be unquantised \(TFLite Micro's int32 DIV requires it\)")
    refused(g, op[7], r"mixes int32 with int16 tensors", inputs=(3, 26, 8))
    refused(_retensor(g, 25, dtype="float32"), op[5],
            r"uint32 -> float32 is not supported \(only integer outputs from uint32\)")
