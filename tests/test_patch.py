"""Patch-based inference: region math properties, exact memory accounting, and bit-exactness of patch
execution against layer-by-layer execution and against TFLite Micro, on the shared models and on
synthetic nets with odd sizes, stride 1/2/3, dilation, pooling and residual ADDs."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT, need_module
from hypothesis import given, settings
from hypothesis import strategies as st

from mcucompile.api import load, random_inputs, simulate
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.errors import McuCompileError
from mcucompile.passes.memory_plan import check_plan
from mcucompile.passes.patch_plan import even_split, make_schedule, patch_buffers, patch_macs, search, stage_candidates
from mcucompile.passes.regions import Region, input_regions, window_interval

# ---- region math -------------------------------------------------------------------------------

@settings(max_examples=400, deadline=None)
@given(size=st.integers(1, 60), k=st.integers(1, 7), s=st.integers(1, 3), d=st.integers(1, 3),
       same=st.booleans(), parts=st.integers(1, 8), data=st.data())
def test_window_interval_is_the_exact_receptive_field(size, k, s, d, same, parts, data):
    eff = (k - 1) * d + 1
    out = (size + s - 1) // s if same else (size - eff + s) // s
    if out <= 0:
        return
    pad = max((out - 1) * s + eff - size, 0) // 2
    bounds = even_split(out, min(parts, out))
    # the bands tile the output exactly
    assert bounds[0] == 0 and bounds[-1] == out and all(a < b for a, b in zip(bounds, bounds[1:]))
    o0 = data.draw(st.integers(0, out - 1))
    o1 = data.draw(st.integers(o0 + 1, out))
    i0, i1 = window_interval(o0, o1, k, s, d, pad, size)
    # brute force: every input row some output row in [o0, o1) reads, inside the tensor
    rows = {o * s - pad + j * d for o in range(o0, o1) for j in range(k)}
    inside = sorted(r for r in rows if 0 <= r < size)
    if not inside:        # the window reads only padding (possible with dilation on tiny inputs)
        assert i1 <= i0
        return
    # the smallest range holding every row read: with dilation gaps, rows in between may go unread
    assert (i0, i1) == (inside[0], inside[-1] + 1)


def test_bands_agree_with_2d_back_propagation(shared_models):
    g = load(shared_models / "pretrainedResnet_quant.tflite")     # has residual ADDs
    (split, out), = [c for c in stage_candidates(g) if c[0] == 4]
    s = make_schedule(g, split, out, even_split(32, 3), even_split(32, 2))
    produced = {t for op in g.ops[:split] for t in op.outputs}
    for k in range(s.tiles):
        regions = s.regions(k)
        need = {out: regions[out]}
        for op in reversed(g.ops[:split]):
            for t, r in input_regions(g, op, need[op.outputs[0]]).items():
                if t in produced:
                    need[t] = r.union(need.get(t))
        assert need == regions


def test_tiles_partition_the_stage_output(shared_models):
    g = load(shared_models / "vww_96_int8.tflite")
    split, out = stage_candidates(g)[3]
    h, w = g.tensors[out].shape[1:3]
    s = make_schedule(g, split, out, even_split(h, 3), even_split(w, 4))
    covered = np.zeros((h, w), dtype=int)
    for r in range(3):
        for c in range(4):
            covered[s.rows[r]:s.rows[r + 1], s.cols[c]:s.cols[c + 1]] += 1
            reg = s.regions(r * 4 + c)[out]
            assert reg.contains(Region(s.rows[r], s.rows[r + 1], s.cols[c], s.cols[c + 1]))
    assert (covered == 1).all()


@settings(max_examples=400, deadline=None)
@given(size=st.integers(1, 40), k=st.integers(1, 5), s=st.integers(1, 3), d=st.integers(1, 3),
       before=st.integers(0, 7), after=st.integers(0, 7), data=st.data())
def test_window_interval_with_explicit_padding(size, k, s, d, before, after, data):
    """Folded PADs give any four-sided padding, also more than the window (outputs reading padding only,
    e.g. a 1x1 stride-2 conv after a PAD of 1): still the exact receptive field."""
    eff = (k - 1) * d + 1
    if size + before + after < eff:
        return
    out = (size + before + after - eff) // s + 1
    o0 = data.draw(st.integers(0, out - 1))
    o1 = data.draw(st.integers(o0 + 1, out))
    i0, i1 = window_interval(o0, o1, k, s, d, before, size)
    inside = sorted({o * s - before + j * d for o in range(o0, o1) for j in range(k)} & set(range(size)))
    assert (i0, i1) == ((inside[0], inside[-1] + 1) if inside else (0, 0))


# ---- memory accounting ---------------------------------------------------------------------------

def test_patch_plan_is_sound_and_macs_add_up(shared_models):
    g = load(shared_models / "vww_96_int8.tflite")
    r = search(g, io_in_arena=False)
    assert r.chosen, "vww must gain from patches"
    c = compile_graph(g, Options(io_in_arena=False, patch=r.chosen))
    assert check_plan(c.plan) == []
    assert c.plan.arena_bytes == r.chosen_candidate.peak < r.layer_by_layer_peak
    assert patch_macs(g, r.chosen) == r.chosen_candidate.macs
    assert r.layer_by_layer_macs < r.chosen_candidate.macs <= 1.10 * r.layer_by_layer_macs
    # every tensor inside a stage is tile-sized, never larger than the whole tensor
    bufs = {b.id: b for b in patch_buffers(g, r.chosen, io_in_arena=False)}
    for s in r.chosen:
        for t in s.stage_tensors() - {s.stage_output}:
            assert bufs[t].size <= g.tensors[t].nbytes + 3


def test_sram_limit_picks_least_macs_that_fit_or_says_by_how_much(shared_models):
    g = load(shared_models / "vww_96_int8.tflite")
    loose = search(g, sram_limit=10**9)
    assert loose.chosen == () and loose.chosen_candidate.macs == loose.layer_by_layer_macs
    tight = search(g, sram_limit=30000, io_in_arena=False)
    assert tight.chosen_candidate.peak <= 30000
    with pytest.raises(McuCompileError, match=r"no schedule fits in 1,000 B.*B over"):
        search(g, sram_limit=1000)


# ---- bit-exactness ---------------------------------------------------------------------------------

def _check(path, stages, io_in_arena=True, samples=3):
    g = load(path)
    x = random_inputs(g, samples, seed=11)
    patched = simulate(path, inputs=x, options=Options(io_in_arena=io_in_arena, patch=tuple(stages)),
                       references=("tflm",))
    assert patched.comparisons[0].available, patched.comparisons[0].error
    assert patched.comparisons[0].mismatches == 0, patched.comparisons[0]
    assert patched.ok and patched.touched_extent <= patched.arena_bytes
    return patched


@pytest.mark.slow
@pytest.mark.parametrize("name,io_in_arena", [("vww_96_int8.tflite", False), ("person_detect.tflite", True),
                                              ("pretrainedResnet_quant.tflite", True),
                                              ("kws_ref_model.tflite", False)])
def test_auto_patch_bit_exact_on_shared_models(shared_models, name, io_in_arena):
    path = shared_models / name
    g = load(path)
    r = search(g, io_in_arena=io_in_arena)
    res = _check(path, r.chosen, io_in_arena)
    assert res.arena_bytes == r.chosen_candidate.peak
    # patch execution equals layer-by-layer execution too
    lbl = simulate(path, inputs=random_inputs(g, 3, seed=11), options=Options(io_in_arena=io_in_arena),
                   references=())
    for a, b in zip(res.outputs, lbl.outputs):
        assert np.array_equal(a, b)


@pytest.mark.slow
@pytest.mark.parametrize("grid", [(1, 2), (3, 2), (5, 7), (8, 8)])
def test_forced_grids_bit_exact(shared_models, grid):
    path = shared_models / "pretrainedResnet_quant.tflite"   # 3x3 convs and a residual ADD in the stage
    g = load(path)
    split, out = [c for c in stage_candidates(g) if c[0] == 4][0]
    h, w = g.tensors[out].shape[1:3]
    s = make_schedule(g, split, out, even_split(h, grid[0]), even_split(w, grid[1]))
    _check(path, [s])


def _synthetic(tmp_path_factory, name, build, shape):
    tf = need_module("tensorflow")
    from tfgen import int8_tflite, uniform_samples
    tf.keras.utils.set_random_seed(0)
    data = int8_tflite(build(), uniform_samples([(1, *shape)], [(-1, 1)], 16))
    path = tmp_path_factory.mktemp("patch") / f"{name}.tflite"
    path.write_bytes(data)
    return path


def _odd_net():
    import keras
    from keras import layers
    inp = keras.Input(shape=(37, 29, 3), batch_size=1)
    x = layers.Conv2D(8, 3, strides=3, padding="same", activation="relu")(inp)          # stride 3, odd sizes
    x = layers.DepthwiseConv2D(3, dilation_rate=2, padding="same", activation="relu")(x)  # dilation
    y = layers.Conv2D(8, 1, padding="valid")(x)
    x = layers.Add()([x, y])                                                               # residual
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    x = layers.Conv2D(12, (5, 3), strides=(2, 1), padding="valid", activation="relu")(x)
    x = layers.AveragePooling2D(2, strides=1, padding="valid")(x)
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(4)(x))


def _inverted_residual_net():
    import keras
    from keras import layers
    inp = keras.Input(shape=(45, 51, 3), batch_size=1)
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu6")(inp)
    x = layers.Multiply()([x, layers.Conv2D(8, 3, padding="same")(x)])     # an elementwise MUL branch
    x = layers.Subtract()([x, layers.Conv2D(8, 1)(x)])                      # and a SUB
    for cout, k, s in ((8, 5, 1), (12, 3, 2), (12, 7, 1), (16, 3, 2)):
        h = layers.Conv2D(x.shape[-1] * 3, 1, activation="relu6")(x)
        h = layers.DepthwiseConv2D(k, strides=s, padding="same", activation="relu6")(h)
        h = layers.Conv2D(cout, 1)(h)
        x = layers.Add()([x, h]) if s == 1 and cout == x.shape[-1] else h
    x = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inp, layers.Dense(5)(x))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    return {"odd": _synthetic(tmp_path_factory, "odd", _odd_net, (37, 29, 3)),
            "inverted_residual": _synthetic(tmp_path_factory, "inverted_residual", _inverted_residual_net, (45, 51, 3))}


@pytest.mark.slow
@pytest.mark.parametrize("net", ["odd", "inverted_residual"])
@pytest.mark.parametrize("io_in_arena", [True, False])
def test_synthetic_nets_auto_patch_bit_exact(synthetic, net, io_in_arena):
    path = synthetic[net]
    g = load(path)
    r = search(g, max_overhead=0.5, io_in_arena=io_in_arena)
    stages = r.chosen
    if not stages:
        # nothing beat layer by layer: then a plain 2x2 split of the first stage must not beat it either
        split, out = stage_candidates(g)[0]
        h, w = g.tensors[out].shape[1:3]
        stages = (make_schedule(g, split, out, even_split(h, 2), even_split(w, 2)),)
        c = compile_graph(g, Options(io_in_arena=io_in_arena, patch=stages))
        assert c.plan.arena_bytes >= r.layer_by_layer_peak or patch_macs(g, stages) > 1.5 * r.layer_by_layer_macs
    _check(path, stages, io_in_arena)


@pytest.mark.slow
@pytest.mark.parametrize("net", ["odd", "inverted_residual"])
def test_synthetic_nets_every_stage_and_uneven_grid_bit_exact(synthetic, net):
    path = synthetic[net]
    g = load(path)
    cands = stage_candidates(g)
    assert cands
    split, out = cands[-1]                     # the deepest stage: the most halo to get right
    h, w = g.tensors[out].shape[1:3]
    rows = (0, 1, h) if h > 1 else (0, h)      # an uneven grid: a one-row band then the rest
    cols = even_split(w, min(w, 3))
    _check(path, [make_schedule(g, split, out, rows, cols)])


def test_cli_analyze_patch_json(shared_models):
    r = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(shared_models / "vww_96_int8.tflite"),
                        "--patch", "auto", "--io-outside", "--json"], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["layer_by_layer_peak_bytes"] > d["peak_sram_bytes"]
    assert d["layer_by_layer_macs"] < d["macs"] <= 1.1 * d["layer_by_layer_macs"]
    p = d["patch"]
    assert p["split"] > 0 and len(p["grid"]) == 2 and 0 < p["mac_overhead"] <= 0.1
    assert p["input"].startswith("caller")
    assert d["explored"] and all({"peak_bytes", "macs"} <= set(e) for e in d["explored"])


# ---- in-place depthwise ---------------------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.parametrize("net", ["odd", "inverted_residual"])
@pytest.mark.parametrize("patch_mode", ["none", "auto"])
def test_inplace_depthwise_bit_exact_and_never_larger(synthetic, net, patch_mode):
    from mcucompile.passes.inplace import inplace_depthwise
    path = synthetic[net]
    g = load(path)
    assert inplace_depthwise(g), "these nets have depthwise convolutions that can run in place"
    plain = compile_graph(g, Options(patch_mode=patch_mode)).plan.arena_bytes
    opts = Options(patch_mode=patch_mode, inplace=True)
    c = compile_graph(g, opts)
    assert check_plan(c.plan) == []
    assert c.plan.arena_bytes <= plain
    if patch_mode == "none" and net == "inverted_residual":
        assert c.plan.arena_bytes < plain      # its peak is at a depthwise step
    assert any(call.func == "mcu_depthwise_conv2d_inplace_s8" for call in c.calls) or patch_mode == "auto"
    r = simulate(path, samples=3, options=opts, references=("tflm",))
    assert r.comparisons[0].available and r.comparisons[0].mismatches == 0 and r.ok


def test_inplace_depthwise_rules(shared_models):
    from mcucompile.passes.inplace import inplace_depthwise
    g = load(shared_models / "vww_96_int8.tflite")
    ops = inplace_depthwise(g)
    assert ops and all(g.ops[k].kind == "DEPTHWISE_CONV_2D" for k in ops)
    # the input of an in-place op is read by nobody after it
    for k in ops:
        t = g.ops[k].inputs[0]
        assert not any(t in op.inputs for op in g.ops[k + 1:]) and t not in g.outputs
    # depth multiplier > 1 (micro_speech: 1 -> 8 channels) never runs in place
    h = load(shared_models / "micro_speech_quantized.tflite")
    assert not inplace_depthwise(h)
