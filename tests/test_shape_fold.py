"""SHAPE folds into a constant (graph normalisation `fold_shape`): every shape is static, so its output is
known when compiling; TFLite Micro and LiteRT run the unrewritten model (SHAPE executed) as the check."""

from __future__ import annotations

import numpy as np
import pytest
from tflite_builder import M, O, T, build

from mcucompile import api


def _model(out_dtype="int32", shape_is_output=False):
    q = ([0.05], [3])
    ts = [T((2, 3, 4), "int8", *q, name="x"), T((1,), "int32", data=np.array([24], np.int32), name="flat"),
          T((24,), "int8", *q, name="f"), T((24,), "int8", *q, name="a"), T((3,), out_dtype, name="s"),
          T((2, 3, 4), "int8", *q, name="y")]
    ops = [O("RESHAPE", [0, 1], [2]), O("ABS", [2], [3]), O("SHAPE", [0], [4]), O("RESHAPE", [3, 4], [5])]
    return build(M(ts, ops, [0], [5, 4] if shape_is_output else [5]))


@pytest.mark.parametrize("out_dtype", ["int32"])
def test_shape_folds_and_matches_the_references(tmp_path, out_dtype):
    path = tmp_path / "shape.tflite"
    path.write_bytes(_model(out_dtype))
    g = api.load(path)
    assert [op.kind for op in g.ops] == ["RESHAPE", "ABS", "RESHAPE"]
    assert [r.kind for r in g.rewrites] == ["fold_shape"]
    assert "SHAPE of [2, 3, 4] folded into a constant" in g.rewrites[0].text
    r = api.simulate(str(path), samples=3, seed=1, references=("tflm", "litert_ref"))
    for c in r.comparisons:
        if c.reference == "tflm":
            assert c.available, c.error
        if c.available:
            assert c.mismatches == 0, c
    assert r.ok


def test_shape_as_a_model_output_is_not_folded_and_is_refused(tmp_path):
    from mcucompile.errors import UnsupportedModelError
    path = tmp_path / "shape_out.tflite"
    path.write_bytes(_model(shape_is_output=True))
    g = api.load(path)
    assert "SHAPE" in [op.kind for op in g.ops] and not g.rewrites
    with pytest.raises(UnsupportedModelError, match=r"SHAPE \(op 2\): only a SHAPE that graph normalisation folds "
                                                    r"into a constant is supported \(its output a 1-D int32/int64 "
                                                    r"tensor read by other ops, not a model output\)"):
        api.compile_model(path, tmp_path / "out")
