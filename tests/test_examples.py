"""The examples of examples/attendseg and examples/efficientvit, run end to end at their smallest settings
(--quick: 32x32 input, 1 epoch, 2 samples on QEMU). Each script trains a Keras model, converts it to int8,
compiles it, runs it on the host and on qemu-m7 and exits non-zero unless every output byte equals
TFLite Micro's and the on-device logits equal the host's."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.parametrize("example", ["attendseg", "efficientvit"])
def test_example_runs_bit_exact(example, tmp_path):
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: `make setup` installs it (as root)")
    out = tmp_path / f"{example}.tflite"
    p = subprocess.run([sys.executable, str(ROOT / "examples" / example / "run.py"), "--quick", "--out", str(out)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    log = p.stdout + p.stderr[-3000:]
    assert p.returncode == 0, log
    # the host run and the board run both agree byte for byte with TFLite Micro
    assert re.search(r"^host, 8 images: bit-exact with TFLite Micro \(tflm: 0 mismatching bytes", p.stdout, re.M), log
    assert re.search(r"^qemu-m7, 2 images: bit-exact with TFLite Micro \(tflm: 0 mismatching bytes\)",
                     p.stdout, re.M), log
    assert "on-device logits equal the host's" in p.stdout, log
    # patch by patch with the I/O outside the arena: bit-exact, the same logits (so the same mIoU)
    assert re.search(r"^host with --patch auto --io-outside, 8 images: bit-exact with TFLite Micro; arena [0-9,]+ B; "
                     r"logits equal the layer-by-layer run's", p.stdout, re.M), log
    assert re.search(r"^OK$", p.stdout, re.M), log
    # the printed figures are the compiler's, for the model the script saved
    from mcucompile import api
    a = api.analyze(out)
    assert f"flash (weights) {a.flash_weights_bytes:,} B" in p.stdout, log
    assert f"peak SRAM layer by layer {a.peak_sram_bytes:,} B" in p.stdout, log
    kinds = {layer.kind for layer in a.layers}
    if example == "attendseg":
        assert {"AVERAGE_POOL_2D", "LOGISTIC", "MUL", "RESIZE_BILINEAR", "CONCATENATION"} <= kinds
    else:
        assert {"BATCH_MATMUL", "SUM", "DIV", "RESHAPE", "RESIZE_BILINEAR"} <= kinds


def test_quick_flag_and_size_check():
    """--quick shrinks every setting; a size the encoder cannot halve three times (and its attention once more)
    is refused with a usage error before any training."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("attendseg_run", ROOT / "examples" / "attendseg" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    a = mod.parse_args("x", size=64, width=8, epochs=10, train=600, argv=["--quick"])
    assert (a.size, a.width, a.epochs, a.samples) == (32, 4, 1, 2)
    with pytest.raises(SystemExit) as e:
        mod.parse_args("x", size=64, width=8, epochs=10, train=600, argv=["--size", "40"])
    assert e.value.code == 2


def test_miou_against_hand_computed_values():
    import importlib.util

    import numpy as np
    spec = importlib.util.spec_from_file_location("attendseg_run", ROOT / "examples" / "attendseg" / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    truth = np.array([[0, 0, 1, 1], [0, 0, 2, 2]])
    assert mod.miou(truth, truth, 4) == 1.0
    pred = np.array([[0, 0, 1, 0], [0, 0, 2, 2]])
    # class 0: 4/5, class 1: 1/2, class 2: 2/2; class 3 absent from both
    assert abs(mod.miou(pred, truth, 4) - (0.8 + 0.5 + 1.0) / 3) < 1e-12
    imgs, labels = mod.make_scenes(3, 32, seed=0)
    assert imgs.shape == (3, 32, 32, 3) and labels.shape == (3, 32, 32)
    assert 0.0 <= imgs.min() and imgs.max() <= 1.0 and set(np.unique(labels)) <= {0, 1, 2, 3}
    assert (labels > 0).any() and (labels == 0).any()
