"""Read a .tflite flatbuffer into our IR. No TensorFlow here: only the `tflite` schema package."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import tflite
from tflite.ActivationFunctionType import ActivationFunctionType
from tflite.BuiltinOperator import BuiltinOperator
from tflite.Padding import Padding
from tflite.TensorType import TensorType

from ..errors import ModelFormatError, UnsupportedModelError
from ..ir import (
    ACTIVATIONS,
    ConcatenationAttrs,
    Conv2DAttrs,
    DepthwiseConv2DAttrs,
    ElementwiseAttrs,
    FullyConnectedAttrs,
    Graph,
    NoAttrs,
    Op,
    Pool2DAttrs,
    Quant,
    ReducerAttrs,
    ReshapeAttrs,
    SoftmaxAttrs,
    Tensor,
)
from ..ir.graph import NUMPY_DTYPES
from ..ir.signal import SIGNAL_PREFIX
from .signal_options import signal_attrs
from .variables import VARIABLE_KINDS, Variables

OP_NAMES = {v: k for k, v in vars(BuiltinOperator).items() if not k.startswith("_")}
TYPE_NAMES = {v: k.lower() for k, v in vars(TensorType).items() if not k.startswith("_")}
TYPE_NAMES = {k: {"float32": "float32"}.get(v, v) for k, v in TYPE_NAMES.items()}
ACT_NAMES = {v: k for k, v in vars(ActivationFunctionType).items() if not k.startswith("_")}
PAD_NAMES = {v: k for k, v in vars(Padding).items() if not k.startswith("_")}
MAX_FILE_BYTES = 1 << 31
# the fewest inputs each supported op reads (TFLite's own kernels check the same in Prepare)
MIN_INPUTS = {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 2, "FULLY_CONNECTED": 2, "ADD": 2, "SUB": 2, "MUL": 2, "DIV": 2,
              "MAXIMUM": 2, "MINIMUM": 2, "PAD": 2, "PADV2": 2, "MEAN": 2, "SUM": 2, "TRANSPOSE": 2, "CONCATENATION": 1,
              "EXPAND_DIMS": 2, "SLICE": 3, "PACK": 1, "UNPACK": 1, "SPACE_TO_DEPTH": 1, "DEPTH_TO_SPACE": 1,
              "GATHER": 2, "GATHER_ND": 2, "MIRROR_PAD": 2, "EQUAL": 2, "NOT_EQUAL": 2, "LESS": 2, "LESS_EQUAL": 2,
              "GREATER": 2, "GREATER_EQUAL": 2, "SELECT_V2": 3, "SELECT": 3, "FILL": 2,
              "PRELU": 2, "SQUARED_DIFFERENCE": 2, "ADD_N": 2, "REDUCE_MAX": 2, "REDUCE_MIN": 2, "CUMSUM": 2,
              "SVDF": 3, "TFLite_Detection_PostProcess": 3, "REVERSE_V2": 2,
              "LOGICAL_AND": 2, "LOGICAL_OR": 2, "REDUCE_ALL": 2,
              "DYNAMIC_UPDATE_SLICE": 3, "EMBEDDING_LOOKUP": 2, "BROADCAST_ARGS": 2}


def _activation(code: int) -> str:
    name = ACT_NAMES.get(code)
    if name not in ACTIVATIONS:
        raise ModelFormatError(f"unknown fused activation code {code}")
    if name in ("TANH", "SIGN_BIT"):   # TFLite's int8 kernels have no quantised clamp for these either
        raise UnsupportedModelError(f"fused activation {name} is not supported (int8 ops take NONE, RELU, "
                                    "RELU_N1_TO_1 or RELU6)")
    return name


def _padding(code: int) -> str:
    name = PAD_NAMES.get(code)
    if name is None:
        raise ModelFormatError(f"unknown padding code {code}")
    return name


def _options(op, cls):
    table = op.BuiltinOptions()
    o = cls()
    if table is None:
        o.Init(b"\x00" * 16, 4)   # empty table: every field reads as its default
        return None
    o.Init(table.Bytes, table.Pos)
    return o


def _attrs(kind: str, op):
    if kind == "CONV_2D":
        o = _options(op, tflite.Conv2DOptions)
        if o is None:
            raise ModelFormatError("CONV_2D without options")
        return Conv2DAttrs(o.StrideH(), o.StrideW(), o.DilationHFactor(), o.DilationWFactor(),
                           _padding(o.Padding()), _activation(o.FusedActivationFunction()),
                           int32_bias=o.QuantizedBiasType() == TensorType.INT32)
    if kind == "DEPTHWISE_CONV_2D":
        o = _options(op, tflite.DepthwiseConv2DOptions)
        if o is None:
            raise ModelFormatError("DEPTHWISE_CONV_2D without options")
        return DepthwiseConv2DAttrs(o.StrideH(), o.StrideW(), o.DilationHFactor(), o.DilationWFactor(),
                                    _padding(o.Padding()), o.DepthMultiplier(),
                                    _activation(o.FusedActivationFunction()))
    if kind == "FULLY_CONNECTED":
        o = _options(op, tflite.FullyConnectedOptions)
        if o is None:
            return FullyConnectedAttrs("NONE", False)
        return FullyConnectedAttrs(_activation(o.FusedActivationFunction()), bool(o.KeepNumDims()),
                                   int32_bias=o.QuantizedBiasType() == TensorType.INT32)
    if kind in ("AVERAGE_POOL_2D", "MAX_POOL_2D"):
        o = _options(op, tflite.Pool2DOptions)
        if o is None:
            raise ModelFormatError(f"{kind} without options")
        return Pool2DAttrs(o.FilterHeight(), o.FilterWidth(), o.StrideH(), o.StrideW(),
                           _padding(o.Padding()), _activation(o.FusedActivationFunction()))
    if kind in ("ADD", "SUB", "MUL", "DIV"):
        cls = {"ADD": tflite.AddOptions, "SUB": tflite.SubOptions, "MUL": tflite.MulOptions,
               "DIV": tflite.DivOptions}[kind]
        o = _options(op, cls)
        return ElementwiseAttrs(_activation(o.FusedActivationFunction()) if o is not None else "NONE")
    if kind == "SOFTMAX":
        o = _options(op, tflite.SoftmaxOptions)
        return SoftmaxAttrs(float(o.Beta()) if o is not None else 1.0)
    if kind in ("RESHAPE", "SQUEEZE", "EXPAND_DIMS"):
        return ReshapeAttrs()
    if kind == "CONCATENATION":
        o = _options(op, tflite.ConcatenationOptions)
        if o is None:
            raise ModelFormatError("CONCATENATION without options")
        return ConcatenationAttrs(o.Axis(), _activation(o.FusedActivationFunction()))
    if kind in ("MEAN", "SUM", "REDUCE_MAX", "REDUCE_MIN", "REDUCE_PROD", "REDUCE_ALL"):
        o = _options(op, tflite.ReducerOptions)
        return ReducerAttrs(bool(o.KeepDims()) if o is not None else False)
    return _attrs_more(kind, op)


def _attrs_more(kind: str, op):
    """Options of resize, transpose conv, batch matmul, slicing and arg-min/max ops."""
    from ..ir import ArgMinMaxAttrs, BatchMatMulAttrs, ResizeAttrs, SplitAttrs, StridedSliceAttrs, TransposeConvAttrs
    if kind in ("RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR"):
        cls = tflite.ResizeBilinearOptions if kind == "RESIZE_BILINEAR" else tflite.ResizeNearestNeighborOptions
        o = _options(op, cls)
        if o is None:
            return ResizeAttrs(False, False)
        return ResizeAttrs(bool(o.AlignCorners()), bool(o.HalfPixelCenters()))
    if kind == "TRANSPOSE_CONV":
        o = _options(op, tflite.TransposeConvOptions)
        if o is None:
            raise ModelFormatError("TRANSPOSE_CONV without options")
        return TransposeConvAttrs(o.StrideH(), o.StrideW(), _padding(o.Padding()),
                                  _activation(o.FusedActivationFunction()))
    if kind == "BATCH_MATMUL":
        o = _options(op, tflite.BatchMatMulOptions)
        return BatchMatMulAttrs(bool(o.AdjX()), bool(o.AdjY())) if o is not None else BatchMatMulAttrs(False, False)
    if kind == "STRIDED_SLICE":
        o = _options(op, tflite.StridedSliceOptions)
        if o is None:
            return StridedSliceAttrs(0, 0, 0, 0, 0, False)
        return StridedSliceAttrs(o.BeginMask(), o.EndMask(), o.EllipsisMask(), o.NewAxisMask(),
                                 o.ShrinkAxisMask(), bool(o.Offset()))
    if kind in ("SPLIT", "SPLIT_V"):
        o = _options(op, tflite.SplitOptions if kind == "SPLIT" else tflite.SplitVOptions)
        return SplitAttrs(o.NumSplits() if o is not None else 0)
    if kind in ("ARG_MAX", "ARG_MIN"):
        o = _options(op, tflite.ArgMaxOptions if kind == "ARG_MAX" else tflite.ArgMinOptions)
        # no options: the output tensor's own type decides (the lowering checks it)
        return ArgMinMaxAttrs(TYPE_NAMES.get(o.OutputType(), "?") if o is not None else "")
    if kind in ("PACK", "UNPACK"):
        from ..ir.graph import PackAttrs
        if kind == "PACK":
            po = _options(op, tflite.PackOptions)
            return PackAttrs(po.Axis(), po.ValuesCount()) if po is not None else PackAttrs(0, 0)
        uo = _options(op, tflite.UnpackOptions)
        return PackAttrs(uo.Axis(), uo.Num()) if uo is not None else PackAttrs(0, 0)
    if kind in ("SPACE_TO_DEPTH", "DEPTH_TO_SPACE"):
        from ..ir.graph import BlockSizeAttrs
        cls = tflite.SpaceToDepthOptions if kind == "SPACE_TO_DEPTH" else tflite.DepthToSpaceOptions
        bo = _options(op, cls)
        return BlockSizeAttrs(bo.BlockSize() if bo is not None else 0)
    if kind == "GATHER":
        from ..ir.graph import GatherAttrs
        go = _options(op, tflite.GatherOptions)
        return GatherAttrs(go.Axis(), go.BatchDims()) if go is not None else GatherAttrs(0, 0)
    if kind == "MIRROR_PAD":
        from ..ir.graph import MirrorPadAttrs
        mo = _options(op, tflite.MirrorPadOptions)
        mode = mo.Mode() if mo is not None else 0
        return MirrorPadAttrs({0: "REFLECT", 1: "SYMMETRIC"}.get(mode, f"mode {mode}"))
    if kind == "CUMSUM":
        from ..ir.graph import CumsumAttrs
        o = _options(op, tflite.CumsumOptions)
        return CumsumAttrs(bool(o.Exclusive()), bool(o.Reverse())) if o is not None else CumsumAttrs(False, False)
    if kind == "L2_NORMALIZATION":
        o = _options(op, tflite.L2NormOptions)
        return ElementwiseAttrs(_activation(o.FusedActivationFunction()) if o is not None else "NONE")
    if kind == "UNIDIRECTIONAL_SEQUENCE_LSTM":
        from ..ir.graph import LSTMAttrs
        o = _options(op, tflite.UnidirectionalSequenceLSTMOptions)
        if o is None:
            return LSTMAttrs("NONE", 0.0, 0.0, False, False)
        code = o.FusedActivationFunction()
        return LSTMAttrs(ACT_NAMES.get(code, f"code {code}"), float(o.CellClip()), float(o.ProjClip()),
                         bool(o.TimeMajor()), bool(o.AsymmetricQuantizeInputs()))
    if kind == "SVDF":
        from ..ir.graph import SVDFAttrs
        o = _options(op, tflite.SVDFOptions)
        if o is None:
            return SVDFAttrs(0, "NONE", False)
        code = o.FusedActivationFunction()
        return SVDFAttrs(int(o.Rank()), ACT_NAMES.get(code, f"code {code}"), bool(o.AsymmetricQuantizeInputs()))
    if kind == "LEAKY_RELU":
        from ..ir.graph import LeakyReluAttrs
        o = _options(op, tflite.LeakyReluOptions)
        return LeakyReluAttrs(float(o.Alpha()) if o is not None else 0.0)
    return NoAttrs()


LSTM_STATE_INPUTS = (18, 19)    # hidden (output) state, cell state


def _lstm_state(i: int, kind: str, ins: tuple, attrs, tensors: list, sg):
    """Take the LSTM's variable state tensors out of its inputs, into its attributes (see LSTMAttrs)."""
    import dataclasses
    if len(ins) != 24:
        raise UnsupportedModelError(f"{kind} (op {i}): has {len(ins)} inputs; TFLite Micro's kernel takes 24")
    states = []
    for pos, what in zip(LSTM_STATE_INPUTS, ("hidden", "cell")):
        k = ins[pos]
        if k < 0 or tensors[k].is_const or not sg.Tensors(k).IsVariable():
            raise UnsupportedModelError(f"{kind} (op {i}): the {what} state (input {pos}) must be a variable tensor "
                                        "(TFLite Micro requires it)")
        t = tensors[k]
        q = t.quant
        states.append((k, t.dtype, t.shape, float(q.scale[0]) if q else 0.0, int(q.zero_point[0]) if q else 0))
    ins = tuple(-1 if p in LSTM_STATE_INPUTS else k for p, k in enumerate(ins))
    return ins, dataclasses.replace(attrs, hidden_state=states[0], cell_state=states[1])


