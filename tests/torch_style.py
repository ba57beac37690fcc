"""Int8 TFLite models laid out as PyTorch exports them (built here with TensorFlow ops, random weights):
an NCHW input read through a TRANSPOSE, an explicit PAD before every padded stride-2 conv (PyTorch's
symmetric padding=1, which SAME padding cannot express) and before max pooling, convs with VALID padding.
Used by the tests and by bench/ (TensorFlow imported on call)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from tfgen import int8_tflite, uniform_samples

# MobileNetV2's inverted-residual stages: expansion t, channels c, repeats n, first stride s
MOBILENET_V2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                (6, 320, 1, 1))


class _Weights:
    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)

    def conv(self, kh, kw, cin, cout):
        import tensorflow as tf
        w = self.rng.normal(0, np.sqrt(2.0 / (kh * kw * cin)), size=(kh, kw, cin, cout)).astype(np.float32)
        b = self.rng.normal(0, 0.1, size=(cout,)).astype(np.float32)
        return tf.constant(w), tf.constant(b)

    def depthwise(self, k, c):
        import tensorflow as tf
        w = self.rng.normal(0, np.sqrt(2.0 / (k * k)), size=(k, k, c, 1)).astype(np.float32)
        b = self.rng.normal(0, 0.1, size=(c,)).astype(np.float32)
        return tf.constant(w), tf.constant(b)


def _pad(x, t, b, l, r, value=0.0):
    import tensorflow as tf
    return tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]], constant_values=value)


def _make_divisible(v: float, d: int = 8) -> int:
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


def mobilenet_v2_fn(size: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0,
                    stages=MOBILENET_V2) -> Callable:
    """torchvision's MobileNetV2 (BatchNorm folded into the convs' bias) as a function of an NCHW
    [1, 3, size, size] tensor, with PyTorch's explicit padding."""
    import tensorflow as tf
    wt = _Weights(seed)
    stem = _make_divisible(32 * width)
    last = _make_divisible(1280 * max(1.0, width))
    w0 = wt.conv(3, 3, 3, stem)
    blocks = []
    cin = stem
    for t, c, n, s in stages:
        cout = _make_divisible(c * width)
        for i in range(n):
            hidden = cin * t
            blocks.append((cin, cout, s if i == 0 else 1, t,
                           wt.conv(1, 1, cin, hidden) if t != 1 else None, wt.depthwise(3, hidden),
                           wt.conv(1, 1, hidden, cout)))
            cin = cout
    w_last = wt.conv(1, 1, cin, last)
    fc = tf.constant(wt.rng.normal(0, np.sqrt(1.0 / last), size=(last, classes)).astype(np.float32))

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu6(tf.nn.conv2d(_pad(x, 1, 1, 1, 1), w0[0], 2, "VALID") + w0[1])
        for cin_, cout_, s, _t, expand, dw, project in blocks:
            h = x
            if expand is not None:
                h = tf.nn.relu6(tf.nn.conv2d(h, expand[0], 1, "VALID") + expand[1])
            h = tf.nn.depthwise_conv2d(_pad(h, 1, 1, 1, 1), dw[0], [1, s, s, 1], "VALID") + dw[1]
            h = tf.nn.relu6(h)
            h = tf.nn.conv2d(h, project[0], 1, "VALID") + project[1]
            x = x + h if s == 1 and cin_ == cout_ else h
        x = tf.nn.relu6(tf.nn.conv2d(x, w_last[0], 1, "VALID") + w_last[1])
        x = tf.reduce_mean(x, axis=[1, 2])
        return tf.matmul(x, fc)

    return fn


def mobilenet_v2(size: int = 224, width: float = 1.0, classes: int = 1000, seed: int = 0, samples: int = 8,
                 stages=MOBILENET_V2) -> bytes:
    """The int8 .tflite bytes of mobilenet_v2_fn (int8 input and output, random calibration in [-1, 1])."""
    fn = mobilenet_v2_fn(size, width, classes, seed, stages)
    shape = (1, 3, size, size)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], samples, seed), specs=[shape])


