"""The fast conv / depthwise / fully-connected paths (firmware/mcu_conv.c, mcu_fc.c) across the edges of
their run-time selectors: single-op int8 models made with TensorFlow, compiled, and compared bit-exactly
with TFLite Micro on the host (plain-C blocking) and under QEMU on a Cortex-M4 (SXTB16/SMLAD inner loops).

Selector edges covered: 1x1 stride-1 unpadded conv (the blocked matrix multiply) with odd pixel counts, odd
output-channel counts and input channels not a multiple of 4; 1x1 conv that must not take that path
(stride 2, batch of pixels via SAME on a 1x1 kernel); 3x3 / 5x5 convs padded on every side and
asymmetrically; depthwise with channel counts leaving 1, 2 and 3 channels after the blocks of 4; fully
connected with odd output counts and depths not a multiple of 4; input zero points at both ends of the
int8 range (inputs all negative or all positive) and a huge filter scale (large multipliers)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from tfgen import int8_tflite, uniform_samples


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


CASES = [
    # 1x1 stride 1 unpadded: the 2x2 blocked matrix multiply
    Case("pw_odd_pixels_odd_channels", "conv", (3, 5, 7), units=5),
    Case("pw_zp_min", "conv", (3, 3, 13), units=6, data_range=(0.5, 4.0)),       # input zero point -128
    Case("pw_zp_max", "conv", (3, 3, 13), units=6, data_range=(-5.0, -1.0), act="relu6"),  # zero point 127
    Case("pw_big_weights", "conv", (2, 3, 9), units=3, weight_scale=1e3),
    # other convs: per-pixel rows of valid taps
    Case("pw_stride2", "conv", (5, 5, 6), strides=2, units=3),
    Case("conv3x3_same_odd", "conv", (5, 7, 5), kernel=3, padding="same", units=3, act="relu"),
    Case("conv3x1_zp_min", "conv", (6, 5, 9), kernel=(3, 1), padding="same", units=5, data_range=(0.1, 2.0)),
    # depthwise, multiplier 1: blocks of 4 channels and the 1..3 left over
    Case("dw_c7_s2", "dw", (7, 6, 7), kernel=3, strides=2, padding="same", act="relu6"),
    Case("dw_c6_zp_max", "dw", (4, 5, 6), kernel=3, padding="same", data_range=(-4.0, -0.5)),
    Case("dw_c1_5x5", "dw", (6, 6, 1), kernel=5, padding="same"),
    # fully connected: 2 rows per pass, 4 inputs per load
    Case("fc_odd", "fc", (13,), units=7),
    Case("fc_even_zp_min", "fc", (64,), units=10, data_range=(0.0, 6.0)),
]


def _make_model(case: Case, seed=0) -> bytes:
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=case.in_shape, batch_size=1)
    if case.kind == "conv":
        layer = keras.layers.Conv2D(case.units, case.kernel, strides=case.strides, padding=case.padding,
                                    activation=case.act)
    elif case.kind == "dw":
        layer = keras.layers.DepthwiseConv2D(case.kernel, strides=case.strides, padding=case.padding,
                                             activation=case.act)
    else:
        layer = keras.layers.Dense(case.units, activation=case.act)
    model = keras.Model(inp, layer(inp))
    if case.weight_scale != 1.0:
        layer.set_weights([w * case.weight_scale for w in layer.get_weights()])
    rep = uniform_samples([(1, *case.in_shape)], [case.data_range], 16, seed)
    return int8_tflite(model, rep)


OP_KIND = {"conv": "CONV_2D", "dw": "DEPTHWISE_CONV_2D", "fc": "FULLY_CONNECTED"}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    pytest.importorskip("tensorflow")
    d = tmp_path_factory.mktemp("fast_kernel_models")
    for case in CASES:
        (d / f"{case.id}.tflite").write_bytes(_make_model(case))
    return d


def _run(path, case, board):
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite

    kinds = [op.kind for op in read_tflite(path).ops]
    assert kinds == [OP_KIND[case.kind]], kinds            # a single-op model: the kernel under test
    r = api.simulate(str(path), samples=4, seed=0, board=board, references=("tflm",))
    tflm = r.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, f"{case.id} on {board or 'host'}: {tflm.mismatches} mismatches"
    assert r.ok
    return r


def test_input_zero_points_reach_both_ends(model_dir):
    """The extreme-zero-point cases really have input zero points -128 and +127 (or next to them)."""
    from mcucompile.frontend.tflite_reader import read_tflite

    for cid, lo, hi in (("pw_zp_min", -128, -127), ("pw_zp_max", 126, 127), ("fc_even_zp_min", -128, -127)):
        g = read_tflite(model_dir / f"{cid}.tflite")
        zp = int(g.tensors[g.ops[0].inputs[0]].zero_point)
        assert lo <= zp <= hi, (cid, zp)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_host_plain_path(model_dir, case):
    _run(model_dir / f"{case.id}.tflite", case, None)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_qemu_m4_dsp_path(model_dir, case):
    from mcucompile.sim.target import ToolMissingError, require_tools

    try:
        require_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    except ToolMissingError as e:
        pytest.fail(str(e))
    r = _run(model_dir / f"{case.id}.tflite", case, "qemu-m4")
    assert r.extra["instructions"] > 0
