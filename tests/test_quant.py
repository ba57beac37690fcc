"""The requantisation arithmetic: Python compile-time helpers, their numpy twins, and the C inline
functions of firmware/mcu_nn.h agree exactly (C compiled and run on the host)."""

import math
import subprocess

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from mcucompile import FIRMWARE_DIR
from mcucompile.ir.quant import (
    multiply_by_quantized_multiplier,
    quantize_multiplier,
    round_half_away,
    rounding_divide_by_pot,
    saturating_rounding_doubling_high_mul,
)


def test_round_half_away_from_zero():
    assert [round_half_away(x) for x in (0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999)] == [1, 2, 3, -1, -2, -3, 2]


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=1e-9, max_value=1e4, allow_nan=False))
def test_quantize_multiplier_represents_the_value(m):
    q, shift = quantize_multiplier(m)
    if q == 0:
        assert m < 2.0 ** -31
        return
    assert (1 << 30) <= q < (1 << 31)
    assert math.isclose(q * 2.0 ** (shift - 31), m, rel_tol=2.0 ** -30)


def test_quantize_multiplier_rounds_up_to_next_power():
    # a mantissa that rounds to 2^31 moves to the next exponent
    q, shift = quantize_multiplier(1.0 - 2.0 ** -40)
    assert (q, shift) == (1 << 30, 1)


C_PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include "mcu_nn.h"
int main(void) {
    long x, m, s;
    while (scanf("%ld %ld %ld", &x, &m, &s) == 3) {
        printf("%ld %ld %ld\n", (long)mcu_requant((int32_t)x, (int32_t)m, (int32_t)s),
               (long)mcu_srdhm((int32_t)x, (int32_t)m), (long)mcu_rdbpot((int32_t)x, (int32_t)(s < 0 ? -s : 0)));
    }
    return 0;
}
"""


def test_c_requant_matches_numpy_twin(tmp_path):
    rng = np.random.default_rng(0)
    n = 20000
    x = rng.integers(-(1 << 24), 1 << 24, size=n)
    x[:6] = [0, -1, 1, -(1 << 31), (1 << 31) - 1, 12345]
    m = rng.integers(1 << 30, (1 << 31) - 1, size=n)
    m[3] = -(1 << 31)       # the saturating corner of srdhm, with x = INT32_MIN
    s = rng.integers(-31, 1, size=n)
    s[3] = 0
    src = tmp_path / "t.c"
    src.write_text(C_PROGRAM)
    exe = tmp_path / "t"
    subprocess.run(["gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", f"-I{FIRMWARE_DIR}", str(src),
                    "-o", str(exe)], check=True)
    inp = "\n".join(f"{a} {b} {c}" for a, b, c in zip(x, m, s))
    out = subprocess.run([str(exe)], input=inp, capture_output=True, text=True, check=True).stdout
    got = np.array([list(map(int, line.split())) for line in out.splitlines()])
    safe = np.abs(x) < (1 << 24)   # mcu_requant's left shift is 0 here, so every x is in range
    assert np.array_equal(got[:, 1], saturating_rounding_doubling_high_mul(x, m))
    assert np.array_equal(got[:, 2], rounding_divide_by_pot(x, np.where(s < 0, -s, 0)))
    assert np.array_equal(got[safe, 0], multiply_by_quantized_multiplier(x, m, s)[safe])
