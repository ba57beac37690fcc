"""The compiler's kernel choices that planning needs before any C is written: which ops share their
input's buffer (no call, no copy) and how many bytes of scratch an op's kernel takes on a target.

The memory planner (passes/) and the lowering (codegen/) both read these, so each decision is made in
one place, below the two: this package imports nothing but ir/. A scratch rule is
`fn(graph, op, simd) -> bytes` for targets whose kernel family is `simd` (Options.simd: "none", "dsp",
"mve"); the planner reserves the bytes and the lowering's `ctx.scratch(op)` points at them. A kernel that
only wants scratch on some targets returns 0 elsewhere (`on` lists where it can be non-zero) and is handed
`ctx.scratch_or_null(op)`. A kernel whose scratch only makes it faster (it runs without, given NULL) is
`optional`: the planner then drops the scratch where it would raise the arena's peak (Options.scratch
"free").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..ir import Graph, Op
from . import conv, detection, lstm, reduce, signal


@dataclass(frozen=True)
class ScratchRule:
    fn: Callable[[Graph, Op, str], int]
    on: tuple = ("none", "dsp", "mve")    # the targets (Options.simd) where the scratch can be non-zero
    optional: bool = False                # the kernel also runs without it (NULL), only slower


SCRATCH: dict[str, ScratchRule] = {
    "CONV_2D": ScratchRule(conv.conv_scratch, ("dsp",), True),
    "DEPTHWISE_CONV_2D": ScratchRule(conv.depthwise_scratch, ("dsp",), True),
    "MEAN": ScratchRule(reduce.accumulator_scratch),
    "SUM": ScratchRule(reduce.accumulator_scratch),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": ScratchRule(lstm.lstm_scratch),
    "TFLite_Detection_PostProcess": ScratchRule(detection.detection_scratch),
    "CUSTOM:SignalRfft": ScratchRule(signal.rfft_scratch),
}

ALIAS_KINDS = frozenset({"RESHAPE", "SQUEEZE", "EXPAND_DIMS"})     # the output is the input's bytes under another shape


def inplace_scratch_bytes(g: Graph, k: int) -> int:
    """The one-channel temporary of the in-place depthwise kernel (firmware/mcu_dw_inplace.c) at position k
    (passes/inplace.py decides which ops run in place)."""
    y = g.tensors[g.ops[k].outputs[0]]
    return y.shape[1] * y.shape[2]
