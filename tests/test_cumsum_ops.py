"""CUMSUM (int8, constant axis, exclusive / reverse), bit-exact with TFLite Micro.

TFLite Micro's int8 CUMSUM is ADD_N's arithmetic along an axis (the running sum starts at the scaled value
of -zero point, as TFLite's does). Models are hand-built. LiteRT has no int8 CUMSUM (its kernel takes
int32, int64 and float32 only), so TFLite Micro is the only oracle.
"""

from __future__ import annotations

import numpy as np
import pytest
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.arith_more import lower_cumsum
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import CumsumAttrs, Graph, Op, Quant, Tensor


def _run(tmp_path, name, data, inputs=None, samples=3, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm",), board=board)
    (c,) = r.comparisons
    assert c.available, c.error
    assert c.mismatches == 0, (name, c)
    assert r.ok
    return r


def _model(shape, axis, exclusive, reverse, q_in, q_out):
    ts = [T(shape, "int8", [q_in[0]], [q_in[1]], name="x"), T((), "int32", data=np.array(axis, np.int32), name="axis"),
          T(shape, "int8", [q_out[0]], [q_out[1]], name="y")]
    return build(M(ts, [O("CUMSUM", [0, 1], [2], options=("CumsumOptions", {"Exclusive": exclusive,
                                                                             "Reverse": reverse}))], [0], [2]))


CASES = [((2, 5, 3), 1, False, False, (0.05, 3), (0.2, -10)), ((2, 5, 3), -1, True, False, (0.02, -128), (0.1, -128)),
         ((4, 6), 0, False, True, (0.1, 127), (0.3, 0)), ((1, 3, 4, 5), 2, True, True, (0.01, 0), (0.05, 100)),
         ((40,), 0, False, False, (0.5, 0), (0.004, 0))]     # the last: the int32 running sum wraps, as in TFLite


@pytest.mark.parametrize("shape,axis,exclusive,reverse,q_in,q_out", CASES, ids=[f"c{k}" for k in range(len(CASES))])
def test_cumsum_bit_exact_with_tflm(tmp_path, shape, axis, exclusive, reverse, q_in, q_out):
    _run(tmp_path, "cumsum", _model(shape, axis, exclusive, reverse, q_in, q_out), samples=4)


def test_cumsum_refuses_a_computed_axis():
    ts = (Tensor(0, "x", (2, 3), "int8", Quant((0.1,), (0,))), Tensor(1, "axis", (), "int32"),
          Tensor(2, "y", (2, 3), "int8", Quant((0.1,), (0,))))
    op = Op(5, "CUMSUM", (0, 1), (2,), CumsumAttrs(False, False))
    with pytest.raises(UnsupportedModelError, match=r"^CUMSUM \(op 5\): the axis must be one constant int32 value"):
        lower_cumsum(LowerCtx(Graph("g", ts, (op,), (0, 1), (2,))), op)


def test_cumsum_refuses_an_axis_out_of_range():
    ts = (Tensor(0, "x", (2, 3), "int8", Quant((0.1,), (0,))),
          Tensor(1, "axis", (), "int32", None, np.array(2, np.int32)),
          Tensor(2, "y", (2, 3), "int8", Quant((0.1,), (0,))))
    op = Op(5, "CUMSUM", (0, 1), (2,), CumsumAttrs(False, False))
    with pytest.raises(UnsupportedModelError, match=r"^CUMSUM \(op 5\): axis 2 of input \(2, 3\) with output \(2, 3\) "
                                                    "is not a running sum TFLite computes"):
        lower_cumsum(LowerCtx(Graph("g", ts, (op,), (0,), (2,))), op)
