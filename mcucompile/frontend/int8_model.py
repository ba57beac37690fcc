"""The converted int8 TFLite model, read back: its ops and dtypes, the layers named in its tensor names,
and LiteRT's reference kernels running it (float in, dequantised float out). Shared by the Keras and the
ONNX conversion paths (keras_convert.py, onnx_convert.py), inside their child process."""

from __future__ import annotations

import re

import numpy as np

from .metrics import dequantize


def _signature_order(names) -> list:
    return sorted(names, key=lambda k: (int(m.group(1)) if (m := re.fullmatch(r"output_(\d+)", k)) else 1 << 30, k))



def layers_in_name(name: str, layers: dict, exact_first: bool = False) -> list[str]:
    """Keras layers (or ops) named in a TensorFlow node or TFLite tensor name ('model_1/conv2d_1/BiasAdd;...').
    The first component is the model's scope; TensorFlow suffixes `_<n>` to every layer scope, so scope
    'conv2d_1' is layer 'conv2d' first of all, and layer 'conv2d_1' only when there is no 'conv2d'
    (`exact_first`, for ONNX node scopes, which TensorFlow leaves as they are: the other way round)."""
    lower = {k.lower(): k for k in layers}
    found: list[str] = []
    for part in name.split(";"):
        for comp in part.split("/")[1:]:
            m = re.fullmatch(r"(.+)_\d+", comp)
            for c in ([comp] + ([m.group(1)] if m else [])) if exact_first else ([m.group(1)] if m else []) + [comp]:
                hit = c if c in layers else lower.get(c.lower())
                if hit:
                    if hit not in found:
                        found.append(hit)
                    break
    return found


def _raw_ops(data: bytes) -> list[tuple]:
    """(op name, [(input dtype, is constant)], [output dtype], [output tensor names]) per op, no checks."""
    import tflite

    from .tflite_reader import OP_NAMES, TYPE_NAMES
    model = tflite.Model.GetRootAsModel(data, 0)
    sg = model.Subgraphs(0)
    res = []
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        oc = model.OperatorCodes(op.OpcodeIndex())
        code = max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        ins = [sg.Tensors(j) for j in (op.InputsAsNumpy() if op.InputsLength() else []) if j >= 0]
        outs = [sg.Tensors(j) for j in (op.OutputsAsNumpy() if op.OutputsLength() else [])]
        res.append((OP_NAMES.get(code, str(code)),
                    [(TYPE_NAMES.get(t.Type(), "?"), model.Buffers(t.Buffer()).DataLength() > 0) for t in ins],
                    [TYPE_NAMES.get(t.Type(), "?") for t in outs], [t.Name().decode() for t in outs]))
    return res


FLOAT_TYPES = {"float32", "float16", "float64"}


def float_ops(data: bytes) -> list[tuple[int, str, str]]:
    """(op index, op name, output tensor name) of ops left in float by the converter."""
    ops = _raw_ops(data)
    bad = [(k, name, (onames or ["?"])[0]) for k, (name, ins, outs, onames) in enumerate(ops)
           if any(dt in FLOAT_TYPES for dt, _ in ins) or any(dt in FLOAT_TYPES for dt in outs)]
    core = [b for b in bad if b[1] not in ("QUANTIZE", "DEQUANTIZE")]
    return core or bad


def _interpreter(data: bytes, preserve: bool = False):
    from ai_edge_litert.interpreter import Interpreter, OpResolverType
    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_REF,
                     experimental_preserve_all_tensors=preserve)
    it.allocate_tensors()
    return it


class _Int8Runner:
    """LiteRT's reference kernels on the int8 model, float in, dequantised float out (signature order)."""

    def __init__(self, data: bytes, specs, preserve: bool = False):
        self.it = _interpreter(data, preserve)
        sig = self.it._get_full_signature_list()
        if sig:
            s = next(iter(sig.values()))
            ins, outs = s["inputs"], s["outputs"]
            in_idx = [ins[sp.name] if sp.name in ins else list(ins.values())[k] for k, sp in enumerate(specs)]
            out_idx = [outs[k] for k in _signature_order(outs)]
        else:
            in_idx = [d["index"] for d in self.it.get_input_details()]
            out_idx = [d["index"] for d in self.it.get_output_details()]
        det = {d["index"]: d for d in self.it.get_tensor_details()}
        self.inputs = [det[i] for i in in_idx]
        self.outputs = [det[i] for i in out_idx]

    def __call__(self, xs: list[np.ndarray]) -> list[np.ndarray]:
        for d, x in zip(self.inputs, xs):
            scale, zp = d["quantization"]
            q = np.clip(np.round(x / scale) + zp, -128, 127).astype(np.int8)
            self.it.set_tensor(d["index"], q.reshape(d["shape"]))
        self.it.invoke()
        return [dequantize(self.it.get_tensor(d["index"]), d) for d in self.outputs]


