"""Keras (.keras, .h5), SavedModel or ONNX -> full-int8 .tflite, with a float-vs-int8 report.

The ONLY module that imports TensorFlow (with onnx_convert.py, its ONNX translator), and only inside a
child process (`python -m mcucompile.frontend.keras_convert JOB.json`): the converter can crash the
interpreter on some layers (e.g. LSTM segfaults during calibration), prints a great deal on stdout/stderr,
and takes seconds to import. The parent side (this module's public functions) never imports TensorFlow:
it hashes inputs, looks up the conversion cache, runs the child, relays its progress and turns its
verdict into McuCompileErrors.

Child protocol: progress events are JSON lines on the original stdout; everything TensorFlow prints goes
to stderr (kept in a file, quoted when the child crashes); the result is a JSON file.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from .. import __version__, errors
from ..cache import cache_dir
from ..errors import McuCompileError, ModelFormatError
from .int8_model import (  # noqa: F401  (layers_in_name re-exported for tests)
    _Int8Runner,
    _raw_ops,
    _signature_order,
    float_ops,
    layers_in_name,
)
from .metrics import compare_arrays, dequantize, output_metrics  # noqa: F401  (re-exported: tests, onnx_convert)

CACHE_FORMAT = 1                      # bump when the conversion or the report changes meaning
KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")
DEFAULT_RANDOM_SAMPLES = 64
INSTALL_HINT = "pip install -e .[convert]"

Progress = Callable[[str, int, int], None]     # (stage, done, total)


@dataclass(frozen=True)
class ConvertOptions:
    """How a Keras model becomes an int8 .tflite (also the cache key, apart from per_layer)."""
    calibration: str | None = None           # .npy/.npz of float samples, or a folder of images
    samples: int | None = None                # cap on the calibration samples
    random_calibration: bool = False             # uniform random data in image_range (accuracy suffers)
    image_range: tuple = (0.0, 1.0)              # images (and random data) are scaled to [lo, hi]
    holdout: float = 0.2                         # share of the samples kept out of calibration for the report
    seed: int = 0
    per_layer: bool = False                      # add a per-layer error breakdown to the report
    unsafe_load: bool = False                    # let Keras deserialise Lambda layers (runs code in the file)
    input_layout: str = "nchw"                   # ONNX: "nhwc" gives the int8 model an NHWC input (no TRANSPOSE)
    use_cache: bool = True

    def key_fields(self) -> dict:
        return {"samples": self.samples, "random": self.random_calibration,
                "image_range": [float(v) for v in self.image_range], "holdout": float(self.holdout),
                "seed": self.seed, "input_layout": self.input_layout}


@dataclass
class ConvertResult:
    source: str
    tflite: Path
    cached: bool
    seconds: float
    report: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"source": self.source, "tflite": str(self.tflite), "cached": self.cached,
                "seconds": round(self.seconds, 3), "warnings": list(self.warnings), **self.report}


# ---- parent side (no TensorFlow) ----------------------------------------------------------------

def is_keras_model(path: str | os.PathLike) -> bool:
    p = Path(path)
    if p.suffix.lower() in KERAS_SUFFIXES:
        return True
    return p.is_dir() and (p / "saved_model.pb").exists()


def is_convertible(path: str | os.PathLike) -> bool:
    """A float model that `convert` (and compile/analyze/... on the way) turns into an int8 .tflite."""
    from .onnx_convert import is_onnx_model
    return is_keras_model(path) or is_onnx_model(path)


def _model_digest(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for p in files:
        h.update(str(p.relative_to(path) if path.is_dir() else p.name).encode() + b"\0")
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _tf_version() -> str:
    for dist in ("tensorflow-cpu", "tensorflow", "tf-nightly"):
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return ""


def check_model_file(path: Path) -> None:
    """Cheap checks before starting TensorFlow: the file exists and looks like what its name says."""
    if not path.exists():
        raise ModelFormatError(f"{path}: no such file or folder")
    from .onnx_convert import check_onnx_file, is_onnx_model
    if is_onnx_model(path):
        return check_onnx_file(path)
    if path.is_dir():
        if not (path / "saved_model.pb").exists():
            raise ModelFormatError(f"{path}: a folder without saved_model.pb is not a SavedModel")
        return
    head = path.read_bytes()[:8]
    if head[4:8] == b"TFL3":
        raise ModelFormatError(f"{path}: already a TFLite model; give it to compile/analyze/simulate directly")
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5") and head[:4] != b"\x89HDF":
        raise ModelFormatError(f"{path}: not a Keras .h5 model (no HDF5 signature)")
    if suffix == ".keras" and head[:2] != b"PK":
        raise ModelFormatError(f"{path}: not a .keras model (not a zip archive)")
    if suffix not in KERAS_SUFFIXES:
        raise ModelFormatError(f"{path}: not a Keras model: expected a .keras or .h5 file or a SavedModel folder "
                               f"(or an .onnx file)")


def check_calibration(options: ConvertOptions, model: Path) -> None:
    if options.samples is not None and options.samples < 1:
        raise McuCompileError("--samples must be at least 1")
    if options.calibration is None and not options.random_calibration:
        raise McuCompileError(
            f"{model} is a float model: converting it to int8 needs calibration data, samples of what the "
            f"model will see: pass --calibration samples.npy|samples.npz|images/ (or --random-calibration "
            f"to try the pipeline without data, at the cost of int8 accuracy)")
    if options.calibration is not None and options.random_calibration:
        raise McuCompileError("give either --calibration or --random-calibration, not both")
    from .onnx_convert import INPUT_LAYOUTS
    if options.input_layout not in INPUT_LAYOUTS:
        raise McuCompileError(f"unknown input layout {options.input_layout!r}; one of {', '.join(INPUT_LAYOUTS)}")
    if options.calibration is not None and not Path(options.calibration).exists():
        raise McuCompileError(f"{options.calibration}: no such file or folder (calibration data)")


def cache_key(model: Path, options: ConvertOptions) -> str:
    from .calibration import source_digest
    cal = source_digest(options.calibration, options.samples) if options.calibration else None
    from .onnx_convert import versions
    code = hashlib.sha256(b"".join(Path(__file__).with_name(f).read_bytes() for f in (   # changed code: no old hit
        "keras_convert.py", "calibration.py", "onnx_convert.py", "metrics.py"))).hexdigest()
    doc = {"format": CACHE_FORMAT, "mcucompile": __version__, "tensorflow": _tf_version(), "code": code,
           **(versions() if model.suffix.lower() == ".onnx" else {}),
           "model": _model_digest(model), "calibration": cal, **options.key_fields()}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:40]


def random_warning(n: int) -> str:
    return (f"WARNING: calibrating on {n} samples of uniform random data instead of real inputs: the int8 "
            f"scales will not fit real data and int8 accuracy will suffer. Use --calibration for a model "
            f"you deploy.")


def convert_model(model: str | os.PathLike, options: ConvertOptions = ConvertOptions(),
                  progress: Progress | None = None) -> ConvertResult:
    """Convert (or fetch from the cache) a Keras model to a full-int8 .tflite; returns the cached path."""
    t0 = time.perf_counter()
    model = Path(model)
    check_model_file(model)
    check_calibration(options, model)
    key = cache_key(model, options)
    entry = cache_dir() / "convert" / key
    stem = re.sub(r"[^0-9A-Za-z_.-]", "_", model.stem if model.is_file() else model.name) or "model"
    tfl, rep = entry / f"{stem}.tflite", entry / "report.json"
    if options.use_cache and tfl.exists() and rep.exists():
        report = json.loads(rep.read_text())
        if not options.per_layer or "per_layer" in report:
            return ConvertResult(str(model), tfl, True, time.perf_counter() - t0, report,
                                 list(report.get("warnings", [])))
    entry.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{key[:12]}.", dir=entry.parent))
    try:
        job = {"model": str(model.resolve()), "options": {**asdict(options), "image_range": list(options.image_range)},
               "tflite": str(work / f"{stem}.tflite"), "result": str(work / "report.json")}
        if options.calibration:
            job["options"]["calibration"] = str(Path(options.calibration).resolve())
        (work / "job.json").write_text(json.dumps(job))
        report = _run_child(work / "job.json", work / "stderr.txt", progress)
        report.pop("error", None)
        (work / "report.json").write_text(json.dumps(report, indent=1))
        (work / "job.json").unlink()
        (work / "stderr.txt").unlink(missing_ok=True)
        _publish(work, entry)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report = json.loads(rep.read_text())
    return ConvertResult(str(model), tfl, False, time.perf_counter() - t0, report, list(report.get("warnings", [])))


def _publish(work: Path, entry: Path) -> None:
    """Make the finished conversion in `work` the cache entry `entry`, so that another process reading the
    entry meanwhile (parallel builds or test workers share the cache) never finds it missing or half written:
    a new entry is the whole folder renamed at once; an existing one (refreshed without the cache, or
    without the per-layer rows) has its files replaced one by one with os.replace, the report last."""
    if not entry.is_dir():
        try:
            work.rename(entry)
            return
        except OSError:          # another process made the entry meanwhile: ours goes in over theirs
            if not entry.is_dir():
                raise
    for f in sorted(work.iterdir(), key=lambda f: f.name == "report.json"):
        os.replace(f, entry / f.name)
    shutil.rmtree(work, ignore_errors=True)


def _run_child(job: Path, stderr_path: Path, progress: Progress | None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    with open(stderr_path, "wb") as err:
        p = subprocess.Popen([sys.executable, "-m", "mcucompile.frontend.keras_convert", str(job)],
                             stdout=subprocess.PIPE, stderr=err, env=env, text=True)
        assert p.stdout is not None
        for line in p.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if progress is not None and "stage" in ev:
                progress(ev["stage"], int(ev["done"]), int(ev["total"]))
        rc = p.wait()
    result_path = Path(json.loads(job.read_text())["result"])
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    if result and result.get("error"):
        cls = getattr(errors, result.get("error_class", ""), None)
        if cls is None:
            from .calibration import CalibrationError
            cls = CalibrationError if result.get("error_class") == "CalibrationError" else McuCompileError
        raise cls(result["error"])
    if rc != 0 or result is None:
        tail = [l for l in stderr_path.read_text(errors="replace").splitlines() if l.strip()][-3:]
        what = f"signal {-rc}" if rc < 0 else f"exit code {rc}"
        stage = (result or {}).get("stage", "converting")
        raise McuCompileError(f"the TensorFlow converter crashed ({what}) while {stage}; some layer is "
                              f"probably not convertible to int8 TFLite builtins. Last output: "
                              + (" | ".join(t.strip()[:200] for t in tail) or "none"))
    return result


# ---- child side (TensorFlow) ---------------------------------------------------------------------

class _Child:
    def __init__(self, job: dict, events):
        self.job = job
        self.events = events
        o = dict(job["options"])
        o["image_range"] = tuple(o["image_range"])
        self.options = ConvertOptions(**o)
        self.result: dict = {"warnings": [], "stage": "loading the model"}

    def emit(self, stage: str, done: int, total: int) -> None:
        self.events.write(json.dumps({"stage": stage, "done": done, "total": total}) + "\n")
        self.events.flush()

    def save(self) -> None:
        Path(self.job["result"]).write_text(json.dumps(self.result, default=float))

    def run(self) -> None:
        from . import calibration as cal
        t = time.perf_counter()
        self.result["stage"] = "loading the model"
        self.save()
        src = _load_source(Path(self.job["model"]), self.options)
        specs = src.specs
        self.result["load_seconds"] = round(time.perf_counter() - t, 3)
        o = self.options
        if o.calibration and src.kind == "onnx":          # NCHW or NHWC arrays, image folders transposed
            data = src.model.load_calibration(o.calibration, o.samples, o.image_range)
        elif o.calibration:
            data = cal.load_calibration(o.calibration, specs, o.samples, o.image_range)
        else:
            n = o.samples or DEFAULT_RANDOM_SAMPLES
            data = cal.random_calibration(specs, n, o.seed, o.image_range)
            self.result["warnings"].append(random_warning(n))
        n = len(data[0])
        hold = max(1, int(round(n * o.holdout))) if n >= 2 and o.holdout > 0 else 0
        calib = [a[:n - hold] for a in data]
        held = [a[n - hold:] for a in data] if hold else calib
        self.result.update(calibration_samples=n - hold, heldout_samples=hold,
                           calibration_source=o.calibration or "random",
                           inputs=[{"name": s.name, "shape": [1, *s.shape]} for s in specs])
        if not hold:
            self.result["warnings"].append("only one sample: the report is measured on the calibration sample")
        t = time.perf_counter()
        self.result["stage"] = "calibrating and converting"
        self.save()
        data_bytes = _convert(src, calib, lambda k: self.emit("calibrating", k, n - hold))
        if src.kind == "onnx":
            from .onnx_convert import outputs_in_onnx_order
            data_bytes = outputs_in_onnx_order(data_bytes)
        _check_full_int8(data_bytes, src.layer_names, src.unit)
        Path(self.job["tflite"]).write_bytes(data_bytes)
        self.result["convert_seconds"] = round(time.perf_counter() - t, 3)
        self.result["tflite_bytes"] = len(data_bytes)
        t = time.perf_counter()
        self.result["stage"] = "measuring float vs int8 on the held-out samples"
        self.save()
        self.result["outputs"] = _report(src, data_bytes, held, lambda k: self.emit("comparing", k, len(held[0])))
        self.result["warnings"] += [f"WARNING: {m['name']}: the int8 model's output is far from float's (cosine "
                                    f"{m['cosine']:.3f}, SNR {m['snr_db']:.1f} dB): do not deploy it without "
                                    f"checking" for m in self.result["outputs"] if m["cosine"] < 0.9]
        if o.per_layer:
            self.result["stage"] = "measuring the per-layer error"
            self.save()
            self.result["per_layer"] = _per_layer(src, calib, held, data_bytes, self.result["warnings"])
        self.result["report_seconds"] = round(time.perf_counter() - t, 3)
        self.result.pop("stage")
        self.save()


@dataclass
class _Source:
    kind: str                        # "keras" | "saved_model" | "onnx"
    path: Path
    specs: list                      # calibration.InputSpec per input
    model: object = None             # keras model with a batch of 1 (kind == "keras"); onnx_convert.OnnxModel
    saved: object = None             # tf.saved_model.load(...) (kind == "saved_model")
    layer_names: dict = field(default_factory=dict)     # name -> class name (ONNX: name scope -> op type)
    unit: str = "layer"                                  # what layer_names names ("node" for ONNX)

    def int8_inputs(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """One sample's inputs as the int8 model takes them (ONNX with input_layout nhwc: transposed)."""
        return self.model.int8_inputs(xs) if self.kind == "onnx" else xs

    def float_outputs(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        """Float outputs of one batch-1 sample, in signature order (output_0, output_1, ...)."""
        import tensorflow as tf
        if self.kind == "onnx":                  # onnxruntime; rank-4 outputs transposed to NHWC
            return self.model.float_outputs(xs)
        if self.kind == "keras":
            import keras
            out = self.model(xs if len(xs) > 1 else xs[0], training=False)
            return [np.asarray(keras.ops.convert_to_numpy(t)) for t in keras.tree.flatten(out)]
        fn = self.saved.signatures["serving_default"]
        out = fn(**{s.name: tf.constant(x) for s, x in zip(self.specs, xs)})
        return [out[k].numpy() for k in _signature_order(out)]


def _keras_compat_objects(err: str, custom: dict) -> bool:
    """Keras 3 refuses configs written by tf.keras 2 (e.g. DepthwiseConv2D's `groups`): give it subclasses
    that drop the unknown keyword arguments. Returns False when `err` is not such an error."""
    import keras
    m = re.search(r"Unrecognized keyword arguments passed to (\w+): \{(.*?)\}", err)
    if not m or not hasattr(keras.layers, m.group(1)):
        return False
    name, keys = m.group(1), set(re.findall(r"'(\w+)':", m.group(2)))
    base = getattr(keras.layers, name)
    drop = keys | set(getattr(custom.get(name), "_dropped", ()))
    if custom.get(name) is not None and drop == set(custom[name]._dropped):
        return False

    def __init__(self, *args, **kwargs):
        for k in drop:
            kwargs.pop(k, None)
        base.__init__(self, *args, **kwargs)

    custom[name] = type(name, (base,), {"__init__": __init__, "_dropped": tuple(sorted(drop))})
    return True


def _load_keras(path: Path, unsafe: bool):
    import keras
    custom: dict = {}
    for _ in range(20):
        try:
            return keras.models.load_model(path, compile=False, custom_objects=custom, safe_mode=not unsafe)
        except Exception as e:   # Keras raises ValueError/TypeError/OSError... with the reason in the text
            msg = str(e)
            if _keras_compat_objects(msg, custom):
                continue
            if "safe_mode" in msg and "Lambda" in msg:
                raise errors.UnsupportedModelError(
                    f"{path}: holds a Lambda layer with Python code, which Keras loads only in unsafe mode; "
                    f"if you trust this file pass --unsafe-load") from None
            if "Unknown layer" in msg or "Could not locate class" in msg:
                first = msg.strip().splitlines()[0][:300]
                raise errors.UnsupportedModelError(
                    f"{path}: uses a custom layer Keras cannot rebuild from the file ({first}); replace it "
                    f"with built-in layers or convert it yourself to an int8 .tflite") from None
            first = (msg.strip().splitlines() or [type(e).__name__])[0][:300]
            raise ModelFormatError(f"{path}: cannot load as a Keras model ({type(e).__name__}: {first})") from None
    raise ModelFormatError(f"{path}: cannot load as a Keras model (incompatible layer configurations)")


def _batch1(model, rename: bool = False):
    """The same model with a fixed batch of 1 (dynamic batches add SHAPE/STRIDED_SLICE ops). With `rename`,
    layer i is renamed `<name>__L<i>` (weights copied) so that tensor names in the .tflite map back to it."""
    import keras
    try:
        structure = model.input
    except (AttributeError, ValueError):      # a loaded Sequential model knows only its `inputs`
        structure = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    inputs = keras.tree.map_structure(
        lambda t: keras.Input(batch_size=1, shape=tuple(t.shape[1:]), dtype=t.dtype, name=t.name.split(":")[0]),
        structure)
    pairs = []
    index = {id(l): k for k, l in enumerate(model.layers)}

    def clone(layer):
        if not rename:
            return layer
        cfg = layer.get_config()
        cfg["name"] = f"{layer.name}__L{index.get(id(layer), 0)}"
        new = layer.__class__.from_config(cfg)
        pairs.append((layer, new))
        return new

    try:
        m1 = keras.models.clone_model(model, input_tensors=inputs, clone_function=clone)
    except Exception:
        if rename:
            raise
        outputs = model(inputs)
        m1 = keras.Model(inputs, outputs, name=model.name)
    for old, new in pairs:
        new.set_weights(old.get_weights())
    return m1


def _load_source(path: Path, options: ConvertOptions) -> _Source:
    from .calibration import InputSpec
    if path.suffix.lower() == ".onnx":
        from .onnx_convert import load_onnx
        m = load_onnx(path, options.input_layout)
        return _Source("onnx", path, m.specs, model=m, layer_names=m.layer_names, unit="node")
    if path.is_dir():
        import tensorflow as tf
        try:
            saved = tf.saved_model.load(str(path))
            fn = saved.signatures["serving_default"]
        except Exception as e:
            raise ModelFormatError(f"{path}: cannot load as a SavedModel with a serving_default signature "
                                   f"({type(e).__name__}: {str(e).strip().splitlines()[0][:200]})") from None
        kw = fn.structured_input_signature[1]
        specs = [InputSpec(k, tuple(int(d) if d is not None else 1 for d in kw[k].shape[1:])) for k in sorted(kw)]
        return _Source("saved_model", path, specs, saved=saved)
    model = _load_keras(path, options.unsafe_load)
    try:
        inputs = model.inputs
    except Exception:
        inputs = None
    if not inputs:
        raise errors.UnsupportedModelError(
            f"{path}: a subclassed model without known input shapes; save a functional or Sequential model")
    for t in inputs:
        if any(d is None for d in t.shape[1:]):
            raise errors.UnsupportedModelError(
                f"{path}: input {t.name!r} has an unknown dimension {list(t.shape)}; give the model a fixed "
                f"input shape (microcontroller models need static shapes)")
    m1 = _batch1(model)
    specs = [InputSpec(t.name.split(":")[0], tuple(int(d) for d in t.shape[1:])) for t in m1.inputs]
    names = {l.name: type(l).__name__ for l in model.layers}
    for op in getattr(model, "operations", []):
        names.setdefault(op.name, type(op).__name__)
    return _Source("keras", path, specs, model=m1, layer_names=names)


def _converter(src: _Source, model=None):
    import tensorflow as tf
    if src.kind == "onnx":
        return src.model.converter(), None
    if src.kind == "saved_model":
        # from_saved_model keeps the dynamic batch (SHAPE/STRIDED_SLICE/PACK ops); re-trace at batch 1
        fn = src.saved.signatures["serving_default"]
        kw = fn.structured_input_signature[1]
        specs = {s.name: tf.TensorSpec([1, *s.shape], kw[s.name].dtype, name=s.name) for s in src.specs}
        cf = tf.function(lambda **a: fn(**a)).get_concrete_function(**specs)
        return tf.lite.TFLiteConverter.from_concrete_functions([cf], src.saved), None
    try:
        return tf.lite.TFLiteConverter.from_keras_model(model or src.model), None
    except Exception:      # fall back to export + from_saved_model
        d = tempfile.mkdtemp(prefix="mcukeras_")
        (model or src.model).export(d, format="tf_saved_model", verbose=False)
        return tf.lite.TFLiteConverter.from_saved_model(d), d


def _convert(src: _Source, calib: list[np.ndarray], tick: Callable[[int], None], model=None) -> bytes:
    n = len(calib[0])

    def representative():
        for k in range(n):
            if src.kind == "saved_model":
                yield {s.name: a[k:k + 1] for s, a in zip(src.specs, calib)}
            else:
                yield src.int8_inputs([a[k:k + 1] for a in calib])
            tick(k + 1)

    from .tf_int8 import full_int8
    conv, tmp = _converter(src, model)
    try:
        return full_int8(conv, representative)
    except Exception as e:
        raise errors.UnsupportedModelError(_converter_message(str(e), src.layer_names, src.unit)) from None
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _describe_layers(names: list[str], layers: dict, unit: str = "layer") -> str:
    return " / ".join(f"{unit} {n!r} ({layers[n]})" for n in names)


def _converter_message(msg: str, layers: dict, unit: str = "layer") -> str:
    ops = []
    for m in re.finditer(r"fused\[\"(\w+):\", \"([^\"@]+)@[^\"]*\"\][^\n]*?'tf\.(\w+)' op is neither", msg):
        ops.append((m.group(3), m.group(2)))
    if not ops:
        m = re.search(r"TF Select ops: ([\w, ]+)", msg)
        if m:
            ops = [(o.strip(), "") for o in m.group(1).split(",")]
    if ops:
        parts = []
        for op, node in dict.fromkeys(ops):
            where = _describe_layers(layers_in_name(node, layers, unit == "node"), layers, unit) if node else ""
            parts.append(f"{where + ': ' if where else ''}TensorFlow op {op}"
                         + (f" (node {node})" if node and not where else ""))
        return ("cannot convert to int8 TFLite builtins: " + "; ".join(parts)
                + " has no TFLite builtin kernel; replace the layer with one that has")
    first = [l for l in msg.splitlines() if "error" in l.lower()][:1] or msg.strip().splitlines()[:1] or ["?"]
    return f"the TensorFlow converter failed: {first[0][:400]}"


def _check_full_int8(data: bytes, layers: dict, unit: str = "layer") -> None:
    bad = float_ops(data)
    if bad:
        parts = []
        for k, op, tname in bad:
            where = _describe_layers(layers_in_name(tname, layers, unit == "node"), layers, unit)
            parts.append(f"{where or 'tensor ' + repr(tname)}: {op} (op {k})")
        raise errors.UnsupportedModelError(
            f"{len(bad)} op(s) have no int8 kernel and would run in float, which mcucompile does not do: "
            + "; ".join(parts) + ". Replace these layers (or compute them outside the model)")


def _report(src: _Source, data: bytes, held: list[np.ndarray], tick) -> list[dict]:
    run = _Int8Runner(data, src.specs)
    fl: list[list[np.ndarray]] = []
    qs: list[list[np.ndarray]] = []
    n = len(held[0])
    for k in range(n):
        xs = [a[k:k + 1] for a in held]
        fl.append(src.float_outputs(xs))
        qs.append(run(src.int8_inputs(xs)))
        tick(k + 1)
    out = []
    for j, d in enumerate(run.outputs):
        f = np.concatenate([r[j].reshape(1, -1) for r in fl]).reshape(n, *d["shape"][1:])
        q = np.concatenate([r[j].reshape(1, -1) for r in qs]).reshape(n, *d["shape"][1:])
        out.append(output_metrics(f, q, f"output_{j}"))
    return out


def _per_layer(src: _Source, calib, held, data: bytes, warnings: list) -> list[dict]:
    """Float activations of each Keras layer vs the int8 model's dequantised tensors, matched by name: the
    model is converted a second time with layer i renamed `<name>__L<i>`, so each int8 tensor names the
    layers it covers (fused conv+batchnorm+activation -> the last of them owns the tensor)."""
    if src.kind == "onnx":
        from .onnx_convert import per_layer
        return per_layer(src, held, data, warnings)
    if src.kind != "keras":
        warnings.append("per-layer breakdown: only for Keras models, not SavedModel folders")
        return []
    import keras
    m2 = _batch1(src.model, rename=True)
    data2 = _convert(src, calib, lambda k: None, model=m2)
    layers = [l for l in m2.layers if not isinstance(l, keras.layers.InputLayer)]
    index = {l.name: int(l.name.rsplit("__L", 1)[1]) for l in layers}
    orig = src.model.layers
    owners: dict[int, int] = {}                       # layer index -> tensor index
    covers: dict[int, list[int]] = {}
    ops = _raw_ops(data2)
    it_run = _Int8Runner(data2, src.specs, preserve=True)
    det = {d["name"]: d for d in it_run.it.get_tensor_details()}
    kind_of: dict[int, str] = {}
    for name, _ins, _outs, onames in ops:
        for tname in onames:
            idx = sorted({int(m.group(1)) for m in re.finditer(r"__L(\d+)(?:_\d+)*(?=/|$|;)", tname)})
            if not idx or tname not in det:
                continue
            owners[idx[-1]] = det[tname]["index"]
            covers[idx[-1]] = idx[:-1]
            kind_of[idx[-1]] = name
    # a model output is produced by the layer that makes it, whatever the tensor is called (e.g. a Dense
    # with softmax: FULLY_CONNECTED is named after the layer, SOFTMAX after the signature)
    op_of = {t: name for name, _i, _o, onames in ops for t in onames}
    for t, d in zip(m2.outputs, it_run.outputs):
        layer = t._keras_history[0]
        if layer.name in index:
            i = index[layer.name]
            covers.setdefault(i, [])
            owners[i] = d["index"]
            kind_of[i] = op_of.get(d["name"], kind_of.get(i, "?"))
    usable = [l for l in layers if index[l.name] in owners]
    try:
        probe = keras.Model(m2.inputs, [l.output for l in usable])
    except Exception as e:
        warnings.append(f"per-layer breakdown not available ({type(e).__name__}: {str(e)[:120]})")
        return []
    n = len(held[0])
    primary = _Int8Runner(data, src.specs)
    fl, qs = [], []
    same = True
    by_index = {d["index"]: d for d in it_run.it.get_tensor_details()}
    for k in range(n):
        xs = [a[k:k + 1] for a in held]
        outs = probe(xs if len(xs) > 1 else xs[0], training=False)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        fl.append([np.asarray(keras.ops.convert_to_numpy(t)) for t in outs])
        same &= all(np.array_equal(a, b) for a, b in zip(it_run(xs), primary(xs)))
        qs.append([dequantize(it_run.it.get_tensor(owners[index[l.name]]), by_index[owners[index[l.name]]])
                   for l in usable])
    if not same:
        warnings.append("per-layer breakdown: the instrumented conversion's outputs differ from the delivered "
                        "model's; the per-layer figures describe a near-identical model")
    rows = []
    for j, l in enumerate(usable):
        i = index[l.name]
        f = np.stack([r[j].reshape(-1) for r in fl])
        q = np.stack([r[j].reshape(-1) for r in qs])
        if f.shape != q.shape:
            continue
        row = {"layer": orig[i].name, "class": type(orig[i]).__name__, "op": kind_of[i],
               "shape": list(fl[0][j].shape), "fused": [orig[c].name for c in covers[i] if c < len(orig)],
               **compare_arrays(f, q)}
        row.pop("float_range")
        rows.append(row)
    return rows


def _child_main(job_path: str) -> int:
    events = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)                                   # TensorFlow's chatter goes to stderr
    sys.stdout = os.fdopen(1, "w", closefd=False)
    job = json.loads(Path(job_path).read_text())
    child = _Child(job, events)
    try:
        if job["model"].lower().endswith(".onnx"):      # TensorFlow imported late: most refusals come first
            from importlib.util import find_spec
            if not all(find_spec(m) for m in ("tensorflow", "onnx", "onnxruntime")):
                raise McuCompileError(f"converting ONNX models needs TensorFlow, onnx and onnxruntime: "
                                      f"{INSTALL_HINT}")
        else:
            try:
                import keras  # noqa: F401
                import tensorflow  # noqa: F401
            except ImportError:
                raise McuCompileError(f"converting Keras models needs TensorFlow: {INSTALL_HINT}") from None
        child.run()
    except McuCompileError as e:
        child.result.update(error=str(e), error_class=type(e).__name__)
        child.save()
    except Exception as e:                      # a bug or an unforeseen model: say where, in one line
        import traceback
        traceback.print_exc()
        first = (str(e).strip().splitlines() or [""])[0][:300]
        child.result.update(error=f"conversion failed while {child.result.get('stage', 'converting')}: "
                                  f"{type(e).__name__}: {first}", error_class="McuCompileError")
        child.save()
    return 0


if __name__ == "__main__":
    sys.exit(_child_main(sys.argv[1]))
