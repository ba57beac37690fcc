"""EfficientViT-style segmentation with ReLU linear attention, end to end: build, train on synthetic
scenes, convert to int8, compile, run on the host and on an emulated Cortex-M7 (QEMU), compare.

    .venv/bin/python examples/efficientvit/run.py [--size 128] [--width 8] [--epochs 12] [--samples 4] [--quick]

The attention block (ReLU linear attention, as in EfficientViT):
    q, k, v = 1x1 projections of the 16x16 token map;  q, k = relu(q), relu(k)
    kv  = k^T v            (BATCH_MATMUL on [tokens, channels] after a RESHAPE; the converter folds the
                            transpose into it, so no TRANSPOSE op remains)
    out = (q kv) / (q . sum_tokens(k) + eps)            (BATCH_MATMUL, SUM, MUL, ADD, DIV)
Its cost is linear in the number of tokens. The synthetic data, the training / conversion /
simulation pipeline and the report come from examples/attendseg/run.py.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "attendseg_run", Path(__file__).resolve().parent.parent / "attendseg" / "run.py")
pipeline = importlib.util.module_from_spec(_spec)     # examples/attendseg/run.py: data, pipeline, report
_spec.loader.exec_module(pipeline)


def relu_linear_attention(x, dim: int, eps: float = 1e-2):
    """Single-scale ReLU linear attention over the tokens of x [1, H, W, C], with a residual."""
    from keras import layers, ops
    h, w, c = x.shape[1], x.shape[2], x.shape[3]
    n = h * w
    q = layers.Conv2D(dim, 1, activation="relu", name="q")(x)
    k = layers.Conv2D(dim, 1, activation="relu", name="k")(x)
    v = layers.Conv2D(dim, 1, name="v")(x)
    q = layers.Reshape((n, dim))(q)
    k = layers.Reshape((n, dim))(k)
    v = layers.Reshape((n, dim))(v)

    class LinearAttention(layers.Layer):
        def call(self, q, k, v):
            kv = ops.matmul(ops.transpose(k, (0, 2, 1)), v)             # [1, dim, dim]
            num = ops.matmul(q, kv)                                    # [1, n, dim]
            ksum = ops.sum(k, axis=1, keepdims=True)                   # [1, 1, dim]
            den = ops.sum(q * ksum, axis=-1, keepdims=True) + eps      # [1, n, 1]
            return num / den

    a = LinearAttention(name="relu_linear_attention")(q, k, v)
    a = layers.Reshape((h, w, dim))(a)
    a = layers.Conv2D(c, 1, name="proj")(a)
    a = layers.BatchNormalization()(a)
    return layers.Add()([x, a])


def build_model(size: int, width: int, classes: int = len(pipeline.CLASSES)):
    """Strided stem to /8 (16x16 tokens at 128x128), one linear-attention block plus a depthwise
    convolution (local mixing), and a bilinear segmentation head with per-pixel class logits."""
    import keras
    from keras import layers
    inp = keras.Input((size, size, 3), batch_size=1)
    x = pipeline.conv_bn_relu(inp, width, strides=2)                 # /2
    x = layers.DepthwiseConv2D(3, strides=2, padding="same", use_bias=False)(x)   # /4
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = pipeline.conv_bn_relu(x, 2 * width, kernel=1)
    skip = x
    x = pipeline.conv_bn_relu(x, 4 * width, strides=2)               # /8: the tokens
    x = relu_linear_attention(x, dim=2 * width)
    x = layers.DepthwiseConv2D(3, padding="same", activation="relu")(x)
    x = pipeline.conv_bn_relu(x, 2 * width, kernel=1)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)           # /4
    x = layers.Add()([x, skip])
    x = layers.Conv2D(classes, 1)(x)
    x = layers.UpSampling2D(4, interpolation="bilinear", name="logits")(x)   # /1
    return keras.Model(inp, x, name="efficientvit")


def main(argv=None) -> int:
    args = pipeline.parse_args("EfficientViT-style segmentation (ReLU linear attention): train, int8, compile, "
                               "run on the host and on QEMU.", size=128, width=8, epochs=12, train=400, argv=argv)
    return pipeline.run(build_model, args, "efficientvit")


if __name__ == "__main__":
    sys.exit(main())
