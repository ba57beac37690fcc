"""Benchmark networks that ../shared does not have, built and converted here (random weights and random
calibration: the figures are about memory and compute, not accuracy). Cached under build/bench_models/.

    python bench/make_models.py            # builds what is missing, prints the paths
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "bench_models"


def _convert(model, shape, n=16, seed=0) -> bytes:
    from mcucompile.frontend.tf_int8 import keras_int8
    rng = np.random.default_rng(seed)

    def representative():
        for _ in range(n):
            yield [rng.uniform(-1, 1, size=(1, *shape)).astype(np.float32)]

    return keras_int8(model, representative)


def mobilenet_v2(alpha=0.35, size=144):
    import keras
    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(size, size, 3), batch_size=1)
    return keras.applications.MobileNetV2(input_tensor=inp, alpha=alpha, weights=None, classes=1000,
                                          classifier_activation=None)


def mcunet_like(size=176):
    """An MCUNet-style inverted-residual net: mixed kernel sizes (3/5/7), expansion 3-6, strided stages."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(0)

    def block(x, cin, cout, k, stride, expand):
        h = x
        if expand != 1:
            h = layers.Conv2D(cin * expand, 1, use_bias=False)(h)
            h = layers.BatchNormalization()(h)
            h = layers.ReLU(6.0)(h)
        h = layers.DepthwiseConv2D(k, strides=stride, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        h = layers.ReLU(6.0)(h)
        h = layers.Conv2D(cout, 1, use_bias=False)(h)
        h = layers.BatchNormalization()(h)
        if stride == 1 and cin == cout:
            h = layers.Add()([x, h])
        return h

    inp = keras.Input(shape=(size, size, 3), batch_size=1)
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(inp)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(6.0)(x)
    spec = [  # cout, k, stride, expand, repeats
        (8, 3, 1, 1, 1), (16, 7, 2, 4, 2), (24, 3, 2, 4, 3), (40, 5, 2, 5, 3), (48, 5, 1, 5, 2),
        (96, 5, 2, 6, 3), (160, 3, 1, 6, 1)]
    cin = 16
    for cout, k, s, e, r in spec:
        for i in range(r):
            x = block(x, cin, cout, k, s if i == 0 else 1, e)
            cin = cout
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(1000)(x)
    return keras.Model(inp, x)


def torch_mobilenet_v2(size=224, width=1.0) -> bytes:
    """MobileNetV2 laid out as a PyTorch export (tests/torch_style.py: NCHW input through a TRANSPOSE,
    an explicit PAD before every stride-2 conv), int8 with random calibration."""
    sys.path.insert(0, str(ROOT / "tests"))
    import torch_style
    return torch_style.mobilenet_v2(size=size, width=width, classes=1000, samples=4)


def example(name: str, size: int, width: int) -> bytes:
    """examples/<name>/run.py's network (attendseg, efficientvit) at its default size, untrained (memory and
    compute do not depend on the weights), int8 calibrated on 32 of the example's synthetic scenes."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / name / "run.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    pipeline = getattr(mod, "pipeline", mod)
    import keras
    keras.utils.set_random_seed(0)
    calib, _ = pipeline.make_scenes(32, size, seed=1)
    return pipeline.to_int8_tflite(mod.build_model(size, width), calib)


def str_ww_twin() -> bytes:
    """The MLPerf Tiny streaming wake-word twin (tests/wakeword_twin.py: the one builder, shared with
    tests/test_wakeword.py)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import wakeword_twin
    return wakeword_twin.str_ww_twin()


MODELS = {   # name -> the .tflite bytes
    "mobilenetv2_035_144": lambda: _convert(mobilenet_v2(0.35, 144), (144, 144, 3)),
    "mcunet_like_176": lambda: _convert(mcunet_like(176), (176, 176, 3)),
    "mobilenetv2_torch_224": lambda: torch_mobilenet_v2(224, 1.0),
    "attendseg_64": lambda: example("attendseg", 64, 8),
    "efficientvit_128": lambda: example("efficientvit", 128, 8),
    "str_ww_twin": str_ww_twin,
}


def get(name: str) -> Path:
    path = OUT / f"{name}.tflite"
    if not path.exists():
        import contextlib
        OUT.mkdir(parents=True, exist_ok=True)
        with contextlib.redirect_stdout(sys.stderr):      # the exporters list what they captured
            data = MODELS[name]()
        from mcucompile.cache import write_bytes_atomic
        write_bytes_atomic(path, data)     # two runs at once (parallel tests, benches) never read half a file
    return path


if __name__ == "__main__":
    for name in (sys.argv[1:] or MODELS):
        print(get(name))