SVDF_STATE_INPUT = 4

# custom ops we compile, read under their custom code (the TFLite Micro op resolver's name)
CUSTOM_KINDS = ("TFLite_Detection_PostProcess",)


def _custom_attrs(i: int, kind: str, op):
    """A custom op's flexbuffer options -> its typed attributes."""
    from flatbuffers import flexbuffers

    from ..ir.graph import DetectionPostProcessAttrs
    raw = op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b""
    try:
        m = flexbuffers.Loads(raw) if raw else {}
    except Exception as e:  # noqa: BLE001 - any decoding failure is a malformed model
        raise ModelFormatError(f"{kind} (op {i}): its custom options are not a flexbuffer map ({e})") from e
    if not isinstance(m, dict):
        raise ModelFormatError(f"{kind} (op {i}): its custom options are not a flexbuffer map")
    need = ("max_detections", "max_classes_per_detection", "nms_score_threshold", "nms_iou_threshold",
            "num_classes", "y_scale", "x_scale", "h_scale", "w_scale")
    missing = [k for k in need if k not in m]
    if missing:
        raise ModelFormatError(f"{kind} (op {i}): its options lack {', '.join(missing)}")
    f32 = lambda k: float(np.float32(m[k]))  # noqa: E731 - TFLite Micro reads them with AsFloat()
    return DetectionPostProcessAttrs(
        int(m["max_detections"]), int(m["max_classes_per_detection"]),
        int(m["detections_per_class"]) if m.get("detections_per_class") is not None else 100,
        bool(m["use_regular_nms"]) if m.get("use_regular_nms") is not None else False,
        f32("nms_score_threshold"), f32("nms_iou_threshold"), int(m["num_classes"]),
        f32("y_scale"), f32("x_scale"), f32("h_scale"), f32("w_scale"))


