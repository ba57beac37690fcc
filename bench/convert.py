"""The ONNX route end to end: MobileNetV2-0.35 at 144x144 built as ONNX (onnx.helper, random weights; the
graph torch.onnx.export writes for torchvision's, tests/onnx_models.py), converted to full int8 with
`mcucompile.api.convert` on synthetic images, then planned by `mcucompile.api.analyze`.

    python bench/convert.py [--markdown] [--samples 50] [--layouts nchw,nhwc] [--no-keras] [--torch]

Prints, per input layout: conversion time, the op kinds of the int8 model, the float (onnxruntime) vs int8
(TFLite) figures of the conversion report (MAE, SNR, cosine, top-1 agreement on the held-out samples), and
the peak SRAM layer by layer and with `--patch auto` (the model input in the arena, and in the caller's
buffer: `Options(io_in_arena=False)`). The same network from keras.applications (bench/make_models.py,
converted there with random calibration) is planned alike for comparison (--no-keras: not).

--torch also runs examples/pytorch/export_and_compile.py (an nn.Module -> torch.onnx.export -> convert ->
simulate against TFLite Micro) in this interpreter: torch is not in `make test`'s install (it is the
optional extra `torch`: `pip install -e '.[torch]'`), so that example is run here, not by the tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

import numpy as np  # noqa: E402

from mcucompile import api  # noqa: E402
from mcucompile.codegen.generate import Options  # noqa: E402
from mcucompile.frontend.keras_convert import ConvertOptions  # noqa: E402

SIZE, ALPHA, CLASSES = 144, 0.35, 1000      # logits (no Softmax), like the Keras one


def plans(model) -> dict:
    """Peak SRAM layer by layer and with the mixed patch search, I/O in the arena and outside it."""
    out = {"ops": Counter(op.kind for op in api.load(model).ops)}
    for io_in in (True, False):
        key = "arena" if io_in else "caller"
        lbl = api.analyze(model, Options(io_in_arena=io_in))
        t = time.perf_counter()
        a = api.analyze(model, Options(io_in_arena=io_in, patch_mode="auto"))
        out[key] = {"layer_by_layer": lbl.peak_sram_bytes, "patch": a.peak_sram_bytes,
                    "mac_overhead": a.patch["mac_overhead"] if a.patch else 0.0,
                    "stages": len(a.patch["stages"]) if a.patch else 0, "search_s": time.perf_counter() - t,
                    "macs": lbl.macs, "flash": lbl.flash_weights_bytes}
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--markdown", action="store_true", help="print markdown tables")
    ap.add_argument("--samples", type=int, default=50, help="synthetic images (20%% held out for the report)")
    ap.add_argument("--layouts", default="nchw,nhwc", help="input layouts of the int8 model to convert to")
    ap.add_argument("--no-keras", action="store_true", help="skip the keras.applications comparison row")
    ap.add_argument("--torch", action="store_true", help="also run examples/pytorch/export_and_compile.py")
    args = ap.parse_args()
    import onnx_models as om

    work = Path(tempfile.mkdtemp(prefix="bench_convert_"))
    os.environ.setdefault("MCUCOMPILE_CACHE", str(work / "cache"))     # a fresh cache: time the conversion
    t = time.perf_counter()
    om.mobilenet_v2(work / "mobilenetv2_035_144.onnx", ALPHA, SIZE, CLASSES)
    build_s = time.perf_counter() - t
    np.save(work / "images.npy", om.smooth_nchw(args.samples, 3, SIZE, SIZE, seed=1))
    print(f"# ONNX MobileNetV2-{ALPHA} @{SIZE}, {CLASSES} classes: built in {build_s:.1f} s "
          f"({(work / 'mobilenetv2_035_144.onnx').stat().st_size:,} B), {args.samples} synthetic images")

    rows, reports = [], []
    for layout in args.layouts.split(","):
        t = time.perf_counter()
        r = api.convert(work / "mobilenetv2_035_144.onnx", work / f"mnv2_{layout}.tflite",
                        ConvertOptions(calibration=str(work / "images.npy"), input_layout=layout))
        secs = time.perf_counter() - t
        m = r.report["outputs"][0]
        reports.append((f"ONNX, input {layout.upper()}", secs, r.tflite.stat().st_size, m, r.warnings))
        rows.append((f"ONNX, input {layout.upper()}", plans(r.tflite)))
    if not args.no_keras:
        import make_models
        t = time.perf_counter()
        path = make_models.get("mobilenetv2_035_144")
        print(f"# Keras MobileNetV2-{ALPHA} @{SIZE} (bench/make_models.py): {path} "
              f"({time.perf_counter() - t:.1f} s, cached after the first run)")
        rows.append(("Keras (keras.applications)", plans(path)))

    print()
    _print(("model", "convert s", "int8 .tflite B", "MAE", "SNR dB", "cosine", "top-1 agree", "warnings"), (0, 7),
           [(n, f"{s:.1f}", f"{b:,}", f"{m['mae']:.2e}", f"{m['snr_db']:.1f}", f"{m['cosine']:.4f}",
             f"{m.get('top1_agreement', float('nan')):.2f}", "; ".join(w) or "-") for n, s, b, m, w in reports],
           args.markdown)
    print()
    for name, p in rows:
        print(f"{name}: {sum(p['ops'].values())} ops: "
              + ", ".join(f"{k} x{v}" for k, v in sorted(p["ops"].items(), key=lambda kv: -kv[1])))
    print()
    body = []
    for name, p in rows:
        for io in ("arena", "caller"):
            q = p[io]
            body.append((name, io, f"{q['layer_by_layer']:,}", f"{q['patch']:,}",
                         f"{q['layer_by_layer'] / q['patch']:.2f}x", f"{q['mac_overhead']:+.1%}", str(q["stages"]),
                         f"{q['macs']:,}", f"{q['flash']:,}", f"{q['search_s']:.1f}"))
    _print(("model", "I/O", "layer-by-layer B", "--patch auto B", "ratio", "MACs", "stages", "MACs layer by layer",
            "weights B", "analyze s"), (0, 1), body, args.markdown)
    if args.torch:
        print("\n# examples/pytorch/export_and_compile.py")
        sys.path.insert(0, str(ROOT / "examples" / "pytorch"))
        import export_and_compile
        return export_and_compile.main([])
    return 0


def _print(hdr, left, body, markdown: bool) -> None:
    table = [hdr] + list(body)
    if markdown:
        print("| " + " | ".join(hdr) + " |")
        print("|" + "|".join("---" if i in left else "---:" for i in range(len(hdr))) + "|")
        for r in table[1:]:
            print("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
        for k, r in enumerate(table):
            print("  ".join(v.ljust(w) if i in left else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths))))
            if k == 0:
                print("  ".join("-" * w for w in widths))


if __name__ == "__main__":
    sys.exit(main())
