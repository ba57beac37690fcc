"""Accumulating patch stages (passes/reduce_stage.py): a stage whose maps only feed reductions over
all their pixels (a global SUM / MEAN, a linear attention's sum(k) and k^T v) computes them patch by
patch into int32 accumulators. Bit-exact with TFLite Micro on every grid, both stage kinds, host and
qemu-m4; the maps never take more than a patch of memory. Models are made with TensorFlow here.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_token_maps import _bit_exact, _conv, _model, attention

from mcucompile.api import analyze, load
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.errors import McuCompileError
from mcucompile.passes.patch_plan import even_split, make_schedule, patch_macs, search
from mcucompile.passes.reduce_stage import reduce_candidates

tf = pytest.importorskip("tensorflow")


def pooled(seed: int = 5) -> bytes:
    """A classifier tail: 3x3 conv /2, depthwise 3x3, 1x1 conv to 48 channels (the largest map), a
    global mean (keep_dims) and a global sum of another branch, added, then a dense layer. NHWC 21x17x3
    input (odd sizes)."""
    rng = np.random.default_rng(seed)
    c1, c3, c4 = _conv(rng, 3, 12, 3), _conv(rng, 12, 48), _conv(rng, 12, 48)
    dw = tf.constant(rng.normal(0, 0.3, size=(3, 3, 12, 1)).astype(np.float32))
    fc = tf.constant(rng.normal(0, 0.2, size=(48, 5)).astype(np.float32))

    def fn(x):
        x = tf.nn.relu(tf.nn.conv2d(x, c1[0], 2, "SAME") + c1[1])                        # 11x9x12
        x = tf.nn.relu6(tf.nn.depthwise_conv2d(x, dw, (1, 1, 1, 1), "SAME"))
        a = tf.nn.relu(tf.nn.conv2d(x, c3[0], 1, "SAME") + c3[1])                         # 11x9x48
        b = tf.nn.conv2d(x, c4[0], 1, "SAME") + c4[1]
        m = tf.reduce_mean(a, axis=[1, 2], keepdims=True)
        s = tf.reduce_sum(b, axis=[1, 2], keepdims=True) * 0.02
        return tf.matmul(tf.reshape(m + s, (1, 48)), fc)

    return _model(fn, (1, 21, 17, 3), seed)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    built: dict = {}

    def get(name: str):
        if name not in built:
            path = tmp_path_factory.mktemp("reduce") / f"{name}.tflite"
            path.write_bytes({"attention": attention, "pooled": pooled}[name]())
            built[name] = path
        return built[name]

    return get


def _stages(g, start, grids, cache):
    out, refused = [], []
    for split, seeds, accs in reduce_candidates(g, start, 16):
        h, w = g.tensors[seeds[0]].shape[1:3]
        for rows, cols in grids:
            try:
                out.append(make_schedule(g, split, seeds[0], even_split(h, min(h, rows)),
                                         even_split(w, min(w, cols)), start, cache, seeds=seeds, reduce=accs))
            except McuCompileError as e:
                refused.append(str(e))
    return out, refused


def test_candidates(models):
    g = load(models("attention"))
    # k and v (1x1 convs of the stem's map) feed only sum(k) and k^T v through their token views
    starts = {a: reduce_candidates(g, a, 16) for a in range(len(g.ops))}
    a, ((split, seeds, accs),) = next((a, c) for a, c in starts.items() if c)
    assert [g.ops[k].kind for k in accs] == ["SUM", "BATCH_MATMUL"]
    assert [g.ops[k].kind for k in range(a, split)] == ["CONV_2D", "RESHAPE", "SUM", "CONV_2D", "RESHAPE",
                                                        "BATCH_MATMUL"]
    assert len(seeds) == 2 and all(g.tensors[t].shape == (1, 9, 7, 8) for t in seeds)
    g = load(models("pooled"))
    cands = reduce_candidates(g, 0, 16)
    assert len(cands) == 1
    split, seeds, accs = cands[0]
    assert [g.ops[k].kind for k in accs] == ["MEAN", "SUM"] and g.ops[split].kind != "CONV_2D"


@pytest.mark.parametrize("cache", [False, True], ids=["recompute", "cached"])
@pytest.mark.parametrize("name", ["attention", "pooled"])
def test_accumulating_stages_bit_exact(models, name, cache):
    path = models(name)
    g = load(path)
    start = next(a for a in range(len(g.ops)) if reduce_candidates(g, a, 16))
    grids = [(3, 1), (4, 2), (11, 9)] if cache else [(2, 2), (3, 4), (9, 7)]
    stages, refused = _stages(g, start, grids, cache)
    assert len(stages) == 3 and not refused
    for k, s in enumerate(stages):
        assert s.accumulates and len(s.seeds) == 2
        _bit_exact(path, g, (s,), k)
    if cache:   # one column strip: every pixel once, no MACs added
        assert patch_macs(g, stages[0]) == patch_macs(g, ())


def test_the_search_takes_the_reduction_in(models):
    path = models("pooled")
    g = load(path)
    lbl = compile_graph(g, Options(io_in_arena=False)).plan.arena_bytes
    found = search(g, 0.10, io_in_arena=False)
    assert any(s.accumulates for s in found.chosen)
    # the 11x9x48 maps (4,752 B each) never exist whole
    assert found.chosen_candidate.peak < lbl and found.chosen_candidate.peak < 11 * 9 * 48
    a = analyze(path, Options(patch_mode="auto", io_in_arena=False))
    st = next(s for s in a.patch["stages"] if s["accumulates"])
    assert [x["kind"] for x in st["accumulates"]] == ["MEAN", "SUM"]
    assert not any(b["kind"] in ("MEAN", "SUM") for b in a.stage_breaks)


def test_accumulating_stage_on_cortex_m4(models, qemu_toolchain):
    from mcucompile.api import random_inputs, simulate
    path = models("attention")
    g = load(path)
    start = next(a for a in range(len(g.ops)) if reduce_candidates(g, a, 16))
    (s, *_), _ = _stages(g, start, [(3, 2)], False)
    r = simulate(path, inputs=random_inputs(g, 2, seed=3), board="qemu-m4", references=("tflm",),
                 options=Options(io_in_arena=False, patch=(s,)))
    assert r.ok and r.comparisons[0].available and r.comparisons[0].mismatches == 0
