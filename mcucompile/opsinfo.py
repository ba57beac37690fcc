"""What `mcucompile ops` prints: every op the lowering registry knows, with its constraints.

The list of ops comes from the lowering registry (mcucompile/codegen/lowering.py REGISTRY), so an op
registered there shows up here without edits; the facts the registry holds (kernel scratch memory, alias
without a copy, patch-based execution) are derived from it. The human-readable constraints (dtypes,
ranks, parameters) are data in CONSTRAINTS below; an op registered without an entry is still listed, with
its lowering's docstring and a note that its constraints are checked when it is compiled.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INT8 = "int8 (per-tensor quantised)"
CMP = dict(dtypes=INT8 + " inputs (scales below 1), or int32 / int64 (raw values), or bool (EQUAL, NOT_EQUAL) "
                  "-> bool output", ranks="up to 6-D after broadcasting",
                  params="NumPy-style broadcasting (a constant operand too); inputs rescaled as TFLite Micro does")

# kind -> (dtypes, ranks, parameters, notes)
CONSTRAINTS: dict[str, dict] = {
    "CONV_2D": dict(
        dtypes="int8 input/output; int8 filter (per-channel or per-tensor, zero point 0); int32 bias",
        ranks="4-D NHWC input/output, filter [O, KH, KW, I]",
        params="any stride and dilation >= 1; padding SAME or VALID; fused NONE, RELU, RELU6, RELU_N1_TO_1; "
               "no grouped convolution"),
    "DEPTHWISE_CONV_2D": dict(
        dtypes="int8 input/output; int8 filter (per-channel or per-tensor, zero point 0); int32 bias",
        ranks="4-D NHWC input/output, filter [1, KH, KW, C*M]",
        params="any stride, dilation and depth multiplier >= 1; padding SAME or VALID; "
               "fused NONE, RELU, RELU6, RELU_N1_TO_1"),
    "FULLY_CONNECTED": dict(
        dtypes="int8 input/output; constant int8 weights (per-channel or per-tensor); int32 bias",
        ranks="any input whose size is a multiple of the weights' depth; weights [O, D]",
        params="fused NONE, RELU, RELU6, RELU_N1_TO_1; keep_num_dims"),
    "AVERAGE_POOL_2D": dict(
        dtypes=INT8 + "; input and output quantisation equal",
        ranks="4-D NHWC", params="any filter and stride; padding SAME or VALID; fused activations"),
    "MAX_POOL_2D": dict(
        dtypes=INT8 + "; input and output quantisation equal",
        ranks="4-D NHWC", params="any filter and stride; padding SAME or VALID; fused activations"),
    "ADD": dict(dtypes=INT8, ranks="up to 6-D after broadcasting",
                params="NumPy-style broadcasting of either operand; fused activations"),
    "MAXIMUM": dict(dtypes=INT8 + "; both inputs quantised like the output", ranks="up to 6-D after broadcasting",
                    params="NumPy-style broadcasting of either operand (a constant operand too)"),
    "MINIMUM": dict(dtypes=INT8 + "; both inputs quantised like the output", ranks="up to 6-D after broadcasting",
                    params="NumPy-style broadcasting of either operand (a constant operand too)"),
    "ABS": dict(dtypes=INT8, ranks="any", params="any input and output quantisation (rescaled as TFLite Micro does)"),
    "NEG": dict(dtypes=INT8 + "; input and output with zero point 0 and one scale", ranks="any",
                params="none (LiteRT's raw-code negation; TFLite Micro has no int8 NEG)"),
    "SOFTMAX": dict(dtypes="int8 input; int8 output with scale 1/256 and zero point -128",
                    ranks="any; over the last axis", params="beta"),
    "RESHAPE": dict(dtypes="any", ranks="any", params="none"),
    "QUANTIZE": dict(dtypes="float32 or int8 input -> int8 output (per-tensor)", ranks="any",
                     params="float32 input only as a model input"),
    "DEQUANTIZE": dict(dtypes="int8 input -> float32 output", ranks="any",
                       params="float32 output only as a model output or read by TFLite_Detection_PostProcess"),
    "PAD": dict(dtypes=INT8 + "; constant int32 paddings", ranks="up to 6-D", params="pads with the zero point"),
    "PADV2": dict(dtypes=INT8 + "; constant int32 paddings and int8 pad value", ranks="up to 6-D",
                  params="pads with the given constant"),
    "MEAN": dict(dtypes=INT8 + "; constant int32 axes", ranks="up to 6-D", params="any axes; keep_dims"),
    "TRANSPOSE": dict(dtypes=INT8 + "; constant int32 permutation", ranks="up to 6-D", params="any permutation"),
    "CONCATENATION": dict(dtypes=INT8 + "; every input quantised like the output", ranks="up to 6-D",
                          params="any axis (negative counts from the end); fused activation NONE"),
    "EXPAND_DIMS": dict(dtypes="any; output quantised like the input", ranks="any",
                        params="any axis (an alias: no code, no copy)"),
    **{k: dict(dtypes="bool inputs and output (0/1 bytes)", ranks="up to 6-D after broadcasting",
               params="NumPy-style broadcasting (a constant operand too)") for k in ("LOGICAL_AND", "LOGICAL_OR")},
    "LOGICAL_NOT": dict(dtypes="bool input and output", ranks="any", params="none"),
    "REDUCE_ALL": dict(dtypes="bool input and output; constant int32 axes", ranks="up to 6-D",
                       params="any axes (negative counted from the end), keep_dims either way"),
    "DYNAMIC_UPDATE_SLICE": dict(
        dtypes=INT8 + " operand, update and output quantised alike; int32 start indices (constant, or read at "
               "run time), int64 constant", ranks="1 to 6, the update of the operand's rank",
        params="start indices clamped to [0, operand dim - update dim] as TFLite Micro clamps them"),
    "EMBEDDING_LOOKUP": dict(
        dtypes=INT8 + " value and output quantised alike; 1-D int32 ids (constant or computed)",
        ranks="value 2-D or more", params="none (the hybrid int8 -> float32 form is not compiled)"),
    "BROADCAST_ARGS": dict(dtypes="two constant 1-D int32 or int64 shapes (a folded SHAPE's too); output of "
                                  "their dtype", ranks="1-D", params="folded into a constant by graph "
                                  "normalisation (fold_broadcast_args); one that stays is refused"),
    "REVERSE_V2": dict(dtypes=INT8 + "; constant int32 axes; output quantised like the input",
                       ranks="up to 6-D", params="one or more contiguous axes (negative counted from the end)"),
    "SLICE": dict(dtypes=INT8 + "; constant int32/int64 begin and size; output quantised like the input",
                  ranks="up to 6-D", params="size -1 (to the end of the axis)"),
    "PACK": dict(dtypes=INT8 + "; every input quantised like the output", ranks="up to 6-D output",
                 params="any axis (negative counts from the end)"),
    "UNPACK": dict(dtypes=INT8 + "; every output quantised like the input", ranks="up to 6-D",
                   params="any axis (negative counts from the end)"),
    "SPACE_TO_DEPTH": dict(dtypes=INT8 + "; output quantised like the input", ranks="4-D NHWC",
                           params="any block size dividing height and width"),
    "DEPTH_TO_SPACE": dict(dtypes=INT8 + "; output quantised like the input", ranks="4-D NHWC",
                           params="any block size whose square divides the depth"),
    "GATHER": dict(dtypes=INT8 + " params (activation or constant); int32 or int64 indices (constant or "
                          "computed); output quantised like the params",
                   ranks="output up to 6-D after merging",
                   params="any axis and batch_dims; computed indices out of range write zeros"),
    "GATHER_ND": dict(dtypes=INT8 + " params (activation or constant); int32 indices (constant or computed); "
                             "output quantised like the params",
                      ranks="any params rank; index depth up to 5",
                      params="computed indices out of range write zeros (TFLite Micro: an error)"),
    "MIRROR_PAD": dict(dtypes=INT8 + "; constant int32/int64 paddings; output quantised like the input",
                       ranks="any (up to 6 padded dimensions after merging)",
                       params="REFLECT (pads < dimension) or SYMMETRIC (pads <= dimension)"),
    "EQUAL": CMP, "NOT_EQUAL": CMP, "LESS": CMP, "LESS_EQUAL": CMP, "GREATER": CMP, "GREATER_EQUAL": CMP,
    "SELECT_V2": dict(dtypes="bool condition; " + INT8 + " operands quantised like the output",
                      ranks="up to 6-D after broadcasting", params="NumPy-style broadcasting of all three inputs"),
    "SELECT": dict(dtypes="bool condition; " + INT8 + " operands quantised like the output",
                   ranks="any; operands of the output's shape",
                   params="condition of the output's shape or a vector over its first dimension (LiteRT's "
                          "kernel: TFLite Micro has no SELECT)"),
    "CAST": dict(dtypes="int8, int16, int32 or bool -> int8, int16, int32 or float32", ranks="any",
                 params="raw values (an int8 code casts as the integer it is); narrowing keeps the low bits"),
    "ZEROS_LIKE": dict(dtypes="int8, int32 or int64", ranks="any",
                       params="raw zeros (int8: code 0, not the zero point)"),
    "FILL": dict(dtypes="int8 (quantised like the output) or int32 scalar value; constant int32/int64 dims",
                 ranks="any", params="the value a constant or computed"),
    "ELU": dict(dtypes=INT8, ranks="any", params="any quantisation (TFLite Micro's float32 table)"),
    "EXP": dict(dtypes=INT8, ranks="any",
                params="any quantisation whose table entries fit int32 (LiteRT's float32 table; TFLite Micro "
                       "has float32 EXP only)"),
    "LOG": dict(dtypes=INT8, ranks="any",
                params="any quantisation (LiteRT's float32 table: x <= 0 gives the lowest output code; TFLite "
                       "Micro has float32 LOG only)"),
    "RSQRT": dict(dtypes=INT8, ranks="any",
                  params="any quantisation (TFLite Micro's integer arithmetic); codes below the input zero point "
                         "(an error in TFLite) give the result for q - zero point = 1"),
    "SQRT": dict(dtypes=INT8, ranks="any",
                 params="any quantisation (LiteRT's truncating float32 arithmetic; TFLite Micro has float32 SQRT "
                        "only); codes below the input zero point (an error in LiteRT) give the output zero point"),
    "PRELU": dict(dtypes=INT8 + " input; int8 alpha (constant or computed) with one scale",
                  ranks="up to 6-D after broadcasting",
                  params="alpha broadcast against the input (per channel, per element, a scalar)"),
    "SQUARED_DIFFERENCE": dict(dtypes=INT8, ranks="up to 6-D after broadcasting",
                               params="NumPy-style broadcasting of either operand (a constant operand too)"),
    "ADD_N": dict(dtypes=INT8 + "; every input of one quantisation", ranks="any; inputs of the output's shape",
                  params="2 to 8 inputs (LiteRT has no int8 ADD_N: TFLite Micro's arithmetic)"),
    "REDUCE_MAX": dict(dtypes=INT8 + "; constant int32 axes; output quantised like the input", ranks="up to 6-D",
                       params="any axes; keep_dims"),
    "REDUCE_MIN": dict(dtypes=INT8 + "; constant int32 axes; output quantised like the input", ranks="up to 6-D",
                       params="any axes; keep_dims"),
    "L2_NORMALIZATION": dict(dtypes="int8 input; int8 output with scale 1/128 and zero point 0", ranks="any",
                             params="over the last axis (up to 33025 elements); fused activation NONE"),
    "BATCH_TO_SPACE_ND": dict(dtypes=INT8 + "; constant int32 block_shape and crops; output quantised like the "
                                     "input", ranks="3-D or more (1 or more spatial axes after the batch)",
                              params="any block shape and crops"),
    "SPACE_TO_BATCH_ND": dict(dtypes=INT8 + "; constant int32 block_shape and paddings; output quantised like "
                                     "the input", ranks="3-D or more (1 or more spatial axes after the batch)",
                              params="any block shape dividing the spatial axes; paddings 0 only"),
    "BROADCAST_TO": dict(dtypes=INT8 + "; constant int32/int64 shape; output quantised like the input",
                         ranks="up to 5-D output", params="NumPy-style broadcasting"),
    "LOG_SOFTMAX": dict(dtypes="int8 input; int8 output with scale 16/256 and zero point 127",
                        ranks="any; over the last axis", params="none (TFLite Micro's fixed-point arithmetic)"),
    "SHAPE": dict(dtypes="any input; int32 or int64 output", ranks="any",
                  params="folded into a constant when compiling (not as a model output)"),
    "CUMSUM": dict(dtypes=INT8 + "; constant int32 axis", ranks="any",
                   params="exclusive, reverse (TFLite Micro's arithmetic; LiteRT has no int8 CUMSUM)"),
    "UNIDIRECTIONAL_SEQUENCE_LSTM": dict(
        dtypes="int8 input/output and hidden state; int16 cell state; constant per-tensor int8 weights; int32 "
               "biases",
        ranks="3-D input [B, T, I] (time_major: [T, B, I]); weights [S, I] and [S, S]",
        params="the standard LSTM (TFLite Micro's integer kernel): tanh cell activation, cell_clip, time_major; "
               "no CIFG, peephole, projection or layer normalisation; the hidden and cell state (variable "
               "tensors) persist between invokes in the state region, zero (h at its zero point) after "
               "<model>_reset(), as TFLite Micro's"),
    "SVDF": dict(
        dtypes="int8 input/output; constant per-tensor int8 feature weights and int32 bias; int16 time weights "
               "with an int16 activation state, or int8 time weights with an int8 activation state",
        ranks="2-D input [B, I], output [B, units]; weights [filters, I] and [filters, memory]",
        params="any rank dividing the filters, batch, memory size (TFLite Micro's integer kernel); fused "
               "activation NONE or RELU, not applied (as TFLite Micro); the state (a variable tensor) persists "
               "between invokes in the state region, reset by <model>_reset() as TFLite Micro resets it (int16: "
               "zero; int8: the zero point); no float or hybrid SVDF"),
    "TFLite_Detection_PostProcess": dict(
        dtypes="float32 box encodings and class predictions (a DEQUANTIZE before it: TFLite Micro's kernel "
               "reads float32 only); constant float32 anchors; float32 boxes, classes, scores and count",
        ranks="box encodings [1, N, >= 4], class predictions [1, N, C or C + 1 (background)], anchors [N, 4]; "
              "outputs [1, D, 4], [1, D], [1, D], [1]",
        params="the custom op's flexbuffer options (max_detections, max_classes_per_detection, "
               "detections_per_class, use_regular_nms, nms_score_threshold, nms_iou_threshold, num_classes, "
               "y/x/h/w_scale); fast and regular NMS as TFLite Micro computes them (float32 bit-exact, its "
               "fast NMS's row layout with several classes per box); D must hold the rows TFLite Micro can "
               "write"),
    # the audio front end: TFLite Micro's signal library (custom ops, options in a flexbuffer)
    "CUSTOM:SignalWindow": dict(dtypes="int16 samples, constant int16 window -> int16", ranks="any; the window "
                                "repeats over the last axis", params="shift 0..31 (saturating, as TFLite Micro)"),
    "CUSTOM:SignalFftAutoScale": dict(dtypes="int16 -> int16 and an int32 scalar (the shift)", ranks="any",
                                      params="none"),
    "CUSTOM:SignalRfft": dict(dtypes="int16 -> int16 complex pairs (kiss_fft 16-bit fixed point; not the int32 "
                              "or float32 variants)", ranks="frames on the last axis, zero-padded",
                              params="fft_length a power of two, 4..32768 (radix 4 and 2 stages)"),
    "CUSTOM:SignalEnergy": dict(dtypes="int16 complex pairs -> uint32", ranks="1-D",
                                params="start_index, end_index (the other bins are written 0)"),
    "CUSTOM:SignalFilterBank": dict(dtypes="uint32 -> uint64; constant int16 tables", ranks="1-D",
                                    params="num_channels; the tables' reads are checked at compile time"),
    "CUSTOM:SignalFilterBankSquareRoot": dict(dtypes="uint64 and an int32 scalar (shift) -> uint32",
                                              ranks="1-D", params="none"),
    "CUSTOM:SignalFilterBankSpectralSubtraction": dict(
        dtypes="uint32 -> uint32 (signal, noise estimate)", ranks="1-D",
        params="the smoothing options and clamping; the noise estimate persists between invokes in the state "
               "region (zero after <model>_reset(), as after TFLite Micro's reset), so frames stream"),
    "CUSTOM:SignalPCAN": dict(dtypes="uint32 signal and noise estimate, constant int16 gain table -> uint32",
                              ranks="1-D", params="snr_shift 0..63; the gain table has at least 125 entries"),
    "CUSTOM:SignalFilterBankLog": dict(dtypes="uint32 -> int16", ranks="1-D",
                                       params="input_correction_bits, output_scale (log table computed at "
                                              "compile time)"),
    "READ_VARIABLE": dict(
        dtypes="int8, int16 or int32 resource variable (a float32 one is refused: quantise the variables)",
        ranks="any; the variable's shape",
        params="copies the variable's value out of the persistent state region (kept between invokes; "
               "<model>_reset() restores the initial value)"),
    "ASSIGN_VARIABLE": dict(
        dtypes="int8, int16 or int32 value (an activation or a constant), the variable's dtype and shape",
        ranks="any; the variable's shape",
        params="copies the value into the variable's slot of the persistent state region"),
    "VAR_HANDLE": dict(
        dtypes="a resource (container, shared name)", ranks="-",
        params="resolved at compile time: names the variable of the READ_VARIABLE / ASSIGN_VARIABLE ops "
               "reading its handle; no code"),
    "CALL_ONCE": dict(
        dtypes="-", ranks="-",
        params="only the TensorFlow converter's variable initialisation: an init subgraph of VAR_HANDLE and "
               "ASSIGN_VARIABLE of constants, before any variable access; evaluated at compile time into "
               "the variables' initial values (set by <model>_reset() and the first invoke); no code"),
}

# 16x8 quantisation (int16 activations, int8 weights) of the ops in INT16_KINDS (mcucompile/ir/shapes.py):
# what the int16 form takes; an op of INT16_KINDS without an entry says _S16_MOVE
_S16_CONV = ("int16 input/output with zero point 0; int8 filter (per-channel or per-tensor, zero point 0); "
             "int64 bias (TFLite Micro's int64 sums and reduced multiplier)")
_S16_MOVE = "int16 throughout (moved as is)"
S16_CONSTRAINTS: dict[str, str] = {
    "CONV_2D": _S16_CONV + "; or an int32 bias (TFLite Micro's int32-accumulator form)",
    "DEPTHWISE_CONV_2D": _S16_CONV, "TRANSPOSE_CONV": _S16_CONV,
    "FULLY_CONNECTED": "int16 input/output with zero point 0; int8 weights (per-channel or per-tensor, zero point "
                       "0); int64 bias, or int32 (TFLite Micro's int32-accumulator form)",
    "QUANTIZE": "float32, int8 or int16 -> int16; int16 -> int8 (per-tensor)",
    "DEQUANTIZE": "int16 -> float32",
    "PAD": "int16 throughout; pads with 0 (as TFLite Micro does for int16)",
    "PADV2": "int16 throughout; any constant int16 pad value",
    "CONCATENATION": "int16 throughout, zero points 0 (copied as is, whatever the scales, as TFLite Micro does)",
    **{k: "int16 inputs/output with zero point 0, NumPy-style broadcasting (TFLite Micro's int16 arithmetic)"
       for k in ("ADD", "SUB", "MUL")},
    **{k: "int16 input/output with zero point 0" for k in ("AVERAGE_POOL_2D", "MAX_POOL_2D", "LEAKY_RELU", "RELU",
                                                          "RELU6")},
    "SOFTMAX": "int16 input/output with zero point 0 and an output scale of 1/32768 (TFLite's exp and 1/(1+x) "
               "tables, computed at compile time)",
    **{k: "int16 input/output with zero point 0 and an output scale of 2^-15" for k in ("LOGISTIC", "TANH")},
}


@dataclass
class OpInfo:
    kind: str
    dtypes: str
    ranks: str
    params: str
    scratch: bool                    # needs temporary memory in the arena while it runs (on some targets)
    alias: bool                      # no code, no copy: the output shares the input's buffer
    patchable: bool                  # can run patch by patch under --patch auto
    notes: list[str] = field(default_factory=list)
    scratch_on: list[str] = field(default_factory=list)   # targets where it needs scratch (Options.simd values)
    int16x8: str = ""                # the 16x8 form (int16 activations) it compiles; "" when none

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def supported_ops() -> list[OpInfo]:
    from .codegen.lowering import load_all
    from .codegen.registry import REGISTRY
    from .ir.shapes import INT16_KINDS
    from .kernels import ALIAS_KINDS, SCRATCH
    from .passes.regions import PATCH_NOTES, PATCHABLE
    load_all()
    out = []
    for kind in sorted(REGISTRY):
        low = REGISTRY[kind]
        c = CONSTRAINTS.get(kind)
        notes = []
        if c is None:
            doc = (low.fn.__doc__ or "").strip().splitlines()
            notes.append((doc[0] if doc else "no description") +
                         "; its constraints are checked when the model is compiled")
            c = dict(dtypes="int8 activations", ranks="checked when compiled", params="checked when compiled")
        if kind in PATCH_NOTES:
            notes.append(PATCH_NOTES[kind])
        rule = SCRATCH.get(kind)
        scratch_on = list(rule.on) if rule is not None else []
        out.append(OpInfo(kind, c["dtypes"], c["ranks"], c["params"], rule is not None, kind in ALIAS_KINDS,
                          kind in PATCHABLE, notes, scratch_on,
                          S16_CONSTRAINTS.get(kind, _S16_MOVE) if kind in INT16_KINDS else ""))
    return out


_TARGETS = {"none": "plain C (host, Cortex-M0+)", "dsp": "Cortex-M4/M7 (DSP)", "mve": "Cortex-M55 (Helium)"}


def format_table(ops: list[OpInfo]) -> str:
    lines = []
    for o in ops:
        scratch = "scratch" if set(o.scratch_on) >= set(_TARGETS) else \
            "scratch on " + ", ".join(_TARGETS[t] for t in o.scratch_on)
        flags = [f for f, on in (("patchable", o.patchable), (scratch, o.scratch), ("no copy", o.alias)) if on]
        lines.append(f"{o.kind}" + (f"  [{', '.join(flags)}]" if flags else ""))
        lines.append(f"    dtypes  {o.dtypes}")
        lines.append(f"    ranks   {o.ranks}")
        lines.append(f"    params  {o.params}")
        if o.int16x8:
            lines.append(f"    16x8    {o.int16x8}")
        for n in o.notes:
            lines.append(f"    note    {n}")
    lines.append("")
    lines.append(f"{len(ops)} ops. Activations are int8 (int16 where an op lists 16x8; float32 only at a "
                 "QUANTIZE input / DEQUANTIZE output and around TFLite_Detection_PostProcess; bool, int32 and the "
                 "like only where an op above lists them: comparisons, indices, CAST, the audio front end's Signal "
                 "ops and the int32 arithmetic around them). "
                 "patchable: runs patch by patch under --patch auto; scratch: needs temporary arena memory.")
    return "\n".join(lines)
