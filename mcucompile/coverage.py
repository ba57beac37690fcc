"""Coverage of TensorFlow Lite Micro's ops: every op its MicroMutableOpResolver can register, whether we
compile it, and why not where we do not.

TFLITE_MICRO_OPS lists the builtins and custom ops TFLite Micro's op resolver offers (its
micro_mutable_op_resolver.h, Add* methods). "ours" comes from our lowering registry (what `mcucompile
ops` lists; a custom op is registered there as CUSTOM:<code>), so an op we add shows up here without edits;
NOT_YET and OUT_OF_SCOPE give the reason for the rest. Quantisation schemes: int8 (int8 activations and
weights) is what we compile; 16x8 (int16 activations, int8 weights) compiles for the op kinds in
ir/shapes.py's INT16_KINDS (the one dtype gate); float models are converted to int8 first (`mcucompile
convert`), float32 tensors only appear at a QUANTIZE input or DEQUANTIZE output, and around
TFLite_Detection_PostProcess (float32 in TFLite Micro).
"""

from __future__ import annotations

from dataclasses import dataclass

TFLITE_MICRO_OPS = (
    "ABS", "ADD", "ADD_N", "ARG_MAX", "ARG_MIN", "ASSIGN_VARIABLE", "AVERAGE_POOL_2D", "BATCH_MATMUL",
    "BATCH_TO_SPACE_ND", "BROADCAST_ARGS", "BROADCAST_TO", "CALL_ONCE", "CAST", "CEIL", "CONCATENATION",
    "CONV_2D", "COS", "CUMSUM", "DEPTHWISE_CONV_2D", "DEPTH_TO_SPACE", "DEQUANTIZE", "DIV",
    "DYNAMIC_UPDATE_SLICE", "ELU", "EMBEDDING_LOOKUP", "EQUAL", "EXP", "EXPAND_DIMS", "FILL", "FLOOR",
    "FLOOR_DIV", "FLOOR_MOD", "FULLY_CONNECTED", "GATHER", "GATHER_ND", "GREATER", "GREATER_EQUAL",
    "HARD_SWISH", "IF", "L2_NORMALIZATION", "L2_POOL_2D", "LEAKY_RELU", "LESS", "LESS_EQUAL", "LOG",
    "LOGICAL_AND", "LOGICAL_NOT", "LOGICAL_OR", "LOGISTIC", "LOG_SOFTMAX", "MAXIMUM", "MAX_POOL_2D", "MEAN",
    "MINIMUM", "MIRROR_PAD", "MUL", "NEG", "NOT_EQUAL", "PACK", "PAD", "PADV2", "PRELU", "QUANTIZE",
    "READ_VARIABLE", "REDUCE_ALL", "REDUCE_MAX", "REDUCE_MIN", "RELU", "RELU6", "RESHAPE", "RESIZE_BILINEAR",
    "RESIZE_NEAREST_NEIGHBOR", "REVERSE_V2", "ROUND", "RSQRT", "SELECT_V2", "SHAPE", "SIN", "SLICE", "SOFTMAX",
    "SPACE_TO_BATCH_ND", "SPACE_TO_DEPTH", "SPLIT", "SPLIT_V", "SQRT", "SQUARE", "SQUARED_DIFFERENCE",
    "SQUEEZE", "STRIDED_SLICE", "SUB", "SUM", "SVDF", "TANH", "TRANSPOSE", "TRANSPOSE_CONV",
    "UNIDIRECTIONAL_SEQUENCE_LSTM", "UNPACK", "VAR_HANDLE", "WHILE", "ZEROS_LIKE",
    # custom ops TFLite Micro registers
    "TFLite_Detection_PostProcess", "CIRCULAR_BUFFER", "SignalDelay", "SignalEnergy", "SignalFftAutoScale",
    "SignalFilterBank", "SignalFilterBankLog", "SignalFilterBankSpectralSubtraction", "SignalFilterBankSquareRoot",
    "SignalFramer", "SignalIrfft",
    "SignalOverlapAdd", "SignalPCAN", "SignalRfft", "SignalStacker", "SignalWindow",
)

