"""Build small .tflite flatbuffers directly (no TensorFlow): for reader and error-path tests."""

from __future__ import annotations

from dataclasses import dataclass, field

import flatbuffers
import numpy as np
import tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.BuiltinOptions import BuiltinOptions
from tflite.TensorType import TensorType


@dataclass
class T:
    shape: tuple
    dtype: str = "int8"                   # int8, float32, int32, int16
    scale: list | None = None
    zero_point: list | None = None
    data: np.ndarray | None = None
    name: str = ""
    variable: bool = False                # a variable tensor (an LSTM's state)


@dataclass
class O:
    kind: str                             # builtin name, e.g. "FULLY_CONNECTED"; "CUSTOM:<code>" a custom op
    inputs: list
    outputs: list
    fc_activation: int = 0                # FullyConnectedOptions.fused_activation_function
    options: tuple | None = None          # (options table name, {field: value}), e.g. ("GatherOptions", {"Axis": 1})
    custom_options: bytes | None = None   # a custom op's options (a flexbuffer: flexbuffers.Dumps({...}))


@dataclass
class M:
    tensors: list
    ops: list
    inputs: list
    outputs: list
    extra_buffers: int = 0
    opcode_override: dict = field(default_factory=dict)   # op position -> opcode index (to corrupt)


def _ivec(b, start_fn, values):
    start_fn(b, len(values))
    for v in reversed(values):
        b.PrependInt32(int(v))
    return b.EndVector()


