import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_MODELS = ROOT.parent / "shared" / "models"
sys.path.insert(0, str(Path(__file__).resolve().parent))

INT8_MODELS = ["hello_world_int8.tflite", "ad01_int8.tflite", "micro_speech_quantized.tflite",
               "kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "vww_96_int8.tflite",
               "person_detect.tflite"]


@pytest.fixture(scope="session")
def shared_models() -> Path:
    if not SHARED_MODELS.is_dir():
        pytest.fail(f"{SHARED_MODELS} is missing: the tests need ../shared/models beside the repository")
    return SHARED_MODELS


def need_tools(*names: str) -> None:
    """Fail (not skip) the test when a tool the setup scripts install is missing: CI must have them all."""
    from mcucompile.sim.target import ToolMissingError, require_tools
    try:
        require_tools(*names)
    except ToolMissingError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def qemu_toolchain():
    """The cross compiler, QEMU, the host compiler and make (for tests that build and run firmware)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