# why an op has no int8 compilation yet (work planned) ...
_SIGNAL = "the audio front end (Signal library): streaming and synthesis ops, not compiled yet"
NOT_YET = {
    "CIRCULAR_BUFFER": "streaming state between invokes, and invokes that end the graph early (kTfLiteAbort "
                       "until every cycles_max-th call); TFLite Micro's first num_slots - 1 outputs hold "
                       "uninitialised arena bytes: not compiled yet",
    **{k: _SIGNAL for k in ("SignalDelay", "SignalFramer", "SignalIrfft", "SignalOverlapAdd", "SignalStacker")},
}
# ... and the ops we do not mean to compile
OUT_OF_SCOPE = {
    "WHILE": "control flow (a data-dependent number of steps over a second subgraph)",
    "IF": "control flow (a data-dependent choice of subgraph)",
    "COS": "TFLite Micro computes it in float32 only", "SIN": "TFLite Micro computes it in float32 only",
    "CEIL": "TFLite Micro computes it in float32 only", "FLOOR": "TFLite Micro computes it in float32 only",
    "ROUND": "TFLite Micro computes it in float32 only",
    "FLOOR_DIV": "TFLite Micro computes it in float32 and int32 only",
    "FLOOR_MOD": "TFLite Micro computes it in float32 and int32 only",
    "SQUARE": "TFLite Micro computes it in float32 only",
    "L2_POOL_2D": "TFLite Micro computes it in float32 only (its Prepare requires float32)",
}
SIXTEEN_BY_EIGHT = "16x8 quantisation (int16 activations): not compiled yet for this op"


@dataclass(frozen=True)
class Coverage:
    op: str
    int8: bool
    int16: bool
    reason: str            # why not (int8), empty when we compile it

    def as_dict(self) -> dict:
        return {"op": self.op, "int8": self.int8, "int16x8": self.int16, "reason": self.reason,
                "reason_16x8": "" if self.int16 else SIXTEEN_BY_EIGHT}


def registry_kind(op: str) -> str:
    """Our registry's name of TFLite Micro op `op`: the builtin's name, CUSTOM:<code> for a Signal op, and
    TFLite_Detection_PostProcess under its own name (the reader's CUSTOM_KINDS)."""
    from .frontend.tflite_reader import CUSTOM_KINDS
    return op if op.isupper() or op in CUSTOM_KINDS else f"CUSTOM:{op}"


def coverage() -> list[Coverage]:
    from .codegen.lowering import load_all
    from .codegen.registry import REGISTRY
    from .ir.shapes import INT16_KINDS
    load_all()
    out = []
    for op in TFLITE_MICRO_OPS:
        ours = registry_kind(op) in REGISTRY
        why = "" if ours else NOT_YET.get(op) or OUT_OF_SCOPE.get(op) or "not compiled yet"
        out.append(Coverage(op, ours, ours and op in INT16_KINDS, why))
    return out


def markdown(rows: list[Coverage]) -> str:
    """The README's coverage table."""
    n = sum(r.int8 for r in rows)
    n16 = sum(r.int16 for r in rows)
    lines = [f"{n} of the {len(rows)} ops TFLite Micro's op resolver offers compile (int8); {n16} of them also "
             "with 16x8 quantisation (int16 activations, int8 weights).", "",
             "| TFLite Micro op | int8 | 16x8 | why not |", "|---|:-:|:-:|---|"]
    for r in rows:
        lines.append(f"| {r.op} | {'yes' if r.int8 else 'no'} | {'yes' if r.int16 else 'no'} | {r.reason} |")
    return "\n".join(lines)


def main() -> int:
    print(markdown(coverage()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
