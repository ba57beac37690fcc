"""Per-token ops on a map's tokens run on the map (normalisation's `token_map` rewrite), the ops that mix
tokens move out of the way (`hoist`), and the per-token half of a ReLU linear attention then runs inside
patch stages: bit-exact with TFLite Micro on the unrewritten model file, layer by layer and per patch.
Models are made with TensorFlow here.
"""

from __future__ import annotations

import numpy as np
import pytest

from mcucompile.api import load, random_inputs, simulate
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.errors import McuCompileError
from mcucompile.passes.memory_plan import check_plan
from mcucompile.passes.patch_plan import even_split, make_schedule, stage_candidates
from mcucompile.passes.regions import break_reason, patchable

tf = pytest.importorskip("tensorflow")


def _conv(rng, cin, cout, k=1):
    w = rng.normal(0, np.sqrt(2.0 / (k * k * cin)), size=(k, k, cin, cout)).astype(np.float32)
    return tf.constant(w), tf.constant(rng.normal(0, 0.1, size=(cout,)).astype(np.float32))


def _model(fn, shape, seed):
    from tfgen import int8_tflite, uniform_samples
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def attention(seed: int = 3) -> bytes:
    """A stem conv to a 9x7x8 map, ReLU linear attention over its 63 tokens (q, k, v, kv = k^T v,
    q kv / (q . sum(k) + eps)), a per-token sigmoid gate and a per-channel scale, back to the map, a
    residual add and a 3x3 conv. NHWC 18x14x3 input."""
    rng = np.random.default_rng(seed)
    stem, cq, ck, cv, proj, tail = (_conv(rng, 3, 8, 3), _conv(rng, 8, 8), _conv(rng, 8, 8), _conv(rng, 8, 8),
                                    _conv(rng, 8, 8), _conv(rng, 8, 4, 3))
    scale = tf.constant(rng.uniform(0.5, 1.5, size=(8,)).astype(np.float32))

    def fn(x):
        x = tf.nn.relu(tf.nn.conv2d(x, stem[0], 2, "SAME") + stem[1])                   # 9x7x8
        q = tf.reshape(tf.nn.relu(tf.nn.conv2d(x, cq[0], 1, "SAME") + cq[1]), (1, 63, 8))
        k = tf.reshape(tf.nn.relu(tf.nn.conv2d(x, ck[0], 1, "SAME") + ck[1]), (1, 63, 8))
        v = tf.reshape(tf.nn.conv2d(x, cv[0], 1, "SAME") + cv[1], (1, 63, 8))
        kv = tf.matmul(k, v, transpose_a=True)                                           # [1, 8, 8]
        den = tf.reduce_sum(q * tf.reduce_sum(k, axis=1, keepdims=True), axis=-1, keepdims=True) + 0.01
        a = tf.matmul(q, kv) / den
        a = tf.sigmoid(a) * scale
        a = tf.reshape(a, (1, 9, 7, 8))
        x = x + tf.nn.conv2d(a, proj[0], 1, "SAME") + proj[1]
        return tf.nn.conv2d(x, tail[0], 1, "SAME") + tail[1]

    return _model(fn, (1, 18, 14, 3), seed)


def token_output(seed: int = 4) -> bytes:
    """Two per-token multiplies of the same tokens: one is a model output (flat tokens: it must keep its
    shape), the other goes back to the map and into a conv (the second output). NHWC 8x6x4 input."""
    rng = np.random.default_rng(seed)
    c1, c2 = _conv(rng, 4, 6), _conv(rng, 6, 6)

    def fn(x):
        t = tf.reshape(tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1]), (1, 48, 6))
        m = tf.reshape(t * 3.0, (1, 8, 6, 6))
        return t * 2.0, tf.nn.conv2d(m, c2[0], 1, "SAME") + c2[1]

    return _model(fn, (1, 8, 6, 4), seed)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    built: dict = {}

    def get(name: str):
        if name not in built:
            path = tmp_path_factory.mktemp("tokens") / f"{name}.tflite"
            path.write_bytes({"attention": attention, "token_output": token_output}[name]())
            built[name] = path
        return built[name]

    return get


def _bit_exact(path, g, stages=(), seed=0):
    opts = Options(io_in_arena=False, patch=tuple(stages))
    assert check_plan(compile_graph(g, opts).plan) == []
    r = simulate(path, inputs=random_inputs(g, 2, seed=seed), options=opts, references=("tflm",))
    assert r.comparisons[0].available and r.comparisons[0].mismatches == 0, r.comparisons[0]
    assert r.ok and r.touched_extent <= r.arena_bytes
    return r