def pad_zoo(seed: int = 0) -> bytes:
    """Every PAD the normalisation pass meets, on a 3x17x18 NCHW input: folded into a stride-2 conv
    (PyTorch's padding=1), a conv with more padding than its window (2 on each side of a 3x3), a dilated
    conv (asymmetric), a stride-2 depthwise conv (0/1, as Keras' correct_pad), a max pool behind a ReLU
    (zero-point pad) and a max pool behind a linear conv (pad value -inf, PADV2); kept: a PAD before an
    average pool (it counts the padded pixels, TFLite's implicit padding does not) and a PAD whose value
    is not the zero point before a conv."""
    import tensorflow as tf
    wt = _Weights(seed)
    c1, c2, c3, c4, c5 = wt.conv(3, 3, 3, 8), wt.conv(3, 3, 8, 8), wt.conv(3, 3, 8, 8), wt.conv(1, 1, 8, 8), \
        wt.conv(3, 3, 8, 8)
    dw = wt.depthwise(3, 8)

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu(tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c1[0], 2, "VALID") + c1[1])            # 9x9
        x = tf.nn.relu6(tf.nn.conv2d(_pad(x, 2, 2, 2, 2), c2[0], 1, "VALID") + c2[1])           # 11x11
        x = tf.nn.conv2d(_pad(x, 2, 1, 1, 2), c3[0], 1, "VALID", dilations=2) + c3[1]           # 8x8
        x = tf.nn.relu(tf.nn.depthwise_conv2d(_pad(x, 0, 1, 0, 1), dw[0], [1, 2, 2, 1], "VALID") + dw[1])
        x = tf.nn.max_pool2d(_pad(x, 1, 1, 1, 1), 3, 1, "VALID")                              # 4x4, after ReLU
        y = tf.nn.conv2d(x, c4[0], 1, "VALID") + c4[1]
        y = tf.nn.max_pool2d(_pad(y, 0, 1, 0, 1, -1e9), 2, 1, "VALID")                         # 4x4, -inf
        z = tf.nn.avg_pool2d(_pad(y, 1, 1, 1, 1), 3, 1, "VALID")                               # kept
        z = tf.nn.conv2d(_pad(z, 1, 1, 1, 1, 0.75), c5[0], 1, "VALID") + c5[1]                 # kept
        return z

    shape = (1, 3, 17, 18)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def activation_zoo(seed: int = 1) -> bytes:
    """Pointwise ops inside the memory-heavy first layers, as exports write them (separate ops, not fused):
    HARD_SWISH after the stem conv, LEAKY_RELU after a depthwise conv, a sigmoid gate (LOGISTIC, then MUL
    with the features that a 3x3 conv also reads: the MUL's input region is smaller than that tensor's
    region), TANH, then a padded stride-2 conv and a global mean. NCHW 3x48x48 input."""
    import tensorflow as tf
    wt = _Weights(seed)
    c1, c2, c3 = wt.conv(3, 3, 3, 8), wt.conv(3, 3, 8, 8), wt.conv(3, 3, 8, 16)
    dw = wt.depthwise(3, 8)

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c1[0], 2, "VALID") + c1[1]
        x = x * tf.nn.relu6(x + 3) / 6
        x = tf.nn.leaky_relu(tf.nn.depthwise_conv2d(x, dw[0], [1, 1, 1, 1], "SAME") + dw[1], 0.1)
        x = x * tf.nn.sigmoid(tf.nn.conv2d(x, c2[0], 1, "SAME") + c2[1])
        x = tf.nn.tanh(x)
        x = tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c3[0], 2, "VALID") + c3[1]
        return tf.reduce_mean(x, axis=[1, 2])

    shape = (1, 3, 48, 48)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def decoder_zoo(seed: int = 2) -> bytes:
    """Resizes and concatenations inside the first layers (segmentation-style, AttendSeg-like): an
    attention condenser (average pool, conv, bilinear x2 with half-pixel centres, sigmoid, MUL), a
    nearest-neighbour x2 upsampling read by a stride-2 conv, a channel concatenation, a bilinear resize
    to an odd size with align_corners and a bilinear downsizing. NCHW 3x32x32 input."""
    import tensorflow as tf
    wt = _Weights(seed)
    c1, c2, c3, c4, c5 = (wt.conv(3, 3, 3, 8), wt.conv(3, 3, 8, 8), wt.conv(3, 3, 8, 8), wt.conv(3, 3, 16, 8),
                          wt.conv(1, 1, 8, 4))

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu(tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c1[0], 2, "VALID") + c1[1])             # 16x16x8
        a = tf.nn.conv2d(tf.nn.avg_pool2d(x, 2, 2, "VALID"), c2[0], 1, "SAME") + c2[1]            # 8x8
        x = x * tf.nn.sigmoid(tf.image.resize(a, (16, 16), method="bilinear"))
        b = tf.image.resize(x, (32, 32), method="nearest")
        b = tf.nn.relu(tf.nn.conv2d(_pad(b, 1, 1, 1, 1), c3[0], 2, "VALID") + c3[1])             # 16x16x8
        x = tf.nn.relu(tf.nn.conv2d(tf.concat([x, b], axis=-1), c4[0], 1, "SAME") + c4[1])       # 16x16x8
        x = tf.compat.v1.image.resize_bilinear(x, (23, 21), align_corners=True)
        x = tf.nn.conv2d(x, c5[0], 1, "VALID") + c5[1]
        return tf.image.resize(x, (12, 10), method="bilinear")

    shape = (1, 3, 32, 32)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def broadcast_zoo(seed: int = 3) -> bytes:
    """ADD/SUB/MUL that broadcast, inside the first layers: a per-channel constant scale (MUL by a [C]
    constant) and offset (ADD of a [1, 1, 1, C] constant), a spatial gate (MUL by a [1, H, W, 1] map a
    1-channel conv computes), a squeeze-excitation gate (global mean, FC, sigmoid: MUL by [1, 1, 1, C]
    from before the stage) and a SUB of a [1, H, 1, C] row profile. NCHW 3x40x36 input."""
    import tensorflow as tf
    wt = _Weights(seed)
    c1, c2, c3, c4 = wt.conv(3, 3, 3, 8), wt.conv(3, 3, 8, 1), wt.conv(3, 3, 8, 8), wt.conv(1, 1, 8, 8)
    scale = tf.constant(wt.rng.uniform(0.5, 1.5, size=(8,)).astype(np.float32))
    shift = tf.constant(wt.rng.uniform(-0.5, 0.5, size=(1, 1, 1, 8)).astype(np.float32))
    fc = tf.constant(wt.rng.normal(0, 0.5, size=(8, 8)).astype(np.float32))

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu(tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c1[0], 2, "VALID") + c1[1])             # 20x18x8
        x = x * scale
        x = x + shift
        x = x * tf.nn.sigmoid(tf.nn.conv2d(x, c2[0], 1, "SAME") + c2[1])
        x = tf.nn.relu(tf.nn.conv2d(x, c3[0], 1, "SAME") + c3[1])
        se = tf.nn.sigmoid(tf.matmul(tf.reduce_mean(x, axis=[1, 2]), fc))
        x = x * tf.reshape(se, (1, 1, 1, 8))
        x = x - tf.reduce_mean(x, axis=2, keepdims=True)
        x = tf.nn.conv2d(_pad(x, 1, 1, 1, 1), c4[0], 2, "VALID") + c4[1]
        return tf.reduce_mean(x, axis=[1, 2])

    shape = (1, 3, 40, 36)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])


