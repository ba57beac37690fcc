"""Float vs int8 figures of a conversion (keras_convert.py, onnx_convert.py): MAE, SNR, cosine, argmax
agreement. numpy only."""

from __future__ import annotations

import numpy as np


def dequantize(q: np.ndarray, detail: dict) -> np.ndarray:
    scale, zp = detail["quantization"]
    return (q.astype(np.float64) - zp) * scale if scale else q.astype(np.float64)


def compare_arrays(f: np.ndarray, q: np.ndarray) -> dict:
    """Float (f) vs dequantised int8 (q), both [N, ...]: MAE, max error, SNR (dB), mean cosine similarity."""
    f = f.astype(np.float64).reshape(len(f), -1)
    q = q.astype(np.float64).reshape(len(q), -1)
    err = f - q
    noise, signal = float(np.sum(err ** 2)), float(np.sum(f ** 2))
    snr = 10 * np.log10(signal / noise) if noise > 0 and signal > 0 else (float("inf") if noise == 0 else 0.0)
    nf, nq = np.linalg.norm(f, axis=1), np.linalg.norm(q, axis=1)
    cos = np.where((nf > 0) & (nq > 0), np.sum(f * q, axis=1) / np.maximum(nf * nq, 1e-300),
                   (nf == nq).astype(np.float64))
    return {"mae": float(np.mean(np.abs(err))), "max_abs_error": float(np.max(np.abs(err))),
            "snr_db": float(snr), "cosine": float(np.mean(cos)),
            "float_range": [float(f.min()), float(f.max())]}


def output_metrics(f: np.ndarray, q: np.ndarray, name: str) -> dict:
    """Metrics of one output; shape [N, *s]. Classifier ([C], C > 1): top-1 agreement; segmentation
    ([H, W, C], H*W > 1, C > 1): per-pixel argmax agreement."""
    m = {"name": name, "shape": [1, *f.shape[1:]], **compare_arrays(f, q)}
    s = f.shape[1:]
    if len(s) == 1 and s[0] > 1:
        m["kind"] = "classifier"
        m["top1_agreement"] = float(np.mean(np.argmax(f, -1) == np.argmax(q, -1)))
    elif len(s) == 3 and s[-1] > 1 and s[0] * s[1] > 1:
        m["kind"] = "segmentation"
        m["pixel_argmax_agreement"] = float(np.mean(np.argmax(f, -1) == np.argmax(q, -1)))
    else:
        m["kind"] = "values"
    return m
