"""The audio front end's scratch (firmware/mcu_signal_*.c).

- SignalRfft: 2 x fft_length int16: the zero-padded frame, then the complex FFT's output.
(SignalFilterBankSpectralSubtraction's noise estimate is no scratch: it persists between invokes in the
state region, codegen/ops/signal.py.)
"""

from __future__ import annotations


def rfft_scratch(graph, op, simd) -> int:
    return 2 * 2 * int(op.attrs.fft_length)

