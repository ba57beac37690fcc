"""Single-op test models and their bit-exact runs, shared by the kernel tests: a directory of .tflite files
built once per module (models_dir), a simulation checked against TFLite Micro (simulate_tflm; run_single_op:
of a one-op model, and the kernel it must run), a Keras depthwise conv quantised to int8 (dw_model), and the
kernel cases of tests/test_fast_kernels.py and the tests beside it (Case: one conv, depthwise conv or dense
layer, made by make_model, a directory of them by case_models, run and checked to be that one op by
run_case)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from conftest import need_module
from tfgen import int8_tflite, uniform_samples


def models_dir(tmp_path_factory, name: str, make: Callable[..., bytes], cases: Iterable[tuple]) -> Path:
    """A fresh temporary directory `name` with one `<id>.tflite` per case (id, *args): make(*args) (TensorFlow
    required: the builders use it)."""
    need_module("tensorflow")
    d = tmp_path_factory.mktemp(name)
    for mid, *args in cases:
        (d / f"{mid}.tflite").write_bytes(make(*args))
    return d


def dw_model(in_shape, kernel, strides, padding, dilation, data_range, act, use_bias=True, w_scale=1.0,
             seed=0) -> bytes:
    """A single DEPTHWISE_CONV_2D (depth multiplier 1) made with Keras: its random weights times w_scale, its
    biases (with use_bias) spread over [-0.6, 0.6], quantised to int8 on 16 inputs uniform in data_range."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=in_shape, batch_size=1)
    layer = keras.layers.DepthwiseConv2D(kernel, strides=strides, padding=padding, dilation_rate=dilation,
                                         activation=act, use_bias=use_bias)
    model = keras.Model(inp, layer(inp))
    w = layer.get_weights()
    w[0] = w[0] * w_scale
    if use_bias:
        w[1] = np.linspace(-0.6, 0.6, in_shape[-1]).astype(np.float32)
    layer.set_weights(w)
    return int8_tflite(model, uniform_samples([(1, *in_shape)], [data_range], 16, seed))


def simulate_tflm(path: Path, board: str | None = None, samples: int = 3, options=None):
    """api.simulate of the model at `path` on `board` (None: the host) on `samples` random inputs (seed 0) with
    `options` (None: the defaults), asserted bit-exact with TFLite Micro; the simulation's result."""
    from mcucompile import api

    r = api.simulate(str(path), samples=samples, seed=0, board=board, references=("tflm",),
                     options=api.Options() if options is None else options)
    tflm = r.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, f"{path.stem} on {board or 'the host'}: {tflm.mismatches} mismatches"
    assert r.ok
    return r


def run_single_op(path: Path, kind: str, board: str, kernel: str):
    """simulate_tflm of the model at `path` on `board`, which must be one op of `kind` and run `kernel` (its
    instruction profile); the simulation's result."""
    from mcucompile.frontend.tflite_reader import read_tflite

    assert [op.kind for op in read_tflite(path).ops] == [kind]
    r = simulate_tflm(path, board)
    funcs = r.extra["instructions_by_function"]
    assert kernel in funcs, sorted(funcs)
    return r


@dataclass(frozen=True)
class Case:
    id: str
    kind: str                      # "conv" | "dw" | "fc"
    in_shape: tuple
    kernel: object = 1
    strides: object = 1
    padding: str = "valid"
    units: int = 4                 # conv filters / dense units
    act: object = None
    data_range: tuple = field(default=(-1.0, 3.0))
    weight_scale: float = 1.0      # multiplies the initial weights (a huge value: large requant multipliers)
    depth_multiplier: int = 1      # depthwise only
    dilation: object = 1
    big_bias: float = 0.0          # conv: output channel 0's weights scaled by 1e-3 and its bias set to this
    dead: tuple = ()               # conv: these output channels' weights all zero (dead), biases DEAD_BIASES
    tiny_channel: float = 0.0      # conv: output channel 0's weights scaled by this (a right shift beyond 22)
    use_bias: bool = True          # conv / dense: with a bias


DEAD_BIASES = (0.7, -0.4, 0.0, 2.0, -3.0)          # cycled over a case's dead channels


def make_model(case: Case, seed=0) -> bytes:
    """The case's single-op model: its layer made with Keras, quantised to int8 on 16 inputs uniform in
    data_range."""
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=case.in_shape, batch_size=1)
    if case.kind == "conv":
        layer = keras.layers.Conv2D(case.units, case.kernel, strides=case.strides, padding=case.padding,
                                    activation=case.act, dilation_rate=case.dilation, use_bias=case.use_bias)
    elif case.kind == "dw":
        layer = keras.layers.DepthwiseConv2D(case.kernel, strides=case.strides, padding=case.padding,
                                             activation=case.act, depth_multiplier=case.depth_multiplier,
                                             dilation_rate=case.dilation)
    else:
        layer = keras.layers.Dense(case.units, activation=case.act)
    model = keras.Model(inp, layer(inp))
    if case.weight_scale != 1.0:
        layer.set_weights([w * case.weight_scale for w in layer.get_weights()])
    if case.tiny_channel:
        w, b = layer.get_weights()
        w[..., 0] *= case.tiny_channel
        layer.set_weights([w, b])
    if case.big_bias:
        w, b = layer.get_weights()
        w[..., 0] *= 1e-3
        b[0] = case.big_bias
        layer.set_weights([w, b])
    if case.dead:
        w, b = layer.get_weights()
        b = b + 0.1                                 # live channels: a small bias too
        for j, c in enumerate(case.dead):
            w[..., c] = 0.0
            b[c] = DEAD_BIASES[j % len(DEAD_BIASES)]
        layer.set_weights([w, b])
    rep = uniform_samples([(1, *case.in_shape)], [case.data_range], 16, seed)
    return int8_tflite(model, rep)


OP_KIND = {"conv": "CONV_2D", "dw": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED"}


def case_models(tmp_path_factory, name: str, cases: Iterable[Case]) -> Path:
    """The cases' models (make_model), one <id>.tflite each, in a fresh temporary directory `name`."""
    return models_dir(tmp_path_factory, name, make_model, [(case.id, case) for case in cases])


def run_case(path, case, board, scratch="always", wide_weights="auto"):
    """simulate_tflm of the case's model at `path` (4 samples, the given scratch and wide-weights options), which
    must be the case's one op."""
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite

    kinds = [op.kind for op in read_tflite(path).ops]
    assert kinds == [OP_KIND[case.kind]], kinds            # a single-op model: the kernel under test
    return simulate_tflm(path, board, samples=4, options=api.Options(scratch=scratch, wide_weights=wide_weights))