def _svdf_state(i: int, kind: str, ins: tuple, attrs, tensors: list, sg):
    """Take the SVDF's variable activation state out of its inputs, into its attributes (see SVDFAttrs)."""
    import dataclasses
    if len(ins) != 5:
        raise UnsupportedModelError(f"{kind} (op {i}): has {len(ins)} inputs; TFLite Micro's kernel takes 5 "
                                    "(input, feature weights, time weights, bias, activation state)")
    k = ins[SVDF_STATE_INPUT]
    if k < 0 or tensors[k].is_const or not sg.Tensors(k).IsVariable():
        raise UnsupportedModelError(f"{kind} (op {i}): the activation state (input 4) must be a variable tensor "
                                    "(TFLite Micro requires it)")
    t = tensors[k]
    q = t.quant
    state = (k, t.dtype, t.shape, float(q.scale[0]) if q else 0.0, int(q.zero_point[0]) if q else 0)
    return ins[:SVDF_STATE_INPUT] + (-1,), dataclasses.replace(attrs, state=state)


def _quant(t) -> Quant | None:
    q = t.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    scale = tuple(float(s) for s in q.ScaleAsNumpy())
    bad = [s for s in scale if not (np.isfinite(s) and s >= 0)]
    if bad:
        raise ModelFormatError(f"tensor {(t.Name() or b'').decode('utf-8', 'replace')!r}: quantisation scale "
                               f"{bad[0]} is not a finite "
                               "non-negative number")
    zp = q.ZeroPointAsNumpy()
    zp = tuple(int(z) for z in zp) if not isinstance(zp, int) else (0,) * len(scale)
    if len(zp) == 0:
        zp = (0,) * len(scale)
    if len(zp) != len(scale):
        if len(zp) == 1:
            zp = zp * len(scale)
        else:
            raise ModelFormatError(f"tensor {t.Name()!r}: {len(scale)} scales but {len(zp)} zero points")
    if TYPE_NAMES.get(t.Type()) == "int8" and any(not -128 <= z <= 127 for z in zp):
        bad = next(z for z in zp if not -128 <= z <= 127)
        raise ModelFormatError(f"tensor {(t.Name() or b'').decode('utf-8', 'replace')!r}: int8 zero point {bad} "
                               "is outside [-128, 127]")
    return Quant(scale, zp, int(q.QuantizedDimension()))