def build(m: M) -> bytes:
    b = flatbuffers.Builder(1024)
    # buffers: 0 is the empty sentinel
    buf_offsets = []
    tensor_buf = []
    datas = [None] + [t.data for t in m.tensors if t.data is not None]
    for d in datas:
        if d is None:
            tflite.BufferStart(b)
            buf_offsets.append(tflite.BufferEnd(b))
            continue
        raw = np.ascontiguousarray(d).tobytes()
        vec = b.CreateByteVector(raw)
        tflite.BufferStart(b)
        tflite.BufferAddData(b, vec)
        buf_offsets.append(tflite.BufferEnd(b))
    for _ in range(m.extra_buffers):
        tflite.BufferStart(b)
        buf_offsets.append(tflite.BufferEnd(b))
    k = 1
    for t in m.tensors:
        if t.data is not None:
            tensor_buf.append(k)
            k += 1
        else:
            tensor_buf.append(0)

    tensor_offs = []
    for i, t in enumerate(m.tensors):
        name = b.CreateString(t.name or f"t{i}")
        shape = _ivec(b, tflite.TensorStartShapeVector, t.shape)
        q = None
        if t.scale is not None:
            tflite.QuantizationParametersStartScaleVector(b, len(t.scale))
            for s in reversed(t.scale):
                b.PrependFloat32(float(s))
            sv = b.EndVector()
            zps = t.zero_point if t.zero_point is not None else [0] * len(t.scale)
            tflite.QuantizationParametersStartZeroPointVector(b, len(zps))
            for z in reversed(zps):
                b.PrependInt64(int(z))
            zv = b.EndVector()
            tflite.QuantizationParametersStart(b)
            tflite.QuantizationParametersAddScale(b, sv)
            tflite.QuantizationParametersAddZeroPoint(b, zv)
            q = tflite.QuantizationParametersEnd(b)
        tflite.TensorStart(b)
        tflite.TensorAddShape(b, shape)
        tflite.TensorAddType(b, getattr(TensorType, t.dtype.upper()))
        tflite.TensorAddBuffer(b, tensor_buf[i])
        tflite.TensorAddName(b, name)
        if q is not None:
            tflite.TensorAddQuantization(b, q)
        if t.variable:
            tflite.TensorAddIsVariable(b, True)
        tensor_offs.append(tflite.TensorEnd(b))

    kinds = []
    for o in m.ops:
        if o.kind not in kinds:
            kinds.append(o.kind)
    op_offs = []
    for pos, o in enumerate(m.ops):
        ins = _ivec(b, tflite.OperatorStartInputsVector, o.inputs)
        outs = _ivec(b, tflite.OperatorStartOutputsVector, o.outputs)
        custom = b.CreateByteVector(bytes(o.custom_options)) if o.custom_options is not None else None
        opt = None
        if o.kind == "FULLY_CONNECTED" and o.options is None:
            tflite.FullyConnectedOptionsStart(b)
            tflite.FullyConnectedOptionsAddFusedActivationFunction(b, o.fc_activation)
            opt = tflite.FullyConnectedOptionsEnd(b)
        elif o.options is not None:
            table, fields = o.options
            getattr(tflite, f"{table}Start")(b)
            for key, value in fields.items():
                getattr(tflite, f"{table}Add{key}")(b, value)
            opt = getattr(tflite, f"{table}End")(b)
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, m.opcode_override.get(pos, kinds.index(o.kind)))
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if custom is not None:
            tflite.OperatorAddCustomOptions(b, custom)
            tflite.OperatorAddCustomOptionsFormat(b, 0)      # FLEXBUFFERS
        if opt is not None:
            tflite.OperatorAddBuiltinOptionsType(
                b, getattr(BuiltinOptions, o.options[0] if o.options is not None else "FullyConnectedOptions"))
            tflite.OperatorAddBuiltinOptions(b, opt)
        op_offs.append(tflite.OperatorEnd(b))

    def vec_of(start_fn, offs):
        start_fn(b, len(offs))
        for x in reversed(offs):
            b.PrependUOffsetTRelative(x)
        return b.EndVector()

    tv = vec_of(tflite.SubGraphStartTensorsVector, tensor_offs)
    ov = vec_of(tflite.SubGraphStartOperatorsVector, op_offs)
    iv = _ivec(b, tflite.SubGraphStartInputsVector, m.inputs)
    outv = _ivec(b, tflite.SubGraphStartOutputsVector, m.outputs)
    tflite.SubGraphStart(b)
    tflite.SubGraphAddTensors(b, tv)
    tflite.SubGraphAddOperators(b, ov)
    tflite.SubGraphAddInputs(b, iv)
    tflite.SubGraphAddOutputs(b, outv)
    sg = tflite.SubGraphEnd(b)

    oc_offs = []
    # a custom op: kind "CUSTOM:<code>", or a kind that is no builtin (e.g. "TFLite_Detection_PostProcess")
    custom_codes = {kind: b.CreateString(kind.split(":", 1)[1] if kind.startswith("CUSTOM:") else kind)
                    for kind in kinds if kind.startswith("CUSTOM:") or not hasattr(BuiltinOperator, kind)}
    for kind in kinds:
        code = BuiltinOperator.CUSTOM if kind in custom_codes else getattr(BuiltinOperator, kind)
        tflite.OperatorCodeStart(b)
        if kind in custom_codes:
            tflite.OperatorCodeAddCustomCode(b, custom_codes[kind])
        tflite.OperatorCodeAddBuiltinCode(b, code)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
        tflite.OperatorCodeAddVersion(b, 1)
        oc_offs.append(tflite.OperatorCodeEnd(b))
    ocv = vec_of(tflite.ModelStartOperatorCodesVector, oc_offs)
    sgv = vec_of(tflite.ModelStartSubgraphsVector, [sg])
    bv = vec_of(tflite.ModelStartBuffersVector, buf_offsets)
    tflite.ModelStart(b)
    tflite.ModelAddVersion(b, 3)
    tflite.ModelAddOperatorCodes(b, ocv)
    tflite.ModelAddSubgraphs(b, sgv)
    tflite.ModelAddBuffers(b, bv)
    model = tflite.ModelEnd(b)
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


def fc_model(n_in=8, n_out=4, dtype="int8", extra_ops=(), seed=0) -> M:
    """input -> FULLY_CONNECTED -> output, then the listed extra op kinds chained (each int8 -> int8)."""
    rng = np.random.default_rng(seed)
    q = dict(scale=[0.05], zero_point=[3]) if dtype == "int8" else {}
    tensors = [T((1, n_in), dtype, **q, name="input"),
               T((n_out, n_in), "int8", scale=[0.02], zero_point=[0],
                 data=rng.integers(-127, 128, size=(n_out, n_in), dtype=np.int8), name="weights"),
               T((n_out,), "int32", scale=[0.001], zero_point=[0],
                 data=rng.integers(-500, 500, size=(n_out,), dtype=np.int32), name="bias"),
               T((1, n_out), dtype, **({"scale": [0.1], "zero_point": [-5]} if dtype == "int8" else {}),
                 name="fc_out")]
    ops = [O("FULLY_CONNECTED", [0, 1, 2], [3])]
    last = 3
    for kind in extra_ops:
        tensors.append(T((1, n_out), dtype, **({"scale": [0.1], "zero_point": [-5]} if dtype == "int8" else {}),
                         name=f"{kind.lower()}_out"))
        ops.append(O(kind, [last], [len(tensors) - 1]))
        last = len(tensors) - 1
    return M(tensors, ops, [0], [last])
