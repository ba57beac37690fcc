"""The IR: frozen dataclasses for tensors, ops (typed attributes per op kind) and the graph."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

DTYPE_SIZES = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8, "uint32": 4, "uint64": 8, "float32": 4,
               "float16": 2, "bool": 1}
NUMPY_DTYPES = {"int8": np.int8, "uint8": np.uint8, "int16": np.int16, "int32": np.int32,
                "int64": np.int64, "uint32": np.uint32, "uint64": np.uint64, "float32": np.float32,
                "float16": np.float16, "bool": np.bool_}


@dataclass(frozen=True)
class Quant:
    """Affine quantisation: real = scale * (q - zero_point); per-channel along `axis` when len(scale) > 1."""
    scale: tuple[float, ...]
    zero_point: tuple[int, ...]
    axis: int = 0

    @property
    def per_channel(self) -> bool:
        return len(self.scale) > 1


@dataclass(frozen=True)
class Tensor:
    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: Quant | None = None
    data: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def is_const(self) -> bool:
        return self.data is not None

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def nbytes(self) -> int:
        return self.size * DTYPE_SIZES[self.dtype]

    @property
    def scale(self) -> float:
        assert self.quant is not None, f"tensor {self.name} is not quantised"
        return self.quant.scale[0]

    @property
    def zero_point(self) -> int:
        assert self.quant is not None, f"tensor {self.name} is not quantised"
        return self.quant.zero_point[0]


# ---- typed attributes, one dataclass per op kind -------------------------------------------

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6", "TANH", "SIGN_BIT")


@dataclass(frozen=True)
class Conv2DAttrs:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    padding: str          # "SAME" | "VALID" | "EXPLICIT" (graph normalisation: a PAD folded in)
    activation: str
    pads: tuple[int, int, int, int] | None = None   # "EXPLICIT": (top, left, bottom, right)
    int32_bias: bool = False   # QuantizedBiasType INT32: a 16x8 conv without bias takes the int32-accumulator form


@dataclass(frozen=True)
class DepthwiseConv2DAttrs:
    stride_h: int
    stride_w: int
    dilation_h: int
    dilation_w: int
    padding: str
    depth_multiplier: int
    activation: str
    pads: tuple[int, int, int, int] | None = None   # padding "EXPLICIT": (top, left, bottom, right)


@dataclass(frozen=True)
class FullyConnectedAttrs:
    activation: str
    keep_num_dims: bool
    int32_bias: bool = False   # QuantizedBiasType INT32: a 16x8 FC without bias takes the int32-accumulator form


@dataclass(frozen=True)
class Pool2DAttrs:
    filter_h: int
    filter_w: int
    stride_h: int
    stride_w: int
    padding: str
    activation: str
    pads: tuple[int, int, int, int] | None = None   # padding "EXPLICIT": (top, left, bottom, right)


@dataclass(frozen=True)
class ElementwiseAttrs:   # ADD, SUB, MUL
    activation: str


@dataclass(frozen=True)
class SoftmaxAttrs:
    beta: float


@dataclass(frozen=True)
class ReshapeAttrs:
    pass


@dataclass(frozen=True)
class ConcatenationAttrs:
    axis: int
    activation: str


@dataclass(frozen=True)
class ReducerAttrs:       # MEAN, SUM
    keep_dims: bool


@dataclass(frozen=True)
class NoAttrs:            # QUANTIZE, DEQUANTIZE, PAD, TRANSPOSE, ...
    pass


@dataclass(frozen=True)
class ResizeAttrs:        # RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR
    align_corners: bool
    half_pixel_centers: bool


@dataclass(frozen=True)
class TransposeConvAttrs:
    stride_h: int
    stride_w: int
    padding: str          # "SAME" | "VALID"
    activation: str


@dataclass(frozen=True)
class BatchMatMulAttrs:
    adj_x: bool
    adj_y: bool


@dataclass(frozen=True)
class StridedSliceAttrs:
    begin_mask: int
    end_mask: int
    ellipsis_mask: int
    new_axis_mask: int
    shrink_axis_mask: int
    offset: bool


@dataclass(frozen=True)
class SplitAttrs:         # SPLIT, SPLIT_V
    num_splits: int


@dataclass(frozen=True)
class ArgMinMaxAttrs:     # ARG_MAX, ARG_MIN
    output_type: str      # "int32" | "int64"


@dataclass(frozen=True)
class PackAttrs:          # PACK (count = values_count), UNPACK (count = num)
    axis: int
    count: int


@dataclass(frozen=True)
class BlockSizeAttrs:     # SPACE_TO_DEPTH, DEPTH_TO_SPACE
    block_size: int


@dataclass(frozen=True)
class GatherAttrs:        # GATHER
    axis: int
    batch_dims: int


@dataclass(frozen=True)
class MirrorPadAttrs:     # MIRROR_PAD
    mode: str             # "REFLECT" | "SYMMETRIC"


@dataclass(frozen=True)
class CumsumAttrs:
    exclusive: bool
    reverse: bool


@dataclass(frozen=True)
class LeakyReluAttrs:
    alpha: float          # float32 in the model


@dataclass(frozen=True)
class LSTMAttrs:          # UNIDIRECTIONAL_SEQUENCE_LSTM (UnidirectionalSequenceLSTMOptions)
    activation: str       # the cell gate's and the cell output's non-linearity ("TANH")
    cell_clip: float
    proj_clip: float
    time_major: bool
    asymmetric_quantize_inputs: bool
    # The state inputs (18: hidden, 19: cell) are variable tensors of the model. The reader takes them out of
    # the op's inputs (-1 there): the lowering keeps them in the persistent state region (kept between
    # invokes; zero, the hidden state at its zero point, after <model>_reset(), as TFLite Micro after a
    # reset). What the kernel needs of them is kept here: (tensor index, dtype, shape, scale, zero point).
    hidden_state: tuple = ()
    cell_state: tuple = ()


@dataclass(frozen=True)
class SVDFAttrs:          # SVDF (SVDFOptions)
    rank: int
    activation: str       # the fused activation (TFLite Micro's integer kernel applies none)
    asymmetric_quantize_inputs: bool
    # The activation state (input 4) is a variable tensor; the reader takes it out of the op's inputs (-1
    # there), as the LSTM's: (tensor index, dtype, shape, scale, zero point). The lowering keeps it in the
    # persistent state region (kept between invokes, zero after <model>_reset()).
    state: tuple = ()


@dataclass(frozen=True)
class DetectionPostProcessAttrs:   # TFLite_Detection_PostProcess (custom op; flexbuffer options)
    max_detections: int
    max_classes_per_detection: int     # the fast NMS's classes per box
    detections_per_class: int          # the regular NMS's boxes per class (100 when absent, as TFLite Micro)
    use_regular_nms: bool              # False when absent
    nms_score_threshold: float         # float32 values, as TFLite Micro reads them
    nms_iou_threshold: float
    num_classes: int
    y_scale: float
    x_scale: float
    h_scale: float
    w_scale: float


@dataclass(frozen=True)
class VariableAttrs:      # READ_VARIABLE (inputs: none; output: the value), ASSIGN_VARIABLE (input: the value)
    variable: int         # index into Graph.variables (the reader resolves VAR_HANDLE's resource tensor)


OpAttrs = (Conv2DAttrs | DepthwiseConv2DAttrs | FullyConnectedAttrs | Pool2DAttrs | ElementwiseAttrs
           | SoftmaxAttrs | ReshapeAttrs | ConcatenationAttrs | ReducerAttrs | NoAttrs | ResizeAttrs
           | TransposeConvAttrs | BatchMatMulAttrs | StridedSliceAttrs | SplitAttrs | ArgMinMaxAttrs
           | LeakyReluAttrs | PackAttrs | BlockSizeAttrs | GatherAttrs | MirrorPadAttrs | LSTMAttrs
           | SVDFAttrs | DetectionPostProcessAttrs | VariableAttrs)


@dataclass(frozen=True)
class Op:
    index: int
    kind: str                   # TFLite builtin name, e.g. "CONV_2D"
    inputs: tuple[int, ...]     # tensor indices; -1 = optional input absent
    outputs: tuple[int, ...]
    attrs: Any                  # one of OpAttrs, by kind (a type checker cannot narrow it by kind)


@dataclass(frozen=True)
class Rewrite:
    """One rewrite of graph normalisation (passes/normalize.py), as analyze reports it. Op indices are the
    model file's."""
    kind: str                   # "fold_pad" | "drop_input_transpose" | "token_map" | "hoist" | "fold_shape" |
    #                             "fold_broadcast_args"
    op: int                     # the op removed
    into: int                   # the op that absorbed it (-1: none)
    text: str                   # one line for people
    input: int = -1             # drop_input_transpose: which model input
    perm: tuple[int, ...] = ()  # drop_input_transpose: the model's TRANSPOSE perm (model layout -> ours)

    def as_dict(self) -> dict:
        d = {"kind": self.kind, "op": self.op, "into": self.into, "text": self.text}
        if self.kind == "drop_input_transpose":
            d.update(input=self.input, perm=list(self.perm))
        return d


