"""The options of TFLite Micro's audio front-end ops (custom ops "Signal...", signal/micro/kernels/): a
flexbuffer map per op, read here into the typed records of ir/signal.py. TFLite Micro reads the map's values
by position in key order; reading them by key gives the same values for any map the converter writes.
"""

from __future__ import annotations

from ..errors import ModelFormatError, UnsupportedModelError
from ..ir import NoAttrs
from ..ir.signal import (
    SignalEnergyAttrs,
    SignalFilterBankAttrs,
    SignalFilterBankLogAttrs,
    SignalPcanAttrs,
    SignalRfftAttrs,
    SignalSpectralSubtractionAttrs,
    SignalWindowAttrs,
)

# TensorType codes of the 'T' option (tflite schema)
_T_NAMES = {0: "float32", 2: "int32", 7: "int16"}

# option keys each op needs (TFLite Micro's Init reads every one of them)
KEYS = {
    "CUSTOM:SignalWindow": ("shift",),
    "CUSTOM:SignalFftAutoScale": (),
    "CUSTOM:SignalRfft": ("T", "fft_length"),
    "CUSTOM:SignalEnergy": ("end_index", "start_index"),
    "CUSTOM:SignalFilterBank": ("num_channels",),
    "CUSTOM:SignalFilterBankSquareRoot": (),
    "CUSTOM:SignalFilterBankSpectralSubtraction": (
        "alternate_one_minus_smoothing", "alternate_smoothing", "clamping", "min_signal_remaining",
        "num_channels", "one_minus_smoothing", "smoothing", "smoothing_bits", "spectral_subtraction_bits"),
    "CUSTOM:SignalPCAN": ("snr_shift",),
    "CUSTOM:SignalFilterBankLog": ("input_correction_bits", "output_scale"),
}


def _load(index: int, kind: str, raw: bytes) -> dict:
    if not KEYS[kind]:
        return {}
    from flatbuffers import flexbuffers
    try:
        opts = flexbuffers.Loads(raw) if raw else None
    except Exception as e:       # a corrupt buffer: the flexbuffers decoder raises many kinds
        raise ModelFormatError(f"{kind} (op {index}): its custom options are not a readable flexbuffer "
                               f"({type(e).__name__})") from e
    if not isinstance(opts, dict):
        raise ModelFormatError(f"{kind} (op {index}): its custom options must be a flexbuffer map with "
                               f"{', '.join(KEYS[kind])}")
    missing = [k for k in KEYS[kind] if k not in opts]
    if missing:
        raise ModelFormatError(f"{kind} (op {index}): its custom options lack {', '.join(missing)}")
    for k in KEYS[kind]:
        if not isinstance(opts[k], int):      # bool is an int too
            raise ModelFormatError(f"{kind} (op {index}): option {k} is {opts[k]!r}, not an integer")
    return opts


def signal_attrs(index: int, kind: str, raw: bytes):
    """The typed attributes of Signal op `index` from its flexbuffer options `raw`."""
    o = _load(index, kind, raw)
    i = {k: int(v) for k, v in o.items() if isinstance(v, int)}
    if kind == "CUSTOM:SignalWindow":
        return SignalWindowAttrs(i["shift"])
    if kind == "CUSTOM:SignalRfft":
        if i["T"] not in _T_NAMES:
            raise UnsupportedModelError(f"{kind} (op {index}): element type code {i['T']} is not one TFLite "
                                        "Micro's RFFT takes (int16, int32, float32)")
        return SignalRfftAttrs(i["fft_length"], _T_NAMES[i["T"]])
    if kind == "CUSTOM:SignalEnergy":
        return SignalEnergyAttrs(i["start_index"], i["end_index"])
    if kind == "CUSTOM:SignalFilterBank":
        return SignalFilterBankAttrs(i["num_channels"])
    if kind == "CUSTOM:SignalFilterBankSpectralSubtraction":
        return SignalSpectralSubtractionAttrs(
            i["num_channels"], i["smoothing"], i["one_minus_smoothing"], i["alternate_smoothing"],
            i["alternate_one_minus_smoothing"], i["smoothing_bits"], i["spectral_subtraction_bits"],
            i["min_signal_remaining"], bool(o["clamping"]))
    if kind == "CUSTOM:SignalPCAN":
        return SignalPcanAttrs(i["snr_shift"])
    if kind == "CUSTOM:SignalFilterBankLog":
        return SignalFilterBankLogAttrs(i["input_correction_bits"], i["output_scale"])
    return NoAttrs()
