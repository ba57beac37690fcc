"""The seven int8 models of ../shared/models: generated C (ASan+UBSan) bit-exact against TFLite Micro
on 20 random inputs each, and against LiteRT's reference kernels where LiteRT runs the model and does
not round differently (each known difference is asserted here and explained in
tests/test_reference_discrepancies.py)."""

import pytest
from conftest import INT8_MODELS

from mcucompile.api import KNOWN_LITERT_DIFFERENCES, load, simulate


@pytest.mark.slow
@pytest.mark.parametrize("name", INT8_MODELS)
def test_bit_exact_against_tflite_micro(shared_models, name):
    path = shared_models / name
    r = simulate(path, samples=20, seed=7)
    tflm, litert = r.comparisons
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, (f"{tflm.mismatches} mismatches vs TFLM, max |diff| {tflm.max_abs_diff}, "
                                  f"first {tflm.first_index}")
    # memory: nothing outside the plan, nothing read before written
    assert r.guard_violations == 0
    assert r.nondeterministic == 0
    assert 0 < r.touched_extent <= r.arena_bytes
    # the second opinion
    kinds = {op.kind for op in load(path).ops}
    if name == "person_detect.tflite":
        # LiteRT refuses this model's quantisation parameters while TFLite Micro runs it
        assert not litert.available and "quantized_dimension" in litert.error
    elif kinds & set(KNOWN_LITERT_DIFFERENCES):
        assert litert.available
    else:
        assert litert.available and litert.mismatches == 0, litert
    assert r.ok