def read_tflite(path: str | os.PathLike, name: str | None = None) -> Graph:
    """Parse a .tflite file into a Graph. Raises ModelFormatError / UnsupportedModelError, never crashes."""
    path = Path(path)
    if not path.exists():
        raise ModelFormatError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFormatError(f"{path}: is a folder, not a .tflite file (for a SavedModel, use `mcucompile convert`)")
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ModelFormatError(f"{path}: {size} bytes is too large for a microcontroller model")
    data = path.read_bytes()
    return parse_tflite(data, name or _c_name(path.stem), source=str(path))


def _c_name(stem: str) -> str:
    s = re.sub(r"[^0-9a-zA-Z_]", "_", stem).lower()
    if not s or s[0].isdigit():
        s = "m_" + s
    return s


def parse_tflite(data: bytes, name: str = "model", source: str = "<bytes>") -> Graph:
    if len(data) < 8 or data[4:8] != b"TFL3":
        hint = ""
        if data[:4] == b"\x89HDF":
            hint = " (this is a Keras .h5 file: convert it first with `mcucompile convert`)"
        elif data[:2] == b"PK":
            hint = " (this looks like a .keras archive: convert it first with `mcucompile convert`)"
        raise ModelFormatError(f"{source}: not a TFLite model (no 'TFL3' file identifier){hint}")
    try:
        graph = _parse(data, name, source)
    except (ModelFormatError, UnsupportedModelError):
        raise
    except RecursionError:
        raise ModelFormatError(f"{source}: corrupt TFLite file (nesting too deep)") from None
    except Exception as e:  # flatbuffers raises struct.error, IndexError, ValueError... on bad offsets
        raise ModelFormatError(f"{source}: corrupt or truncated TFLite file ({type(e).__name__}: {e})") from None
    return graph


