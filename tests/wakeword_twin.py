"""A twin of the MLPerf Tiny v1.3 streaming wake-word reference model (str_ww_ref_model, "ds_tcn" in
mlcommons/tiny benchmark/training/streaming_wakeword/keras_model.py, its default configuration): the same layer
shapes as the published trained_models/str_ww_ref_model.tflite, random weights and random calibration (the
figures are about compute, not accuracy).

Input [1, 30, 1, 40] (30 time frames x 1 x 40 features). Four blocks, each a depthwise conv along time (kernel
(k, 1), VALID, stride 1, no bias) then a pointwise 1x1 conv + BatchNorm (folded into the conv's bias by the
converter) + ReLU; the last block's window spans the remaining 15 frames:

    block  depthwise (k,1)   time     pointwise            MACs (dw + pw)
    1      3  on 40 ch       30 -> 28  40 -> 128          3,360 + 143,360
    2      5  on 128 ch      28 -> 24  128 -> 128        15,360 + 393,216
    3      10 on 128 ch      24 -> 15  128 -> 128        19,200 + 245,760
    4      15 on 128 ch      15 -> 1   128 -> 32          1,920 + 4,096
    head   Flatten 1 x 32 -> Dense 3 -> softmax              96

(The converter folds the Flatten into the FULLY_CONNECTED, which reads the [1, 1, 1, 32] map; the published
model keeps a RESHAPE there, which moves nothing.)

826,368 MACs in all. Full int8 (int8 input and output), per-channel weights, calibrated on 16 seeded uniform
random inputs in [-1, 1]. Used by tests/test_wakeword.py and bench/make_models.py ("str_ww_twin")."""

from __future__ import annotations

import numpy as np

INPUT_SHAPE = (30, 1, 40)
BLOCKS = [(3, 128), (5, 128), (10, 128), (15, 32)]      # (depthwise kernel along time, pointwise filters)
LABELS = 3


def keras_model(seed: int = 0):
    import keras
    from keras import layers

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=INPUT_SHAPE, batch_size=1)
    x = inp
    for k, filters in BLOCKS:
        x = layers.DepthwiseConv2D((k, 1), padding="valid", use_bias=False)(x)
        x = layers.Conv2D(filters, 1, use_bias=False, padding="valid")(x)
        bn = layers.BatchNormalization()
        x = bn(x)
        rng = np.random.default_rng(seed + k)             # non-trivial BatchNorm statistics (folded biases)
        gamma, beta, mean, var = bn.get_weights()
        bn.set_weights([rng.uniform(0.5, 1.5, gamma.shape).astype(np.float32),
                        rng.uniform(-0.3, 0.3, beta.shape).astype(np.float32),
                        rng.uniform(-0.2, 0.2, mean.shape).astype(np.float32),
                        rng.uniform(0.5, 2.0, var.shape).astype(np.float32)])
        x = layers.Activation("relu")(x)
    x = layers.Flatten()(x)
    dense = layers.Dense(LABELS, activation="softmax")
    x = dense(x)
    w, _ = dense.get_weights()
    dense.set_weights([w, np.linspace(-0.2, 0.2, LABELS).astype(np.float32)])   # (a zero bias is dropped)
    return keras.Model(inp, x)


def str_ww_twin(seed: int = 0) -> bytes:
    """The twin as full-int8 .tflite bytes."""
    from tfgen import int8_tflite, uniform_samples

    return int8_tflite(keras_model(seed), uniform_samples([(1, *INPUT_SHAPE)], [(-1.0, 1.0)], 16, seed))
