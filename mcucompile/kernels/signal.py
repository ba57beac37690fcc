"""The audio front end's scratch (firmware/mcu_signal_*.c).

- SignalRfft: 2 x fft_length int16: the zero-padded frame, then the complex FFT's output;
- SignalFilterBankSpectralSubtraction: the noise estimate, num_channels uint32. TFLite Micro keeps it across
  invokes; here it lives only while the op runs and starts from 0 on every call (TFLite Micro after a reset).
"""

from __future__ import annotations


def rfft_scratch(graph, op, simd) -> int:
    return 2 * 2 * int(op.attrs.fft_length)


def spectral_subtraction_scratch(graph, op, simd) -> int:
    return 4 * int(op.attrs.num_channels)
