"""The Armv7E-M ADD's 4-values-a-pass row (firmware/mcu_add.c add_row4_half2): strides 1 and 1, one input's rescale
a halving (the larger scale; swapped to second when it is the first), both inputs read a word at a time, the 4
outputs stored as one word, the last n % 4 values one at a time; SSAT #8 where the activation range is all of
int8, the requantisation without its SUB where the lower bound is at least the output zero point (ReLU, ReLU6).

Single-op int8 models made with TensorFlow, compiled for qemu-m4 and compared bit-exactly with TFLite Micro; the
profile names add_row4_half2 where it applies (n >= 4). Edges: n % 4 = 0..3, fewer than 4 values (the one-value
row), the halved input first or second, ReLU / ReLU6, input zero points at both ends."""

from __future__ import annotations

import pytest
from conftest import need_module
from test_pool_add_softmax_ops import _convert, _kinds, _simulate

CASES = [  # (id, shape, float range 1, float range 2, activation, add_row4_half2 expected)
    ("n105_second_halved", (1, 5, 7, 3), (-1, 1), (-6, 6), None, True),
    ("n105_first_halved", (1, 5, 7, 3), (-6, 6), (-0.5, 0.5), None, True),
    ("n252_relu", (1, 6, 6, 7), (-2, 2), (-0.3, 0.7), "relu", True),
    ("n75_relu6_zp_ends", (1, 3, 5, 5), (0.5, 4), (-5, -1), "relu6", True),
    ("n6", (6,), (-1, 1), (-8, 8), None, True),
    ("n7_relu_zp_min", (7,), (0.5, 4), (0.1, 9), "relu", True),
    ("n3_one_value_row", (3,), (-1, 1), (-8, 8), None, False),
]


@pytest.mark.parametrize("cid,shape,r1,r2,act,fast", CASES, ids=[c[0] for c in CASES])
def test_add_rows_on_m4(tmp_path, qemu_toolchain, cid, shape, r1, r2, act, fast):
    tf = need_module("tensorflow")
    acts = {None: lambda v: v, "relu": tf.nn.relu, "relu6": tf.nn.relu6}
    fn = tf.function(lambda a, b: acts[act](a + b))
    data = _convert(fn, [shape, shape], [r1, r2])
    assert _kinds(data) == ["ADD"]
    r = _simulate(tmp_path, cid, data, samples=3, board="qemu-m4")
    assert r.mismatches == 0 and r.ok
    funcs = r.extra.get("instructions_by_function", {})
    assert ("add_row4_half2" in funcs) == fast, sorted(funcs)
