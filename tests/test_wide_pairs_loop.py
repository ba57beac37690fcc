"""The pair-interleaved wide convs' group loop (firmware/mcu_conv_wide_dsp.h WIDE4I_*, mcu_conv_wide_pairs_dsp.c):
one weight word per half group for both channels of a pair (SXTB16 the first channel's, ROR #8 the second's),
8 groups per loop iteration entered by TBH (entry81 after the first group where the pairs run all in assembly:
WIDE4I_ALL, every pair of a block in one loop, their bytes merged into STRH;
entry8 where the output stage is in C: a pair with a channel past mcu_rqd's bound), the block widened without
doubling and the sums doubled before the output stage (WIDE4I_DBL; in C for the plain paths;
mcu_wide_pairs_rows sums undoubled).

Single-op int8 models made with TensorFlow (tests/single_op.py's make_model), compiled for qemu-m4 with
--wide-weights off and compared bit-exactly with TFLite Micro; the profile names the pair functions. Edges: group
counts around the 8-group iteration (1, 8, 9, 10, 17, 18, 36 groups), both entries (the pairs all in assembly;
a channel past mcu_rqd's bound: the loop alone, then mcu_wide4_out_plain on the doubled sums), ReLU / ReLU6 / no
bias, left shifts, the 1x1 conv's last 1 or 2 pixels (mcu_wide_pairs_rows), padding and
stride 2 with odd sizes, input zero points at both ends. The host runs the plain-C loop of three of them."""

from __future__ import annotations

import pytest
from conftest import need_tools
from single_op import Case, case_models, run_case

CASES = [
    # 1x1, 1 group (k4 == 4: WIDE4I_FIRST only), 13 pixels (the last one apart: mcu_wide_pairs_rows)
    Case("pl_pw_c4_tail1", "conv", (1, 13, 4), units=6),
    # 8 groups (7 after the first), 14 pixels (2 apart), ReLU
    Case("pl_pw_c32_relu_tail2", "conv", (2, 7, 32), units=4, act="relu", data_range=(-5.0, -1.0)),
    # 9 groups (8 after the first: entry81 = 0)
    Case("pl_pw_c36_full", "conv", (3, 4, 36), units=8),
    # 10 groups, ReLU6 (two iterations)
    Case("pl_pw_c40_relu6_zp_min", "conv", (2, 6, 40), units=6, act="relu6", data_range=(0.5, 4.0)),
    # 17 groups (16 after the first: two whole iterations), 18 groups without bias
    Case("pl_pw_c68_full", "conv", (2, 4, 68), units=10),
    Case("pl_pw_c72_no_bias", "conv", (3, 3, 72), units=4, use_bias=False),
    # 32 pairs in one WIDE4I_ALL loop (kws_ref_model's 1x1 convs: 64 in, 64 out), 15 pixels (the last block moved
    # back); 3 pairs with ReLU6 on 7 groups
    Case("pl_pw_c64_u64_all", "conv", (3, 5, 64), units=64),
    Case("pl_pw_c28_u6_relu6", "conv", (2, 5, 28), units=6, act="relu6"),
    # a channel past mcu_rqd's bound: the loop alone (entry8 = 4), its pair's plain requantisation on the doubled
    # sums; left shifts
    Case("pl_pw_c16_tiny_channel", "conv", (2, 4, 16), units=4, tiny_channel=1e-6),
    Case("pl_pw_c24_big_weights", "conv", (3, 3, 24), units=6, weight_scale=1e3),
    # im2col 3x3: k = 72 (18 groups), stride 2 SAME on odd sizes; k = 144 (36 groups) ReLU padded everywhere
    Case("pl_3x3_c8_s2_odd", "conv", (9, 7, 8), kernel=3, strides=2, padding="same", units=6),
    Case("pl_3x3_c16_relu_same", "conv", (5, 7, 16), kernel=3, padding="same", units=8, act="relu",
         data_range=(-5.0, -1.0)),
    # 2x2 VALID, k = 16 (4 groups), the range all of int8, zero point at the bottom
    Case("pl_2x2_c4_valid_zp_min", "conv", (6, 9, 4), kernel=2, units=2, data_range=(0.5, 4.0)),
]
HOST = ("pl_pw_c32_relu_tail2", "pl_pw_c68_full", "pl_3x3_c8_s2_odd")


@pytest.fixture(scope="module")
def loop_dir(tmp_path_factory):
    return case_models(tmp_path_factory, "wide_pairs_loop_models", CASES)


@pytest.mark.parametrize("cid", HOST)
def test_pairs_loop_on_host(loop_dir, cid):
    """The plain-C paths (sanitizers): bit-exact with TFLite Micro."""
    run_case(loop_dir / f"{cid}.tflite", next(c for c in CASES if c.id == cid), None, wide_weights="off")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_pairs_loop_on_m4(loop_dir, case):
    """qemu-m4, --wide-weights off: the pair function runs (profile), bit-exact with TFLite Micro, nothing
    outside the arena touched."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    fn = "conv_1x1_wide_pairs" if case.kernel == 1 else "conv_im2col_wide_pairs"
    r = run_case(loop_dir / f"{case.id}.tflite", case, "qemu-m4", scratch="always", wide_weights="off")
    funcs = r.extra["instructions_by_function"]
    assert fn in funcs, (case.id, sorted(funcs))
    assert r.guard_violations == 0