def _buffer_data(model, data: bytes, buf_index: int, dtype: str, shape, tname: str):
    if buf_index == 0 or buf_index >= model.BuffersLength():
        if buf_index >= model.BuffersLength():
            raise ModelFormatError(f"tensor {tname!r} refers to buffer {buf_index}, "
                                   f"but the model has {model.BuffersLength()} buffers")
        return None
    b = model.Buffers(buf_index)
    off, sz = b.Offset(), b.Size()
    if off > 1:   # large-model layout: data lives after the flatbuffer
        if off + sz > len(data):
            raise ModelFormatError(f"tensor {tname!r}: buffer {buf_index} lies past the end of the file")
        raw = data[off:off + sz]
    else:
        if b.DataLength() == 0:
            return None
        raw = b.DataAsNumpy().tobytes()
    np_dtype = NUMPY_DTYPES.get(dtype)
    if np_dtype is None:
        raise UnsupportedModelError(f"tensor {tname!r}: constant of type {dtype} is not supported")
    n = int(np.prod(shape)) if len(shape) else 1
    itemsize = np.dtype(np_dtype).itemsize
    if len(raw) != n * itemsize:
        raise ModelFormatError(f"tensor {tname!r}: buffer holds {len(raw)} bytes, shape {tuple(shape)} "
                               f"of {dtype} needs {n * itemsize}")
    arr = np.frombuffer(raw, dtype=np_dtype).reshape(shape).copy()
    arr.setflags(write=False)
    return arr


