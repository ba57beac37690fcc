"""Where the two references disagree, the evidence for which one is wrong.

FULLY_CONNECTED: LiteRT's BUILTIN_REF int8 kernel requantises with single rounding
((acc * M + 2^(30-shift)) >> (31-shift)), while TFLite Micro uses TFLite's double-rounding
MultiplyByQuantizedMultiplier. A numpy model of each, run layer by layer on hello_world_int8,
reproduces the respective interpreter exactly; TFLite Micro is the oracle, and we match it.
"""

import numpy as np

from mcucompile.api import load, random_inputs
from mcucompile.ir.quant import activation_range, multiply_by_quantized_multiplier, quantize_multiplier
from mcucompile.sim.reference import run_reference


def _single_rounding(acc, q, shift):
    total = 31 - shift
    return (acc.astype(np.int64) * q + (1 << (total - 1))) >> total


def _mlp(g, x, rounding):
    h = x.reshape(x.shape[0], -1).astype(np.int64)
    for op in g.ops:
        assert op.kind == "FULLY_CONNECTED"
        xi, w, b, y = (g.tensors[i] for i in (*op.inputs, op.outputs[0]))
        acc = (h - xi.zero_point) @ (w.data.astype(np.int64) - w.zero_point).T + b.data
        q, s = quantize_multiplier(float(xi.scale) * float(w.scale) / float(y.scale))
        r = multiply_by_quantized_multiplier(acc, q, s) if rounding == "double" else _single_rounding(acc, q, s)
        lo, hi = activation_range(op.attrs.activation, y.scale, y.zero_point)
        h = np.clip(r + y.zero_point, lo, hi)
    return h


def test_litert_fully_connected_uses_single_rounding(shared_models):
    path = shared_models / "hello_world_int8.tflite"
    g = load(path)
    x = random_inputs(g, 64, seed=3)
    tflm = run_reference("tflm", path, x, 1).outputs[0].reshape(64, -1)
    litert = run_reference("litert_ref", path, x, 1).outputs[0].reshape(64, -1)
    double = _mlp(g, x[0], "double")
    single = _mlp(g, x[0], "single")
    assert np.array_equal(tflm, double)
    assert np.array_equal(litert, single)
    assert not np.array_equal(tflm, litert)      # the discrepancy is real on these inputs
