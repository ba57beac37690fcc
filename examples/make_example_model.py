"""Build, train and convert the example model examples/tiny_cnn_int8.tflite.

A tiny residual CNN that tells four kinds of shapes apart in 32x32 RGB images. The data
is synthetic and made here from a fixed seed, so the script needs nothing but TensorFlow
(`pip install -e .[convert]`) and gives the same kind of model every time:

    .venv/bin/python examples/make_example_model.py

The result is committed, so the demo and the tests never need TensorFlow.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

SEED = 1234
SIZE = 32
CLASSES = ("square", "disc", "cross", "ring")
ALLOWED_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "MAX_POOL_2D", "AVERAGE_POOL_2D", "ADD",
               "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"}
OUT = Path(__file__).resolve().parent / "tiny_cnn_int8.tflite"


# ---------------------------------------------------------------- synthetic data

def make_images(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n images in [0, 1], shape (n, 32, 32, 3), and their labels 0..3.

    Each image is a noisy background with one shape of random size, place and colour.
    """
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    images = np.empty((n, SIZE, SIZE, 3), np.float32)
    labels = rng.integers(0, len(CLASSES), n)
    for i, label in enumerate(labels):
        r = rng.uniform(5, 10)
        cy, cx = rng.uniform(r + 1, SIZE - r - 1, 2)
        dy, dx = yy - cy, xx - cx
        if label == 0:    # filled square
            mask = (np.abs(dy) <= r) & (np.abs(dx) <= r)
        elif label == 1:  # filled disc
            mask = dy * dy + dx * dx <= r * r
        elif label == 2:  # plus-shaped cross
            w = max(1.5, r / 3)
            mask = ((np.abs(dy) <= w) & (np.abs(dx) <= r)) | ((np.abs(dx) <= w) & (np.abs(dy) <= r))
        else:             # ring
            d = np.sqrt(dy * dy + dx * dx)
            mask = (d <= r) & (d >= r - max(1.5, r / 3))
        background = rng.uniform(0.0, 0.4, 3).astype(np.float32)
        colour = rng.uniform(0.6, 1.0, 3).astype(np.float32)
        img = np.where(mask[..., None], colour, background)
        img += rng.normal(0.0, 0.05, img.shape).astype(np.float32)
        images[i] = np.clip(img, 0.0, 1.0)
    return images, labels.astype(np.int32)


# ---------------------------------------------------------------- model

def build_model():
    import keras
    from keras import layers

    inp = keras.Input(shape=(SIZE, SIZE, 3), batch_size=1, name="image")
    x = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(inp)   # 16x16x8
    y = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    y = layers.Conv2D(8, 1, padding="same")(y)
    x = layers.Add()([x, y])                                                     # residual
    x = layers.MaxPooling2D(2)(x)                                                # 8x8x8
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)               # 8x8x16
    x = layers.AveragePooling2D(8)(x)                                            # 1x1x16
    x = layers.Flatten()(x)
    x = layers.Dense(len(CLASSES))(x)
    out = layers.Softmax()(x)
    return keras.Model(inp, out, name="tiny_cnn")


def convert(model, calib: np.ndarray) -> bytes:
    from mcucompile.frontend.tf_int8 import keras_int8

    def representative():
        for img in calib:
            yield [img[None]]

    return keras_int8(model, representative)


# ---------------------------------------------------------------- checks

def int8_interpreter(data: bytes):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    interp = Interpreter(model_content=data,
                         experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    interp.allocate_tensors()
    return interp


def int8_predictions(data: bytes, images: np.ndarray) -> np.ndarray:
    interp = int8_interpreter(data)
    inp, out = interp.get_input_details()[0], interp.get_output_details()[0]
    scale, zero = inp["quantization"]
    preds = []
    for img in images:
        q = np.clip(np.round(img / scale) + zero, -128, 127).astype(np.int8)
        interp.set_tensor(inp["index"], q[None])
        interp.invoke()
        preds.append(int(np.argmax(interp.get_tensor(out["index"])[0])))
    return np.array(preds)


def op_names(data: bytes) -> list[str]:
    return [op["op_name"] for op in int8_interpreter(data)._get_ops_details()]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help=f"output file (default {OUT})")
    ap.add_argument("--epochs", type=int, default=12)
    args = ap.parse_args()

    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(SEED)
    tf.config.experimental.enable_op_determinism()
    rng = np.random.default_rng(SEED)
    x_train, y_train = make_images(3000, rng)
    x_test, y_test = make_images(500, rng)

    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=args.epochs, verbose=2,
              validation_split=0.1)
    float_acc = float(np.mean(np.argmax(model.predict(x_test, batch_size=1, verbose=0), 1)
                              == y_test))

    data = convert(model, x_train[:200])
    ops = op_names(data)
    unexpected = sorted(set(ops) - ALLOWED_OPS)
    if unexpected:
        raise SystemExit(f"conversion produced ops outside the intended set: {unexpected}")
    int8_acc = float(np.mean(int8_predictions(data, x_test) == y_test))

    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data)} bytes)")
    print("ops:", " ".join(ops))
    print(f"accuracy on {len(y_test)} held-out images: float {float_acc:.3f}, int8 {int8_acc:.3f}")


if __name__ == "__main__":
    main()