def _tensors(model, data: bytes, sg) -> list[Tensor]:
    """The tensors of subgraph sg (constants with their data)."""
    tensors = []
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        tname = (t.Name() or b"").decode("utf-8", "replace")
        dtype = TYPE_NAMES.get(t.Type())
        if dtype is None:
            raise ModelFormatError(f"tensor {i} ({tname!r}) has unknown type code {t.Type()}")
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        if any(d < 0 for d in shape):
            raise UnsupportedModelError(f"tensor {i} ({tname!r}) has a dynamic shape {shape}; "
                                        "only static shapes are supported (give the Keras input a fixed batch size)")
        if any(d > (1 << 24) for d in shape) or (len(shape) and int(np.prod(shape, dtype=np.float64)) > (1 << 31)):
            raise ModelFormatError(f"tensor {i} ({tname!r}) has an absurd shape {shape}")
        arr = _buffer_data(model, data, t.Buffer(), dtype, shape, tname) if dtype != "resource" else None
        quant = _quant(t)
        if arr is not None and dtype == "int8" and quant is None:
            raise ModelFormatError(f"tensor {i} ({tname!r}) holds int8 constants without quantisation parameters")
        if arr is None and quant is not None and 0.0 in quant.scale:
            raise ModelFormatError(f"tensor {i} ({tname!r}): an activation with quantisation scale 0")
        tensors.append(Tensor(i, tname, shape, dtype, quant, arr))
    return tensors


