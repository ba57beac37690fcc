"""AttendSeg-style semantic segmentation, end to end: build, train on synthetic scenes, convert to int8,
compile, run on the host and on an emulated Cortex-M7 (QEMU), and compare mIoU and memory.

    .venv/bin/python examples/attendseg/run.py [--size 64] [--width 8] [--epochs 10] [--samples 4] [--quick]

Exits non-zero when the on-device (or host) output differs from TFLite Micro in any byte.
The data set, the pipeline and the report are shared with examples/efficientvit/run.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
warnings.filterwarnings("ignore", message="Statistics for quantized inputs")

CLASSES = ["background", "disc", "square", "triangle"]
# each class has its own hue family, so colour *and* shape tell them apart
BASE_COLOURS = np.array([[0.9, 0.25, 0.2], [0.2, 0.8, 0.3], [0.25, 0.35, 0.95]], dtype=np.float32)


# ---- data ---------------------------------------------------------------------------------------

def make_scenes(count: int, size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` RGB images in [0, 1] (textured background, 1-3 coloured shapes) and their label maps
    (0 background, 1 disc, 2 square, 3 triangle; later shapes cover earlier ones)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    imgs = np.empty((count, size, size, 3), dtype=np.float32)
    labels = np.zeros((count, size, size), dtype=np.int32)
    for n in range(count):
        # texture: two random gratings, a grey tint and pixel noise
        img = np.full((size, size, 3), rng.uniform(0.2, 0.6), dtype=np.float32)
        for _ in range(2):
            f, th, ph = rng.uniform(0.1, 0.6), rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
            wave = np.sin(f * (xx * np.cos(th) + yy * np.sin(th)) + ph)
            img += 0.12 * wave[..., None] * rng.uniform(0.3, 1.0, size=3)
        img += rng.normal(0, 0.05, size=img.shape)
        lab = labels[n]
        for _ in range(rng.integers(1, 4)):
            cls = int(rng.integers(1, 4))
            r = rng.uniform(0.1, 0.22) * size
            cy, cx = rng.uniform(r, size - r, size=2)
            if cls == 1:
                mask = (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            elif cls == 2:
                mask = (np.abs(yy - cy) <= r * 0.85) & (np.abs(xx - cx) <= r * 0.85)
            else:   # upright triangle: apex at the top, base at the bottom
                t = (yy - (cy - r)) / (2 * r)
                mask = (t >= 0) & (t <= 1) & (np.abs(xx - cx) <= t * r)
            colour = np.clip(BASE_COLOURS[cls - 1] + rng.normal(0, 0.08, size=3), 0, 1)
            shade = 1 + 0.15 * rng.normal(size=(size, size, 1))
            img = np.where(mask[..., None], colour * shade, img)
            lab[mask] = cls
        imgs[n] = np.clip(img, 0, 1)
    return imgs, labels


def miou(pred: np.ndarray, truth: np.ndarray, classes: int) -> float:
    """Mean intersection over union over the classes present in the prediction or the truth."""
    ious = []
    for c in range(classes):
        p, t = pred == c, truth == c
        union = np.logical_or(p, t).sum()
        if union:
            ious.append(np.logical_and(p, t).sum() / union)
    return float(np.mean(ious))


# ---- model --------------------------------------------------------------------------------------

def conv_bn_relu(x, filters: int, kernel: int = 3, strides: int = 1):
    from keras import layers
    x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def attention_condenser(x, mid: int):
    """AttendSeg's attention condenser: condense (average pool /2), embed (small convolutions), expand
    (bilinear upsampling x2), sigmoid, and scale the input by the attention map."""
    from keras import layers
    ch = x.shape[-1]
    a = layers.AveragePooling2D(2)(x)
    a = layers.Conv2D(mid, 3, padding="same", activation="relu")(a)
    a = layers.Conv2D(ch, 1)(a)
    a = layers.UpSampling2D(2, interpolation="bilinear")(a)
    a = layers.Activation("sigmoid")(a)
    return layers.Multiply()([x, a])


def build_model(size: int, width: int, classes: int = len(CLASSES)):
    """Strided encoder (/2, /4, /8) with attention condensers, bilinear decoder with a skip connection,
    per-pixel class logits at the input resolution."""
    import keras
    from keras import layers
    inp = keras.Input((size, size, 3), batch_size=1)
    x = conv_bn_relu(inp, width, strides=2)               # /2
    x = conv_bn_relu(x, 2 * width, strides=2)              # /4
    x = attention_condenser(x, width)
    skip = x
    x = conv_bn_relu(x, 4 * width, strides=2)              # /8
    x = attention_condenser(x, 2 * width)
    x = conv_bn_relu(x, 4 * width, kernel=1)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)  # /4
    x = layers.Concatenate()([x, skip])
    x = conv_bn_relu(x, 2 * width)
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)  # /2
    x = conv_bn_relu(x, width)
    x = layers.Conv2D(classes, 1)(x)
    out = layers.UpSampling2D(2, interpolation="bilinear", name="logits")(x)  # /1
    return keras.Model(inp, out, name="attendseg")


# ---- the shared pipeline ------------------------------------------------------------------------

def parse_args(description: str, size: int, width: int, epochs: int, train: int, argv=None):
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--size", type=int, default=size, help=f"input height and width in pixels (default {size})")
    p.add_argument("--width", type=int, default=width, help=f"base channel count (default {width})")
    p.add_argument("--epochs", type=int, default=epochs, help=f"training epochs (default {epochs})")
    p.add_argument("--train", type=int, default=train, help=f"synthetic training images (default {train})")
    p.add_argument("--test", type=int, default=100,
                   help="synthetic test images for the mIoU of the float model and of the compiled C on the host "
                        "(default 100)")
    p.add_argument("--samples", type=int, default=4,
                   help="test images run on the emulated board (default 4)")
    p.add_argument("--board", default="qemu-m7", help="emulated board for the on-device run (default qemu-m7)")
    p.add_argument("--no-board", action="store_true", help="skip the QEMU run (host only)")
    p.add_argument("--out", type=Path, help="also save the int8 .tflite here (default: a temporary file)")
    p.add_argument("--quick", action="store_true",
                   help="smallest settings (32x32 input, width 4, 1 epoch, 2 samples on the board) for the tests")
    a = p.parse_args(argv)
    if a.quick:
        a.size, a.width, a.epochs, a.train, a.test, a.samples = min(a.size, 32), min(a.width, 4), 1, 64, 8, 2
    if a.size % 16 or a.size < 16:
        p.error(f"--size must be a multiple of 16 (the encoder downsamples by 8, its attention by 2 more): {a.size}")
    a.samples = min(a.samples, a.test)
    return a


def to_int8_tflite(model, calib: np.ndarray) -> bytes:
    """Full-integer conversion (int8 input and output) calibrated on training images."""
    import contextlib
    import io

    from mcucompile.frontend.tf_int8 import keras_int8
    with contextlib.redirect_stdout(io.StringIO()):     # the exporter lists every captured variable
        return keras_int8(model, lambda: ([calib[i:i + 1]] for i in range(len(calib))))


def litert_ref(tflite: bytes, x_q: np.ndarray) -> np.ndarray:
    """Outputs of LiteRT's reference kernels (BUILTIN_REF) for int8 inputs [N, H, W, 3]."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=tflite, experimental_op_resolver_type=OpResolverType.BUILTIN_REF)
    it.allocate_tensors()
    i, o = it.get_input_details()[0]["index"], it.get_output_details()[0]["index"]
    outs = []
    for s in x_q:
        it.set_tensor(i, s[None])
        it.invoke()
        outs.append(it.get_tensor(o)[0].copy())
    return np.stack(outs)