def test_attention_rewrites(models):
    from mcucompile.frontend.tflite_reader import read_tflite
    path = models("attention")
    raw, g = read_tflite(path), load(path)
    kinds = [r.kind for r in g.rewrites]
    assert "token_map" in kinds and "hoist" in kinds
    # per token on the map: the reshapes of q and of the result are gone; k and v keep their flat views
    # for the ops that mix tokens (the sum over tokens and k^T v)
    assert sum(op.kind == "RESHAPE" for op in raw.ops) - sum(op.kind == "RESHAPE" for op in g.ops) == 2
    mixing = [op for op in g.ops if op.kind in ("SUM", "BATCH_MATMUL") and not patchable(g, op)]
    assert len(mixing) == 2 and all(len(g.tensors[op.inputs[0]].shape) == 3 for op in mixing)
    per_token = [op for op in g.ops if op.kind in ("MUL", "DIV", "LOGISTIC", "SUM", "BATCH_MATMUL", "ADD")
                 and patchable(g, op)]
    assert {op.kind for op in per_token} >= {"MUL", "DIV", "LOGISTIC", "SUM", "BATCH_MATMUL", "ADD"}
    assert all(g.tensors[op.outputs[0]].shape[1:3] == (9, 7) for op in per_token)
    # after the hoist, one run of patchable ops reaches from the query's conv to the model's end
    q = min(op.index for op in per_token) - 1
    assert g.ops[q].kind == "CONV_2D" and all(patchable(g, op) for op in g.ops[q:])
    assert stage_candidates(g, q)[-1][0] == len(g.ops)
    assert all(break_reason(g, op) is None for op in g.ops[q:])
    # the same numbers as the model file, layer by layer
    _bit_exact(path, g)


def test_attention_in_patch_stages(models):
    path = models("attention")
    g = load(path)
    q = next(k for k, op in enumerate(g.ops) if op.kind == "MUL") - 1
    refused, ran = [], 0
    for cache, grids in ((False, [(3, 2), (2, 3), (9, 7)]), (True, [(3, 1), (9, 1), (4, 2)])):
        for split, t in stage_candidates(g, q):
            if split <= q + 4:
                continue
            h, w = g.tensors[t].shape[1:3]
            for rows, cols in grids:
                try:
                    s = make_schedule(g, split, t, even_split(h, min(h, rows)), even_split(w, min(w, cols)),
                                      q, cache)
                except McuCompileError as e:
                    refused.append(str(e))
                    continue
                _bit_exact(path, g, (s,), ran)
                ran += 1
    assert ran >= 8
    # column strips: the 3x3 conv at the end widens the residual map's columns, not the channel sum's
    assert all("channel sum" in e for e in refused)


def test_a_token_output_keeps_its_shape(models):
    path = models("token_output")
    g = load(path)
    muls = [op for op in g.ops if op.kind == "MUL"]
    assert len(muls) == 2
    out = [op for op in muls if op.outputs[0] in g.outputs]
    assert len(out) == 1 and g.tensors[out[0].outputs[0]].shape == (1, 48, 6)
    inner = next(op for op in muls if op is not out[0])
    assert g.tensors[inner.outputs[0]].shape == (1, 8, 6, 6) and patchable(g, inner)
    assert "token_map" in [r.kind for r in g.rewrites]
    _bit_exact(path, g)


def test_a_channel_sum_needs_its_input_columns_alone(tmp_path):
    """A per-pixel channel sum runs on the pixels of its patch as one run: its input's buffer may not hold
    more columns than its output (a 3x3 conv reading the same map widens them); such grids are refused
    (the search skips them), full-width row bands run it."""
    rng = np.random.default_rng(7)
    c1, c2 = _conv(rng, 3, 6), _conv(rng, 6, 6, 3)

    def fn(x):
        x = tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1])
        return tf.nn.conv2d(x, c2[0], 1, "SAME") + c2[1] + tf.reduce_sum(x, axis=-1, keepdims=True)

    path = tmp_path / "chansum.tflite"
    path.write_bytes(_model(fn, (1, 8, 10, 3), 7))
    g = load(path)
    assert any(op.kind == "SUM" and patchable(g, op) for op in g.ops)
    split, t = stage_candidates(g)[-1]
    assert split == len(g.ops)
    with pytest.raises(McuCompileError, match="a channel sum's input would hold more columns than its output"):
        make_schedule(g, split, t, even_split(8, 2), even_split(10, 2))
    _bit_exact(path, g, (make_schedule(g, split, t, even_split(8, 4), even_split(10, 1), 0, True),))
