"""Typed attributes of TFLite Micro's audio front-end ops (its signal library: signal/micro/kernels/).

They are custom ops (kind "CUSTOM:Signal..."); their options are a flexbuffer map that the reader
(frontend/signal_options.py) turns into these records. SignalFftAutoScale and SignalFilterBankSquareRoot
take no options (NoAttrs).
"""

from __future__ import annotations

from dataclasses import dataclass

SIGNAL_PREFIX = "CUSTOM:Signal"


@dataclass(frozen=True)
class SignalWindowAttrs:          # CUSTOM:SignalWindow
    shift: int                    # the product input x window is shifted right by this


@dataclass(frozen=True)
class SignalRfftAttrs:            # CUSTOM:SignalRfft
    fft_length: int               # the frame is zero-padded to this many samples
    dtype: str                    # 'T': the element type (int16 supported)


@dataclass(frozen=True)
class SignalEnergyAttrs:          # CUSTOM:SignalEnergy
    start_index: int              # the bins [start_index, end_index) are computed
    end_index: int


@dataclass(frozen=True)
class SignalFilterBankAttrs:      # CUSTOM:SignalFilterBank
    num_channels: int


@dataclass(frozen=True)
class SignalSpectralSubtractionAttrs:     # CUSTOM:SignalFilterBankSpectralSubtraction
    num_channels: int
    smoothing: int
    one_minus_smoothing: int
    alternate_smoothing: int              # for the odd channels
    alternate_one_minus_smoothing: int
    smoothing_bits: int
    spectral_subtraction_bits: int
    min_signal_remaining: int
    clamping: bool


@dataclass(frozen=True)
class SignalPcanAttrs:            # CUSTOM:SignalPCAN
    snr_shift: int


@dataclass(frozen=True)
class SignalFilterBankLogAttrs:   # CUSTOM:SignalFilterBankLog
    input_correction_bits: int
    output_scale: int


SignalAttrs = (SignalWindowAttrs | SignalRfftAttrs | SignalEnergyAttrs | SignalFilterBankAttrs
               | SignalSpectralSubtractionAttrs | SignalPcanAttrs | SignalFilterBankLogAttrs)
