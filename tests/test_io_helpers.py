"""The generated header's float <-> int8 helpers (<model>_quantize_input<i>, <model>_dequantize_output<i>)
against TFLite Micro's own QUANTIZE and DEQUANTIZE kernels with the same scale and zero point: ties,
near-ties, values far outside the range, and every int8 code."""

from __future__ import annotations

import subprocess

import numpy as np
from conftest import ROOT, need_tools
from tflite_builder import M, O, T, build

from mcucompile import api
from mcucompile.sim.reference import run_reference

EXAMPLE = ROOT / "examples" / "tiny_cnn_int8.tflite"

PROGRAM = r"""
#include <stdio.h>
#include <stdlib.h>
#include "tiny_cnn_int8.h"

int main(int argc, char **argv)
{
    int32_t n = atoi(argv[1]);
    float *x = malloc(sizeof(float) * n);
    int8_t *q = malloc(n);
    FILE *f = fopen(argv[2], "rb");
    if (fread(x, sizeof(float), n, f) != (size_t)n) return 1;
    fclose(f);
    tiny_cnn_int8_quantize_input0(x, q, n);
    f = fopen(argv[3], "wb");
    fwrite(q, 1, n, f);
    fclose(f);
    int8_t codes[256];
    float y[256];
    for (int k = 0; k < 256; ++k) codes[k] = (int8_t)(k - 128);
    tiny_cnn_int8_dequantize_output0(codes, y, 256);
    f = fopen(argv[4], "wb");
    fwrite(y, sizeof(float), 256, f);
    fclose(f);
    return 0;
}
"""


def _probe_floats(scale: float, zp: int) -> np.ndarray:
    s = np.float32(scale)
    k = np.arange(-140, 141, dtype=np.float32)
    ties = (k + np.float32(0.5)) * s                       # x / scale lands on or next to .5
    near = np.concatenate([np.nextafter(ties, np.float32(np.inf)), np.nextafter(ties, np.float32(-np.inf))])
    rng = np.random.default_rng(0)
    rand = (rng.normal(0, 80, 2000) * s).astype(np.float32)
    # far outside the range, but not beyond int32: TFLite's static_cast<int32_t> of x / scale is undefined
    # there (on x86, -1e30 / scale becomes INT_MIN, which + zero point wraps to 127); ours saturates
    far = np.array([0.0, -0.0, 3e5 * s, -3e5 * s, 1e9 * s, -1e9 * s, (127 - zp) * s, (-128 - zp) * s], np.float32)
    return np.concatenate([ties, near, rand, far]).astype(np.float32)


def test_header_helpers_match_tflite_quantize_and_dequantize(tmp_path):
    need_tools("gcc", "make")
    out = tmp_path / "proj"
    c = api.compile_model(EXAMPLE, out)
    (i0,), (o0,) = c.inputs, c.outputs
    subprocess.run(["make", "-s", "-C", str(out)], check=True, capture_output=True)
    (tmp_path / "io.c").write_text(PROGRAM)
    exe = tmp_path / "io"
    subprocess.run(["gcc", "-O1", "-I", str(out), str(tmp_path / "io.c"), str(out / "libtiny_cnn_int8.a"),
                    "-o", str(exe)], check=True, capture_output=True)
    x = _probe_floats(i0.scale, i0.zero_point)
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    subprocess.run([str(exe), str(len(x)), str(tmp_path / "x.bin"), str(tmp_path / "q.bin"), str(tmp_path / "y.bin")],
                   check=True)
    ours_q = np.frombuffer((tmp_path / "q.bin").read_bytes(), np.int8)
    ours_y = np.frombuffer((tmp_path / "y.bin").read_bytes(), np.float32)

    # TFLite Micro's QUANTIZE (float32 -> int8) and DEQUANTIZE (int8 -> float32) with the same parameters
    n = len(x)
    qm = tmp_path / "quantize.tflite"
    qm.write_bytes(build(M([T((n,), "float32", name="x"),
                            T((n,), "int8", scale=[i0.scale], zero_point=[i0.zero_point], name="q")],
                           [O("QUANTIZE", [0], [1])], [0], [1])))
    dm = tmp_path / "dequantize.tflite"
    dm.write_bytes(build(M([T((256,), "int8", scale=[o0.scale], zero_point=[o0.zero_point], name="q"),
                            T((256,), "float32", name="y")],
                           [O("DEQUANTIZE", [0], [1])], [0], [1])))
    ref_q = run_reference("tflm", qm, [x[None]], 1)
    ref_y = run_reference("tflm", dm, [np.arange(-128, 128, dtype=np.int8)[None]], 1)
    assert ref_q.outputs is not None and ref_y.outputs is not None, (ref_q.error, ref_y.error)
    assert np.array_equal(ours_q, ref_q.outputs[0].reshape(-1))
    assert np.array_equal(ours_y.view(np.uint32), ref_y.outputs[0].reshape(-1).astype(np.float32).view(np.uint32))
    # the probes reach both ends of the range and every tie rounds away from zero
    assert ours_q.min() == -128 and ours_q.max() == 127
