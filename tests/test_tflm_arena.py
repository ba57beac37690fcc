"""TFLite Micro arena measurement, checked against the real models in ../shared/models."""

from pathlib import Path

import pytest
from conftest import need_module

from mcucompile.errors import McuCompileError

need_module("tflite_micro")

from mcucompile.sim.tflm_arena import tflm_arena, tflm_min_arena, tflm_runs  # noqa: E402

MODELS = Path(__file__).resolve().parents[1].parent / "shared" / "models"
MODEL_FILES = sorted(MODELS.glob("*.tflite"))

# Models whose final head is so small that TFLite Micro's temporary planning memory does
# not fit in it: for them the smallest working arena is above the printed total.
NEEDS_MORE_THAN_TOTAL = {"hello_world_int8.tflite", "ad01_int8.tflite"}

@pytest.fixture(scope="module")
def figures():
    assert MODEL_FILES, f"no models in {MODELS}: the tests need ../shared/models beside the repository"
    return {p.name: tflm_arena(p) for p in MODEL_FILES}


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_figures_are_consistent(figures, path):
    f = figures[path.name]
    assert f["total"] >= f["head"] > 0
    assert f["total"] == f["head"] + f["tail"]


@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_total_minus_1k_is_too_small(figures, path):
    assert not tflm_runs(path, figures[path.name]["total"] - 1024)


@pytest.mark.parametrize(
    "path", [p for p in MODEL_FILES if p.name not in NEEDS_MORE_THAN_TOTAL], ids=lambda p: p.name)
def test_total_is_enough(figures, path):
    assert tflm_runs(path, figures[path.name]["total"])


@pytest.mark.slow
@pytest.mark.parametrize("path", MODEL_FILES, ids=lambda p: p.name)
def test_min_arena_is_total_or_just_above(figures, path):
    total = figures[path.name]["total"]
    smallest = tflm_min_arena(path, total)
    assert tflm_runs(path, smallest)
    if path.name in NEEDS_MORE_THAN_TOTAL:
        assert total < smallest <= total + 1024
    else:
        # Equal up to the alignment of the arena buffer the Python wrapper allocates.
        assert total - 16 < smallest <= total


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(McuCompileError, match="does not exist"):
        tflm_arena(tmp_path / "nope.tflite")


def test_corrupt_file_is_a_clear_error(tmp_path):
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(McuCompileError, match="TFLite Micro"):
        tflm_arena(bad)
