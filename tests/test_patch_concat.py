"""CONCATENATION along rows or columns (axis 1 or 2 of an NHWC map) inside patch stages: a tile copies
from each input the part of it that falls inside that input's span, shifted into place (no rows at all
when it misses the input), in recompute and row-cached stages over every stage candidate and several
grids, bit-exact against TFLite Micro with the arena's touched bytes inside the plan."""

import numpy as np
import pytest

from mcucompile.api import load, random_inputs, simulate
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.errors import McuCompileError
from mcucompile.passes.memory_plan import check_plan
from mcucompile.passes.patch_plan import even_split, make_schedule, stage_candidates
from mcucompile.passes.regions import (
    Region,
    break_reason,
    concat_axis,
    input_intervals,
    input_regions,
    patchable,
)

tf = pytest.importorskip("tensorflow")


def _conv(rng, kh, kw, cin, cout):
    w = rng.normal(0, np.sqrt(2.0 / (kh * kw * cin)), size=(kh, kw, cin, cout)).astype(np.float32)
    return tf.constant(w), tf.constant(rng.normal(0, 0.1, size=(cout,)).astype(np.float32))


def _model(fn, shape, seed):
    from tfgen import int8_tflite, uniform_samples
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def rows_zoo(seed: int = 11) -> bytes:
    """Two conv branches of unequal heights (16 and 8 rows) concatenated along the rows, a stride-2 conv,
    then three branches of unequal widths concatenated along the columns (axis -2) and a conv; a mean
    ends the model. NHWC 16x12x3 input."""
    rng = np.random.default_rng(seed)
    c1, c2, c3, d1, d2, d3, c4 = (_conv(rng, 3, 3, 3, 8), _conv(rng, 3, 3, 3, 8), _conv(rng, 3, 3, 8, 8),
                                  _conv(rng, 1, 1, 8, 8), _conv(rng, 3, 3, 8, 8), _conv(rng, 3, 1, 8, 8),
                                  _conv(rng, 3, 3, 8, 4))

    def fn(x):
        a = tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1])                          # 16x12x8
        b = tf.nn.relu(tf.nn.conv2d(x, c2[0], (2, 1), "SAME") + c2[1])                     # 8x12x8
        x = tf.concat([a, b], axis=1)                                                        # 24x12x8
        x = tf.nn.relu(tf.nn.conv2d(x, c3[0], 2, "SAME") + c3[1])                          # 12x6x8
        p = tf.nn.conv2d(x, d1[0], 1, "SAME") + d1[1]                                       # 12x6
        q = tf.nn.relu(tf.nn.conv2d(x, d2[0], (1, 2), "SAME") + d2[1])                     # 12x3
        r = tf.nn.conv2d(x, d3[0], 1, "SAME") + d3[1]                                       # 12x6
        x = tf.concat([p, q, r], axis=-2)                                                    # 12x15x8
        x = tf.nn.conv2d(x, c4[0], 1, "SAME") + c4[1]
        return tf.reduce_mean(x, axis=[1, 2])

    return _model(fn, (1, 16, 12, 3), seed)


def mixed_zoo(seed: int = 12) -> bytes:
    """Three inputs along the rows, one given twice and one the model input read whole by every patch,
    then a channel concatenation and a concatenation along the columns of a map with itself; the model
    ends with a conv, so the stage output is the model output. NHWC 10x9x4 input."""
    rng = np.random.default_rng(seed)
    c1, c2, c3, c4 = _conv(rng, 3, 3, 4, 4), _conv(rng, 3, 3, 4, 4), _conv(rng, 1, 1, 8, 4), _conv(rng, 3, 3, 4, 6)

    def fn(x):
        a = tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1])                          # 10x9x4
        y = tf.concat([a, x, a], axis=1)                                                     # 30x9x4
        y = tf.nn.relu(tf.nn.conv2d(y, c2[0], (3, 1), "SAME") + c2[1])                     # 10x9x4
        y = tf.concat([y, a], axis=3)                                                        # 10x9x8
        y = tf.nn.relu(tf.nn.conv2d(y, c3[0], 1, "SAME") + c3[1])                          # 10x9x4
        y = tf.concat([y, y], axis=2)                                                        # 10x18x4
        return tf.nn.conv2d(y, c4[0], (1, 2), "SAME") + c4[1]                              # 10x9x6

    return _model(fn, (1, 10, 9, 4), seed)


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    built: dict = {}

    def get(name: str):
        if name not in built:
            path = tmp_path_factory.mktemp("concat") / f"{name}.tflite"
            path.write_bytes({"rows_zoo": rows_zoo, "mixed_zoo": mixed_zoo}[name]())
            built[name] = path
        return built[name]

    return get


def _bit_exact(path, g, stages, seed: int):
    """Compile with these patch stages (I/O outside the arena), check the plan, run 2 random samples on
    the host: bit-exact with TFLite Micro, touched bytes inside the plan."""
    opts = Options(io_in_arena=False, patch=tuple(stages))
    assert check_plan(compile_graph(g, opts).plan) == []
    r = simulate(path, inputs=random_inputs(g, 2, seed=seed), options=opts, references=("tflm",))
    assert r.comparisons[0].available and r.comparisons[0].mismatches == 0, r.comparisons[0]
    assert r.ok and r.touched_extent <= r.arena_bytes
    return r


def _spatial_concats(g):
    return [op for op in g.ops if op.kind == "CONCATENATION" and concat_axis(g, op) in (1, 2)]


