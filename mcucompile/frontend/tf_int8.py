"""TensorFlow's full-integer conversion settings in one place, in-process (TensorFlow imported on call).

`mcucompile compile model.keras` converts in a child process (keras_convert.py); scripts that build a
Keras model themselves (examples/, bench/, tests/) call `keras_int8` directly. Full integer: int8
activations and weights, int32 biases, int8 model input and output unless `float_io`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


def full_int8(converter, representative: Callable[[], Iterable], float_io: bool = False) -> bytes:
    """Set a tf.lite.TFLiteConverter up for full-int8 with `representative` as calibration; convert."""
    import tensorflow as tf
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return converter.convert()


def keras_int8(model, representative: Callable[[], Iterable], float_io: bool = False) -> bytes:
    """A keras.Model (with a batch-1 Input) to full-int8 .tflite bytes."""
    import tensorflow as tf
    return full_int8(tf.lite.TFLiteConverter.from_keras_model(model), representative, float_io)
