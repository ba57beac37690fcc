"""TRANSPOSE inside patch stages beyond a model input's NCHW -> NHWC: rows <-> columns and channels to
rows, reading a map from before the stage whole and gathering each patch's pixels. Bit-exact with
TFLite Micro for every stage from a transpose, both stage kinds. Models are made with TensorFlow here.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_token_maps import _bit_exact, _conv, _model

from mcucompile.api import load
from mcucompile.passes.patch_plan import even_split, make_schedule, search, stage_candidates
from mcucompile.passes.regions import break_reason, patchable

tf = pytest.importorskip("tensorflow")


def transposes(seed: int = 6) -> bytes:
    """conv -> rows <-> columns -> strided conv -> channels to rows (NHWC -> NCHW viewed as a map) ->
    conv. NHWC 12x10x3 input."""
    rng = np.random.default_rng(seed)
    c1, c2, c3 = _conv(rng, 3, 6, 3), _conv(rng, 6, 8, 3), _conv(rng, 6, 4, 3)

    def fn(x):
        a = tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1])          # 12x10x6
        t = tf.transpose(a, (0, 2, 1, 3))                                    # 10x12x6
        b = tf.nn.relu(tf.nn.conv2d(t, c2[0], 2, "SAME") + c2[1])          # 5x6x8
        u = tf.transpose(b, (0, 3, 1, 2))                                    # 8x5x6
        return tf.nn.conv2d(u, c3[0], 1, "SAME") + c3[1]                   # 8x5x4

    return _model(fn, (1, 12, 10, 3), seed)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("transpose") / "transposes.tflite"
    path.write_bytes(transposes())
    return path


def test_transposes_start_stages(model):
    g = load(model)
    tr = [op for op in g.ops if op.kind == "TRANSPOSE"]
    assert len(tr) == 2 and all(patchable(g, op) and break_reason(g, op) is None for op in tr)
    # a run that produced a transpose's input ends before it; a run from the transpose goes on
    assert stage_candidates(g, 0)[-1][0] == tr[0].index
    assert stage_candidates(g, tr[0].index)[-1][0] == tr[1].index
    assert stage_candidates(g, tr[1].index)[-1][0] == len(g.ops)


@pytest.mark.parametrize("cache", [False, True], ids=["recompute", "cached"])
def test_transpose_stages_bit_exact(model, cache):
    g = load(model)
    grids = [(2, 1), (3, 1), (4, 2)] if cache else [(2, 2), (3, 2), (5, 4)]
    ran = 0
    for start in [op.index for op in g.ops if op.kind == "TRANSPOSE"]:
        for split, t in stage_candidates(g, start)[-1:]:      # the longest stage from the transpose
            h, w = g.tensors[t].shape[1:3]
            for rows, cols in grids:
                s = make_schedule(g, split, t, even_split(h, min(h, rows)), even_split(w, min(w, cols)), start,
                                  cache)
                _bit_exact(model, g, (s,), ran)
                ran += 1
    assert ran == 6


def test_search_uses_them(model):
    g = load(model)
    found = search(g, 0.10, io_in_arena=False)
    assert any(g.ops[s.start].kind == "TRANSPOSE" for s in found.chosen)
    _bit_exact(model, g, found.chosen, 9)