def run(build, args, name: str) -> int:
    """Data, training, int8 conversion, then `report`. Returns the exit code (0: all bit-exact)."""
    import keras

    t0 = time.time()
    keras.utils.set_random_seed(0)
    x_tr, y_tr = make_scenes(args.train, args.size, seed=1)
    x_te, y_te = make_scenes(args.test, args.size, seed=2)
    model = build(args.size, args.width)
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x_tr, y_tr, batch_size=16, epochs=args.epochs, verbose=0)
    print(f"{name}: {model.count_params():,} parameters, input {args.size}x{args.size}, "
          f"trained {args.epochs} epoch(s) on {args.train} images ({time.time() - t0:.0f} s)")

    tflite = to_int8_tflite(model, x_tr[:min(len(x_tr), 200)])
    with tempfile.TemporaryDirectory(prefix=f"{name}_") as work:
        path = Path(work) / f"{name}_int8.tflite"
        path.write_bytes(tflite)
        code = report(model, tflite, path, args, x_te, y_te)
    if args.out is not None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(tflite)
        print(f"model saved to {args.out}")
    return code


def report(model, tflite: bytes, path: Path, args, x_te: np.ndarray, y_te: np.ndarray) -> int:
    """mIoU of the float model, of the compiled C on the host and on the board; memory; bit-exactness."""
    from ai_edge_litert.interpreter import Interpreter

    from mcucompile import api
    from mcucompile.codegen.generate import Options
    from mcucompile.errors import McuCompileError
    it = Interpreter(model_content=tflite)
    (s_in, z_in) = it.get_input_details()[0]["quantization"]
    x_te_q = np.clip(np.round(x_te / s_in) + z_in, -128, 127).astype(np.int8)
    k = len(CLASSES)
    p_float = np.argmax(model.predict(x_te, batch_size=16, verbose=0), -1)
    p_ref = np.argmax(litert_ref(tflite, x_te_q), -1)

    ok = True
    try:
        lbl = api.analyze(path)
        pat = api.analyze(path, Options(patch_mode="auto"))
        outside = Options(patch_mode="auto", io_in_arena=False)
        pat_out = api.analyze(path, outside)
        kinds = sorted({l.kind for l in lbl.layers})
        print(f"{len(lbl.layers)} int8 ops: {', '.join(kinds)}")
        print(f"memory: flash (weights) {lbl.flash_weights_bytes:,} B; peak SRAM layer by layer "
              f"{lbl.peak_sram_bytes:,} B, with --patch auto {pat.peak_sram_bytes:,} B; {lbl.macs:,} MACs")
        print(f"memory with the image and the logits in the caller's buffers (--io-outside): layer by layer "
              f"{pat_out.layer_by_layer_peak_bytes:,} B, with --patch auto {pat_out.peak_sram_bytes:,} B "
              f"({len((pat_out.patch or {}).get('stages', []))} patch stages)")
        outs = {}
        runs = [("host", None, args.test)] + ([] if args.no_board else [(args.board, args.board, args.samples)])
        for label, board, n in runs:
            res = api.simulate(path, inputs=[x_te_q[:n, None]], board=board,      # [n, 1, H, W, 3]
                               references=("tflm",) if board else ("tflm", "litert_ref"))
            outs[label] = res.outputs[0].reshape(n, args.size, args.size, k)
            cmp = "; ".join((f"{c.reference}: {c.mismatches} mismatching bytes" + (f" ({c.note})" if c.note else ""))
                            if c.available else f"{c.reference}: unavailable ({c.error})" for c in res.comparisons)
            extra = (f", {res.extra['instructions'] // n:,} instructions per image"
                     if "instructions" in res.extra else "")
            print(f"{label}, {n} images: {'bit-exact with TFLite Micro' if res.ok else 'MISMATCH'} ({cmp}); "
                  f"arena {res.arena_bytes:,} B{extra}")
            ok &= res.ok
        # the patch-based schedule (image and logits outside the arena): the same logits, byte for byte
        res = api.simulate(path, inputs=[x_te_q[:args.test, None]], options=outside, references=("tflm",))
        outs["patches"] = res.outputs[0].reshape(args.test, args.size, args.size, k)
        same = np.array_equal(outs["patches"], outs["host"])
        print(f"host with --patch auto --io-outside, {args.test} images: "
              f"{'bit-exact with TFLite Micro' if res.ok else 'MISMATCH'}; arena {res.arena_bytes:,} B; logits "
              f"{'equal' if same else 'DIFFER FROM'} the layer-by-layer run's (the mIoU is unchanged)")
        ok &= res.ok and same
    except McuCompileError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    host = np.argmax(outs["host"], -1)
    print(f"mIoU on {args.test} test images: float {miou(p_float, y_te, k):.3f}, "
          f"int8 compiled C {miou(host, y_te, k):.3f} (LiteRT reference kernels {miou(p_ref, y_te, k):.3f})")
    if args.board in outs:
        n = args.samples
        dev = outs[args.board]
        same = np.array_equal(dev, outs["host"][:n])
        print(f"mIoU on the first {n}: float {miou(p_float[:n], y_te[:n], k):.3f}, int8 host "
              f"{miou(host[:n], y_te[:n], k):.3f}, on-device {miou(np.argmax(dev, -1), y_te[:n], k):.3f}; "
              f"on-device logits {'equal' if same else 'DIFFER FROM'} the host's")
        ok &= same
    print("OK" if ok else "FAILED: outputs are not bit-exact with TFLite Micro")
    return 0 if ok else 1


def main(argv=None) -> int:
    args = parse_args("AttendSeg-style segmentation: train, int8, compile, run on the host and on QEMU.",
                      size=64, width=8, epochs=10, train=600, argv=argv)
    return run(build_model, args, "attendseg")


if __name__ == "__main__":
    sys.exit(main())