def slice_zoo(seed: int = 4) -> bytes:
    """STRIDED_SLICEs of the spatial axes inside the first layers (as exports write crops and Focus-style
    subsampling): every second row and column from two offsets, concatenated; a crop with an odd start
    taking every second column; every second channel. NCHW 3x36x34 input. (Slices with unit steps
    everywhere become SLICE ops, which the converter writes instead.)"""
    import tensorflow as tf
    wt = _Weights(seed)
    c1, c2, c3 = wt.conv(3, 3, 3, 8), wt.conv(3, 3, 16, 8), wt.conv(3, 3, 8, 8)

    def fn(x):
        x = tf.transpose(x, [0, 2, 3, 1])
        x = tf.nn.relu(tf.nn.conv2d(x, c1[0], 1, "SAME") + c1[1])                               # 36x34x8
        a = tf.strided_slice(x, [0, 0, 0, 0], [1, 36, 34, 8], [1, 2, 2, 1])                     # 18x17x8
        b = tf.strided_slice(x, [0, 1, 1, 0], [1, 36, 34, 8], [1, 2, 2, 1])                     # 18x17x8
        x = tf.nn.relu(tf.nn.conv2d(tf.concat([a, b], axis=-1), c2[0], 1, "SAME") + c2[1])     # 18x17x8
        x = tf.strided_slice(x, [0, 3, 2, 0], [1, 17, 16, 8], [1, 1, 2, 1])                     # 14x7x8
        x = tf.nn.conv2d(x, c3[0], 1, "VALID") + c3[1]                                        # 12x5x8
        x = tf.strided_slice(x, [0, 0, 0, 1], [1, 12, 5, 7], [1, 1, 1, 2])                      # channels 1, 3, 5
        return tf.reduce_mean(x, axis=[1, 2])

    shape = (1, 3, 36, 34)
    return int8_tflite(fn, uniform_samples([shape], [(-1, 1)], 8, seed), specs=[shape])