@dataclass(frozen=True)
class Variable:
    """A resource variable (VAR_HANDLE's container and shared name): state kept between invokes, in the
    persistent state region (codegen: LowerCtx.persistent). `initial`: the value CALL_ONCE's init subgraph
    assigns (a constant), or None: every byte the zero point's low byte, as TFLite Micro starts it."""
    index: int
    name: str             # the shared name
    dtype: str
    shape: tuple[int, ...]
    quant: Quant | None = None
    initial: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def nbytes(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n * DTYPE_SIZES[self.dtype]


@dataclass(frozen=True)
class Graph:
    name: str
    tensors: tuple[Tensor, ...]
    ops: tuple[Op, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    rewrites: tuple[Rewrite, ...] = ()    # what graph normalisation changed (passes/normalize.py)
    variables: tuple[Variable, ...] = ()  # resource variables (READ_VARIABLE / ASSIGN_VARIABLE ops name them)

    def tensor(self, i: int) -> Tensor:
        return self.tensors[i]

    def producers(self) -> dict[int, int]:
        """tensor index -> index (position) of the op that writes it."""
        return {t: k for k, op in enumerate(self.ops) for t in op.outputs}

    def activations(self) -> list[int]:
        """Non-constant tensors that are read or written by some op, or are graph I/O."""
        seen: list[int] = []
        s = set()
        for t in list(self.inputs) + [t for op in self.ops for t in (*op.inputs, *op.outputs)] + list(self.outputs):
            if t >= 0 and t not in s and not self.tensors[t].is_const:
                s.add(t)
                seen.append(t)
        return seen
