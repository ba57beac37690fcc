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


def need_module(name: str):
    """The Python module `name` (what `make setup` installs), failing (not skipping) the test without it."""
    import importlib
    try:
        return importlib.import_module(name)
    except ImportError as e:
        pytest.fail(f"{name} is missing ({e}): `make setup` installs it")


@pytest.fixture(scope="module")
def qemu_toolchain():
    """The cross compiler, QEMU, the host compiler and make (for tests that build and run firmware)."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")


@pytest.fixture(scope="session")
def torch_model(tmp_path_factory):
    """torch_model("pad_zoo") -> the path of tests/torch_style.py's model of that name (built once per
    session with TensorFlow; mobilenet_v2 at 64x64, width 0.35, 10 classes)."""
    import torch_style
    built: dict = {}
    builders = {"pad_zoo": torch_style.pad_zoo, "activation_zoo": torch_style.activation_zoo,
                "decoder_zoo": torch_style.decoder_zoo, "broadcast_zoo": torch_style.broadcast_zoo,
                "slice_zoo": torch_style.slice_zoo,
                "mobilenet_v2": lambda: torch_style.mobilenet_v2(size=64, width=0.35, classes=10)}

    def get(name: str) -> Path:
        if name not in built:
            path = tmp_path_factory.mktemp("torch_style") / f"{name}.tflite"
            path.write_bytes(builders[name]())
            built[name] = path
        return built[name]

    return get


def _torch_model_fixture(name: str):
    @pytest.fixture
    def model(torch_model):
        return torch_model(name)
    model.__doc__ = f"tests/torch_style.py's {name} (a .tflite path)"
    return model


pad_zoo = _torch_model_fixture("pad_zoo")
activation_zoo = _torch_model_fixture("activation_zoo")
decoder_zoo = _torch_model_fixture("decoder_zoo")
broadcast_zoo = _torch_model_fixture("broadcast_zoo")
slice_zoo = _torch_model_fixture("slice_zoo")
mobilenet_v2_torch = _torch_model_fixture("mobilenet_v2")
