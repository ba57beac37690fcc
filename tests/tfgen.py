"""Test helpers that make int8 TFLite models with TensorFlow (imported lazily: tests that use these helpers
skip themselves with pytest.importorskip("tensorflow") first)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import numpy as np

from mcucompile.frontend.tf_int8 import full_int8


def uniform_samples(shapes: Sequence[tuple], ranges: Sequence[tuple], count: int, seed: int = 0) -> Callable:
    """A representative dataset: `count` lists holding one uniform float32 sample per input.
    shapes include the batch dimension; ranges are (lo, hi) per input."""
    rng = np.random.default_rng(seed)

    def representative() -> Iterable[list]:
        for _ in range(count):
            yield [rng.uniform(lo, hi, size=s).astype(np.float32) for s, (lo, hi) in zip(shapes, ranges)]

    return representative


def int8_tflite(model, representative: Callable, specs: Sequence[tuple] | None = None,
                float_io: bool = False) -> bytes:
    """Full-integer conversion (int8 activations and weights, int32 bias; int8 model input/output unless
    float_io) of either a keras.Model (from_keras_model: give it a batch-1 Input) or a TensorFlow function
    / Python callable traced at `specs` (shapes with batch; from_concrete_functions)."""
    import tensorflow as tf

    if specs is None:
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
    else:
        fn = model if hasattr(model, "get_concrete_function") else tf.function(model)
        cf = fn.get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in specs])
        conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], fn)
    return full_int8(conv, representative, float_io)


def int16x8_tflite(model, representative: Callable, specs: Sequence[tuple] | None = None,
                   float_io: bool = False, bias32: bool = False) -> bytes:
    """16x8 conversion (int16 activations, int8 weights, int64 bias, or int32 with bias32; int16 model
    input/output unless float_io), as int8_tflite takes the model."""
    import tensorflow as tf

    if specs is None:
        conv = tf.lite.TFLiteConverter.from_keras_model(model)
    else:
        fn = model if hasattr(model, "get_concrete_function") else tf.function(model)
        cf = fn.get_concrete_function(*[tf.TensorSpec(s, tf.float32) for s in specs])
        conv = tf.lite.TFLiteConverter.from_concrete_functions([cf], fn)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    conv.representative_dataset = representative
    conv.target_spec.supported_ops = [tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    if bias32:
        conv._experimental_full_integer_quantization_bias_type = tf.int32
    if not float_io:
        conv.inference_input_type = tf.int16
        conv.inference_output_type = tf.int16
    return conv.convert()