def _parse(data: bytes, name: str, source: str) -> Graph:
    model = tflite.Model.GetRootAsModel(data, 0)
    nsub = model.SubgraphsLength()
    if nsub == 0:
        raise ModelFormatError(f"{source}: the model has no subgraph")
    sg = model.Subgraphs(0)
    ntensors = sg.TensorsLength()
    tensors = _tensors(model, data, sg)
    variables = Variables(model, data, source, tensors, _tensors, OP_NAMES)

    def check_index(k, what):
        if not (-1 <= k < ntensors):
            raise ModelFormatError(f"{what} refers to tensor {k}, but the model has {ntensors} tensors")
        return k

    inputs = tuple(check_index(int(k), "a model input") for k in sg.InputsAsNumpy()) if sg.InputsLength() else ()
    outputs = tuple(check_index(int(k), "a model output") for k in sg.OutputsAsNumpy()) if sg.OutputsLength() else ()
    for what, ks in (("input", inputs), ("output", outputs)):
        for k in ks:
            if k < 0 or tensors[k].is_const:
                raise ModelFormatError(f"{source}: model {what} tensor {k} is "
                                       f"{'absent' if k < 0 else 'a constant'}; model inputs and outputs "
                                       "must be activations")
    ops = []
    unsupported = []
    from ..codegen.lowering import load_all
    from ..codegen.registry import REGISTRY
    load_all()
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        oc_index = op.OpcodeIndex()
        if oc_index >= model.OperatorCodesLength():
            raise ModelFormatError(f"op {i} refers to operator code {oc_index}, "
                                   f"but the model has {model.OperatorCodesLength()}")
        oc = model.OperatorCodes(oc_index)
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        kind = OP_NAMES.get(code, f"UNKNOWN_{code}")
        if kind == "CUSTOM":
            custom = (oc.CustomCode() or b"?").decode("utf-8", "replace")
            kind = custom if custom in CUSTOM_KINDS else "CUSTOM:" + custom
        ins = tuple(check_index(int(k), f"op {i} ({kind})") for k in op.InputsAsNumpy()) if op.InputsLength() else ()
        outs = tuple(check_index(int(k), f"op {i} ({kind})") for k in op.OutputsAsNumpy()) if op.OutputsLength() else ()
        if kind in VARIABLE_KINDS:
            rewritten = variables.op(i, kind, op, ins, outs)
            if rewritten is not None:
                ops.append(rewritten)
            continue
        need = MIN_INPUTS.get(kind, 1)
        if kind in REGISTRY and (len(ins) < need or not all(k >= 0 for k in ins[:need]) or not outs):
            raise ModelFormatError(f"op {i} ({kind}) has inputs {list(ins)} and outputs {list(outs)}; "
                                   f"it needs at least {need} input{'s' if need > 1 else ''} and an output")
        if kind not in REGISTRY:
            unsupported.append((i, kind))
            attrs = NoAttrs()
        elif kind in CUSTOM_KINDS:
            attrs = _custom_attrs(i, kind, op)
        elif kind.startswith(SIGNAL_PREFIX):
            attrs = signal_attrs(i, kind, bytes(op.CustomOptionsAsNumpy()) if op.CustomOptionsLength() else b"")
        else:
            attrs = _attrs(kind, op)
        if kind == "UNIDIRECTIONAL_SEQUENCE_LSTM" and kind in REGISTRY:
            ins, attrs = _lstm_state(i, kind, ins, attrs, tensors, sg)
        if kind == "SVDF" and kind in REGISTRY:
            ins, attrs = _svdf_state(i, kind, ins, attrs, tensors, sg)
        ops.append(Op(i, kind, ins, outs, attrs))
    if unsupported:
        listing = ", ".join(f"{k} (op {i})" for i, k in unsupported)
        raise UnsupportedModelError(
            f"{source}: {len(unsupported)} unsupported op{'s' if len(unsupported) > 1 else ''}: {listing}. "
            "`mcucompile ops` lists what is supported.")
    if nsub > 1 and variables.init_subgraphs != set(range(1, nsub)):
        raise UnsupportedModelError(f"{source}: the model has {nsub} subgraphs (control flow); only single-subgraph "
                                    "models are supported, and CALL_ONCE's init subgraphs of resource variables")
    graph = Graph(name, tuple(tensors), tuple(ops), inputs, outputs, variables=variables.finish(ops))
    from ..ir.shapes import verify_graph
    verify_graph(graph, source)
    return graph