@pytest.mark.parametrize("name", ["rows_zoo", "mixed_zoo"])
def test_spatial_concats_are_patchable(zoo, name):
    g = load(zoo(name))
    assert {concat_axis(g, op) for op in _spatial_concats(g)} == {1, 2}
    assert all(patchable(g, op) and break_reason(g, op) is None for op in g.ops if op.kind == "CONCATENATION")
    # every op up to the mean (rows_zoo) or the last op (mixed_zoo) runs in the longest stage from op 0
    split, _ = stage_candidates(g)[-1]
    assert split > max(op.index for op in _spatial_concats(g))
    assert split == (len(g.ops) - 1 if name == "rows_zoo" else len(g.ops))


def test_region_math_of_a_row_concatenation(zoo):
    g = load(zoo("rows_zoo"))
    op = next(op for op in _spatial_concats(g) if concat_axis(g, op) == 1)
    a, b = op.inputs
    assert [g.tensors[t].shape[1] for t in op.inputs] == [16, 8]
    # a band inside the first input, one straddling both, one inside the second
    assert input_intervals(g, op, 1, 2, 7) == {a: (2, 7), b: (0, 1)}
    assert input_intervals(g, op, 1, 12, 20) == {a: (12, 16), b: (0, 4)}
    assert input_intervals(g, op, 1, 18, 24) == {a: (15, 16), b: (2, 8)}
    # the columns map one to one
    assert input_intervals(g, op, 2, 3, 9) == {a: (3, 9), b: (3, 9)}
    assert input_regions(g, op, Region(12, 20, 1, 5)) == {a: Region(12, 16, 1, 5), b: Region(0, 4, 1, 5)}


def test_an_input_given_twice_reads_both_spans(zoo):
    g = load(zoo("mixed_zoo"))
    op = next(op for op in _spatial_concats(g) if len(op.inputs) == 3)
    a, x, a2 = op.inputs
    assert a == a2 and x in g.inputs
    assert input_intervals(g, op, 1, 8, 22) == {a: (0, 10), x: (0, 10)}
    assert input_intervals(g, op, 1, 5, 8) == {a: (5, 8), x: (0, 1)}


def test_break_reason_for_the_batch_axis():
    from test_error_messages import act, graph

    from mcucompile.ir.graph import ConcatenationAttrs
    g = graph("CONCATENATION", ConcatenationAttrs(0, "NONE"), [act((1, 4, 4, 3))], [act((1, 4, 4, 3))])
    assert not patchable(g, g.ops[0])
    assert break_reason(g, g.ops[0]) == ("concatenates along axis 0 (only the row, column and channel axes "
                                         "run per patch)")
    for axis in (1, 2, 3, -1, -2, -3):
        g = graph("CONCATENATION", ConcatenationAttrs(axis, "NONE"), [act((1, 4, 4, 3))], [act((1, 4, 4, 3))])
        assert patchable(g, g.ops[0]) and break_reason(g, g.ops[0]) is None, axis


RECOMPUTE = [(2, 1), (1, 2), (3, 2), (4, 3), (5, 5)]
CACHED = [(2, 1), (3, 1), (5, 2), (8, 1), (4, 3)]


def _schedules(g, grids, cache, start=0, refused=None):
    """Every stage candidate from op `start` whose stage holds a spatial concatenation, with each grid.
    refused: a list that collects the planner's refusals (else they raise)."""
    concats = [op.index for op in _spatial_concats(g) if op.index >= start]
    out = []
    for split, t in stage_candidates(g, start):
        if split <= concats[0]:
            continue
        h, w = g.tensors[t].shape[1:3]
        for rows, cols in grids:
            try:
                out.append(make_schedule(g, split, t, even_split(h, min(h, rows)),
                                         even_split(w, min(w, cols)), start, cache))
            except McuCompileError as e:
                if refused is None:
                    raise
                refused.append(str(e))
    assert any(s.split > concats[-1] for s in out)
    return out


@pytest.mark.parametrize("cache", [False, True], ids=["recompute", "cached"])
@pytest.mark.parametrize("name", ["rows_zoo", "mixed_zoo"])
def test_spatial_concat_in_stages_bit_exact(zoo, name, cache):
    path = zoo(name)
    g = load(path)
    if name == "mixed_zoo" and cache:
        # an input given twice along the rows is read from its top again further down: with more than
        # two bands its rows do not move down, so rows cannot be cached across it (recomputing stages
        # run it); the stages after it cache rows through the channel and column concatenations
        refused: list = []
        schedules = _schedules(g, CACHED, True, refused=refused)
        assert refused and all("row caching needs the bands' rows to move down" in e for e in refused)
        twice = next(op for op in _spatial_concats(g) if len(set(op.inputs)) < len(op.inputs))
        assert concat_axis(g, twice) == 1
        schedules += _schedules(g, CACHED, True, twice.index + 1)
    else:
        schedules = _schedules(g, CACHED if cache else RECOMPUTE, cache)
    for k, s in enumerate(schedules):
        _bit_exact(path, g, (s,), k)


def test_a_tile_that_misses_an_input_copies_no_rows(zoo):
    """A 2 x 1 grid over the row concatenation's output (24 rows: 16 + 8) as the stage output: the
    top tile reads nothing of the second input, the bottom one nothing of the first."""
    path = zoo("rows_zoo")
    g = load(path)
    op = next(op for op in _spatial_concats(g) if concat_axis(g, op) == 1)
    y = op.outputs[0]
    s = make_schedule(g, op.index + 1, y, (0, 16, 24), (0, 12), 0)
    _bit_exact(path, g, (s,), 3)
    for cache in (False, True):
        s = make_schedule(g, op.index + 1, y, (0, 6, 16, 20, 24), (0, 5, 12), 0, cache)
        _bit_exact(path, g, (s,), 4)
