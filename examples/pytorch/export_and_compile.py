"""From a PyTorch nn.Module to int8 C for a Cortex-M: torch.onnx.export, then mcucompile's API.

    pip install -e '.[convert,torch]'        # or: pip install torch  (any CPU build will do)
    python examples/pytorch/export_and_compile.py [--out build/pytorch_example] [--size 64]
                                                  [--calibration images/|samples.npy] [--samples 10]

Copy it and swap in your own model (`build_model`) and your own calibration images (`--calibration`: a
folder of images, or a .npy of float samples shaped like the model's input, NCHW). What it does:

1. builds a small CNN (conv/BN/ReLU6, an inverted residual block with a depthwise conv, global average
   pooling, a linear classifier) and exports it with torch.onnx.export (opset 17, the TorchScript
   exporter: `dynamo=False`, since the new one needs the onnxscript package) and checks onnxruntime
   against PyTorch on the exported file;
2. `api.convert`: ONNX -> full-int8 .tflite, calibrated on the images, with the float (onnxruntime) vs
   int8 (TFLite) report of the held-out images;
3. `api.analyze`: the peak SRAM layer by layer and with `--patch auto` (input in the caller's buffer);
4. `api.compile_model`: the C project, and `api.simulate`: it built and run on the host, compared bit for
   bit with TFLite Micro.

Without --calibration it makes synthetic images (smooth random waves): fine to see the route work, but
calibrate on real images to get a useful int8 model. The weights are random (seeded): train yours first.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

from mcucompile import api
from mcucompile.api import ConvertOptions, Options


class InvertedResidual(nn.Module):
    """MobileNetV2's block: 1x1 expand, 3x3 depthwise (groups = channels), 1x1 project, residual add."""

    def __init__(self, cin: int, cout: int, stride: int, expand: int = 4):
        super().__init__()
        hid = cin * expand
        self.body = nn.Sequential(
            nn.Conv2d(cin, hid, 1, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True),
            nn.Conv2d(hid, hid, 3, stride, 1, groups=hid, bias=False), nn.BatchNorm2d(hid), nn.ReLU6(inplace=True),
            nn.Conv2d(hid, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.body(x)
        return x + y if self.residual else y


class SmallNet(nn.Module):
    def __init__(self, classes: int = 10):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6(inplace=True),
            InvertedResidual(16, 16, 1), InvertedResidual(16, 24, 2), InvertedResidual(24, 24, 1),
            InvertedResidual(24, 32, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def build_model() -> nn.Module:
    """Your model goes here. Random weights, BatchNorm statistics set as a trained net would have them."""
    torch.manual_seed(0)
    m = SmallNet()
    for bn in (x for x in m.modules() if isinstance(x, nn.BatchNorm2d)):
        nn.init.uniform_(bn.weight, 0.5, 1.5)
        nn.init.normal_(bn.bias, 0, 0.1)
        bn.running_mean.normal_(0, 0.2)
        bn.running_var.uniform_(0.5, 2.0)
    return m.eval()


def synthetic_images(n: int, size: int, seed: int = 1) -> np.ndarray:
    """[n, 3, size, size] float32 in [0, 1]: a few random low-frequency waves per channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    out = np.zeros((n, 3, size, size), np.float32)
    for i in range(n):
        for c in range(3):
            out[i, c] = sum(rng.uniform(0.2, 1) * np.sin(2 * np.pi * (rng.uniform(0, 3) * x + rng.uniform(0, 3) * y)
                                                          + rng.uniform(0, 6.3)) for _ in range(3))
    lo, hi = out.min(axis=(1, 2, 3), keepdims=True), out.max(axis=(1, 2, 3), keepdims=True)
    return (out - lo) / (hi - lo)


def export(model: nn.Module, size: int, path: Path) -> float:
    """torch.onnx.export at batch 1 (a dynamic batch would be fixed to 1 by the converter anyway); returns
    the largest |PyTorch - onnxruntime| on one random input."""
    x = torch.rand(1, 3, size, size)
    with warnings.catch_warnings():          # torch >= 2.9 calls the TorchScript exporter deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (x,), str(path), opset_version=17, input_names=["image"],
                          output_names=["logits"], dynamo=False)
    import onnxruntime as ort
    ours = ort.InferenceSession(str(path)).run(None, {"image": x.numpy()})[0]
    with torch.no_grad():
        return float(np.max(np.abs(model(x).numpy() - ours)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("build/pytorch_example"))
    ap.add_argument("--size", type=int, default=64, help="input height and width")
    ap.add_argument("--calibration", help="a folder of images or a .npy of NCHW float samples (default: synthetic)")
    ap.add_argument("--samples", type=int, default=10, help="random inputs for simulate")
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)

    onnx_path, tflite = args.out / "smallnet.onnx", args.out / "smallnet_int8.tflite"
    t = time.perf_counter()
    diff = export(build_model(), args.size, onnx_path)
    print(f"1. torch {torch.__version__}: exported {onnx_path} ({onnx_path.stat().st_size:,} B) in "
          f"{time.perf_counter() - t:.1f} s; max |PyTorch - onnxruntime| = {diff:.1e}")

    calibration = args.calibration
    if calibration is None:
        calibration = str(args.out / "calibration.npy")
        np.save(calibration, synthetic_images(50, args.size))
    r = api.convert(onnx_path, tflite, ConvertOptions(calibration=calibration))
    ops = sorted({op.kind for op in api.load(tflite).ops})
    print(f"2. convert: {tflite} ({tflite.stat().st_size:,} B) in {r.seconds:.1f} s{' (cached)' if r.cached else ''}"
          f"; int8 ops: {', '.join(ops)}")
    for m in r.report["outputs"]:
        print(f"   float vs int8, output {m['name']} {m['shape']}: MAE {m['mae']:.4f}, SNR {m['snr_db']:.1f} dB, "
              f"cosine {m['cosine']:.4f}, top-1 agreement {m.get('top1_agreement', float('nan')):.2f}")
    for w in r.warnings:
        print(f"   warning: {w}")

    lbl = api.analyze(tflite)
    patched = api.analyze(tflite, Options(patch_mode="auto", io_in_arena=False))
    print(f"3. analyze: {lbl.macs:,} MACs, {lbl.flash_weights_bytes:,} B of weights; peak SRAM "
          f"{lbl.peak_sram_bytes:,} B layer by layer, {patched.peak_sram_bytes:,} B with --patch auto "
          f"(input in the caller's buffer, {patched.patch['mac_overhead'] if patched.patch else 0:+.1%} MACs)")

    c = api.compile_model(tflite, args.out / "c", force=True)
    s = api.simulate(tflite, samples=args.samples)
    cmp = ", ".join(f"{x.reference}: {x.mismatches} mismatches" if x.available else f"{x.reference}: {x.error}"
                    for x in s.comparisons)
    print(f"4. compile: {args.out / 'c'} ({len(c.files)} files, arena {c.plan.arena_bytes:,} B); simulate "
          f"{s.samples} samples: {cmp}; {'OK' if s.ok else 'FAILED'}")
    return 0 if s.ok else 1


if __name__ == "__main__":
    sys.exit(main())
