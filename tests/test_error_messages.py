"""Every user-facing error message has a test that triggers it and checks its text.

Two parts:
1. CASES: small IR graphs (built here, no TensorFlow, milliseconds each) that are wrong in one way each, run
   through the reader's checks (`verify_graph`) or the compiler (`compile_graph`, the lowerings), with the
   text the message must contain. Lowering checks that the reader's shape checks now catch first are
   still driven here, on graphs that skip the reader: they are the second line of defence.
2. test_every_message_is_tested: an audit over the source. It finds every raise of the McuCompileError
   family (and click's BadParameter/UsageError) in mcucompile/, and requires that some test under tests/
   quotes a distinctive piece of its text, or that the message is listed in UNTESTED with the reason. A new
   message without a test fails this audit; `python tests/test_error_messages.py` prints the
   message -> test table.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import numpy as np
import pytest

from mcucompile.codegen.generate import compile_graph
from mcucompile.errors import McuCompileError, ModelFormatError
from mcucompile.ir import (
    ArgMinMaxAttrs,
    BatchMatMulAttrs,
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
    ResizeAttrs,
    SoftmaxAttrs,
    SplitAttrs,
    StridedSliceAttrs,
    Tensor,
    TransposeConvAttrs,
)
from mcucompile.ir.shapes import verify_graph

ROOT = Path(__file__).resolve().parents[1]


# ---- tiny graph builder -----------------------------------------------------------------------------

def q(scale=0.1, zp=0):
    return Quant((float(scale),), (int(zp),))


def act(shape, dtype="int8", scale=0.1, zp=0, quant=True):
    return dict(shape=tuple(shape), dtype=dtype, quant=q(scale, zp) if quant else None, data=None)


def const(values, dtype="int8", scale=0.05, zp=0, quant=None):
    a = np.asarray(values, dtype={"int8": np.int8, "int32": np.int32, "int64": np.int64,
                                  "float32": np.float32}[dtype])
    qq = quant if quant is not None else (q(scale, zp) if dtype == "int8" else None)
    return dict(shape=a.shape, dtype=dtype, quant=qq, data=a)


def wconst(shape, dtype="int8", scale=0.05, zp=0):
    return const(np.ones(shape), dtype, scale, zp)


def graph(kind, attrs, ins, outs) -> Graph:
    """One op reading `ins` (activations become model inputs; None = absent) and writing `outs`."""
    tensors, in_idx, graph_inputs = [], [], []
    for spec in ins:
        if spec is None:
            in_idx.append(-1)
            continue
        k = len(tensors)
        tensors.append(Tensor(k, f"t{k}", spec["shape"], spec["dtype"], spec["quant"], spec["data"]))
        in_idx.append(k)
        if spec["data"] is None:
            graph_inputs.append(k)
    out_idx = []
    for spec in outs:
        k = len(tensors)
        tensors.append(Tensor(k, f"t{k}", spec["shape"], spec["dtype"], spec["quant"], spec["data"]))
        out_idx.append(k)
    op = Op(0, kind, tuple(in_idx), tuple(out_idx), attrs)
    return Graph("m", tuple(tensors), (op,), tuple(graph_inputs), tuple(out_idx))


def conv(stride=1, dil=1, pad="SAME", act_="NONE"):
    return Conv2DAttrs(stride, stride, dil, dil, pad, act_)


def dw(mult=1, stride=1, pad="SAME"):
    return DepthwiseConv2DAttrs(stride, stride, 1, 1, pad, mult, "NONE")


def pool(f=2, s=2, pad="VALID"):
    return Pool2DAttrs(f, f, s, s, pad, "NONE")


EW = ElementwiseAttrs("NONE")
SS = StridedSliceAttrs(0, 0, 0, 0, 0, False)
X4 = act((1, 4, 4, 2))
X16 = act((1, 4, 4, 2), "int16")

# (id, stage, graph, expected text). stage "read" = the reader's graph checks, "compile" = the lowerings.
CASES = [
    # -- ir/shapes.py: structure -------------------------------------------------------------------
    ("op_without_output", "read", graph("RELU", NoAttrs(), [X4], []), "op 0 (RELU) has no output"),
    ("no_input", "read", Graph("m", (Tensor(0, "c", (2,), "int8", q(), np.zeros(2, np.int8)),
                                     Tensor(1, "y", (2,), "int8", q())),
                               (Op(0, "RELU", (0,), (1,), NoAttrs()),), (), (1,)), "the model has no input"),
    ("float_activation", "read", graph("RELU", NoAttrs(), [act((2,), "float32", quant=False)],
                                       [act((2,), "float32", quant=False)]), "holds float activations"),
    ("int8_without_quant", "read", graph("RELU", NoAttrs(), [act((2,), quant=False)], [act((2,))]),
     "has no quantisation parameters"),
    # -- ir/shapes.py: output shapes and attributes --------------------------------------------------
    ("shape_conv", "read", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2)), const(np.zeros(3), "int32")],
                                 [act((1, 4, 4, 5))]), "has shape (1, 4, 4, 5), but the op computes (1, 4, 4, 3)"),
    ("shape_conv_rank", "read", graph("CONV_2D", conv(), [act((4, 4, 2)), wconst((3, 3, 3, 2))],
                                      [act((1, 4, 4, 3))]), "the input has shape (4, 4, 2); 4-D is required"),
    ("shape_conv_stride", "read", graph("CONV_2D", conv(stride=0), [X4, wconst((3, 3, 3, 2))],
                                        [act((1, 4, 4, 3))]), "must be positive"),
    ("shape_conv_empty", "read", graph("CONV_2D", conv(pad="VALID"), [X4, wconst((3, 5, 5, 2))],
                                       [act((1, 1, 1, 3))]), "give an empty output"),
    ("channels_conv", "read", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 3))], [act((1, 4, 4, 3))]),
     "filter (3, 3, 3, 3) takes 3 input channels, which do not divide the input's 2"),
    ("channels_dwconv", "read", graph("DEPTHWISE_CONV_2D", dw(mult=2), [X4, wconst((1, 3, 3, 2))],
                                      [act((1, 4, 4, 2))]),
     "filter (1, 3, 3, 2) has 2 channels; input channels 2 x depth_multiplier 2 = 4"),
    ("rescale_fc", "read", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                 [act((1, 8), scale=1e30), wconst((4, 8), scale=0.5)], [act((1, 4), scale=0.1)]),
     "op 0 (FULLY_CONNECTED): input scale x weight scale / output scale = 5e+30 is out of range"),
    ("shape_dwconv", "read", graph("DEPTHWISE_CONV_2D", dw(), [X4, wconst((1, 3, 3, 2))], [act((1, 2, 2, 2))]),
     "but the op computes (1, 4, 4, 2)"),
    ("shape_pool", "read", graph("MAX_POOL_2D", pool(), [X4], [act((1, 4, 4, 2))]),
     "but the op computes (1, 2, 2, 2)"),
    ("shape_pool_filter", "read", graph("MAX_POOL_2D", pool(f=0), [X4], [act((1, 2, 2, 2))]),
     "filter 0x0 and strides 2x2 must be positive"),
    ("shape_pool_padding", "read", graph("AVERAGE_POOL_2D", Pool2DAttrs(2, 2, 2, 2, "FULL", "NONE"), [X4],
                                         [act((1, 2, 2, 2))]), "pooling padding 'FULL' is not supported"),
    ("shape_fc", "read", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False), [act((1, 8)), wconst((4, 8))],
                               [act((1, 5))]), "but the op computes (1, 4)"),
    ("shape_fc_depth", "read", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                     [act((1, 7)), wconst((4, 8))], [act((1, 4))]),
     "does not hold whole rows of the weights' depth 8"),
    ("shape_fc_weights_rank", "read", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                            [act((1, 8)), wconst((4, 8, 1))], [act((1, 4))]),
     "the weights has shape (4, 8, 1); 2-D is required"),
    ("shape_fc_keep_dims", "read", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", True),
                                         [act((2, 4, 2)), wconst((4, 8))], [act((2, 4))]),
     "keep_num_dims needs the input's last dimension"),
    ("shape_add", "read", graph("ADD", EW, [act((1, 4)), act((3, 1))], [act((3, 5))]),
     "but the op computes (3, 4)"),
    ("shape_add_broadcast", "read", graph("ADD", EW, [act((1, 4)), act((1, 3))], [act((1, 4))]),
     "input shapes (1, 4) and (1, 3) do not broadcast"),
    ("shape_unary", "read", graph("LOGISTIC", NoAttrs(), [act((1, 4))], [act((1, 8))]),
     "but the op computes (1, 4)"),
    ("shape_reshape", "read", graph("RESHAPE", ReshapeAttrs(), [act((1, 4))], [act((1, 8))]),
     "holds 8 elements, the input (1, 4) holds 4"),
    ("shape_concat", "read", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"), [act((1, 2)), act((1, 3))],
                                   [act((1, 4))]), "but the op computes (1, 5)"),
    ("shape_concat_axis", "read", graph("CONCATENATION", ConcatenationAttrs(5, "NONE"), [act((1, 2))],
                                        [act((1, 2))]), "axis 5 is out of range for a rank-2 input"),
    ("shape_concat_dims", "read", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"), [act((1, 2)), act((2, 3))],
                                        [act((1, 5))]), "differ outside axis 1"),
    ("shape_pad", "read", graph("PAD", NoAttrs(), [act((1, 4)), const([[0, 0], [1, 1]], "int32")], [act((1, 5))]),
     "but the op computes (1, 6)"),
    ("shape_pad_count", "read", graph("PAD", NoAttrs(), [act((1, 4)), const([1, 1], "int32")], [act((1, 6))]),
     "paddings hold 2 values for a rank-2 input"),
    ("shape_pad_negative", "read", graph("PAD", NoAttrs(), [act((1, 4)), const([[0, 0], [-1, 0]], "int32")],
                                         [act((1, 3))]), "negative paddings [0, 0, -1, 0]"),
    ("shape_mean", "read", graph("MEAN", ReducerAttrs(True), [X4, const([1, 2], "int32")], [act((1, 2))]),
     "but the op computes (1, 1, 1, 2)"),
    ("shape_transpose", "read", graph("TRANSPOSE", NoAttrs(), [act((1, 2, 3)), const([0, 2, 1], "int32")],
                                      [act((1, 2, 3))]), "but the op computes (1, 3, 2)"),
    ("shape_transpose_perm", "read", graph("TRANSPOSE", NoAttrs(), [act((1, 2, 3)), const([0, 0, 1], "int32")],
                                           [act((1, 2, 3))]), "is not a permutation of the input's 3 axes"),
    ("shape_resize", "read", graph("RESIZE_BILINEAR", ResizeAttrs(False, False), [X4, const([8, 8], "int32")],
                                   [act((1, 8, 4, 2))]), "but the op computes (1, 8, 8, 2)"),
    ("shape_resize_size", "read", graph("RESIZE_BILINEAR", ResizeAttrs(False, False), [X4, const([8], "int32")],
                                        [act((1, 8, 8, 2))]), "the size tensor holds 1 values, expected 2"),
    ("shape_transpose_conv", "read", graph("TRANSPOSE_CONV", TransposeConvAttrs(2, 2, "SAME", "NONE"),
                                           [const([1, 8, 8, 3], "int32"), wconst((3, 3, 3, 2)), X4],
                                           [act((1, 8, 9, 3))]), "but the op computes (1, 8, 8, 3)"),
    ("shape_transpose_conv_fit", "read", graph("TRANSPOSE_CONV", TransposeConvAttrs(2, 2, "SAME", "NONE"),
                                               [const([1, 8, 8, 5], "int32"), wconst((3, 3, 3, 2)), X4],
                                               [act((1, 8, 8, 5))]),
     "the output_shape input [1, 8, 8, 5] does not fit input"),
    ("shape_transpose_conv_stride", "read", graph("TRANSPOSE_CONV", TransposeConvAttrs(0, 2, "SAME", "NONE"),
                                                  [const([1, 8, 8, 3], "int32"), wconst((3, 3, 3, 2)), X4],
                                                  [act((1, 8, 8, 3))]), "strides 0x2 must be positive"),
    ("shape_transpose_conv_inputs", "read", graph("TRANSPOSE_CONV", TransposeConvAttrs(2, 2, "SAME", "NONE"),
                                                  [const([1, 8, 8, 3], "int32"), X4], [act((1, 8, 8, 3))]),
     "needs the output shape, the filter and the input"),
    ("shape_batch_matmul", "read", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                         [act((2, 3, 4)), act((2, 4, 5))], [act((2, 3, 4))]),
     "but the op computes (2, 3, 5)"),
    ("shape_batch_matmul_rank", "read", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                              [act((4,)), act((4, 5))], [act((5,))]), "must have rank 2 or more"),
    ("shape_batch_matmul_inner", "read", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                               [act((3, 4)), act((3, 5))], [act((3, 5))]),
     "inner dimensions of (3, 4) and (3, 5) differ"),
    ("shape_batch_matmul_batch", "read", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                               [act((2, 3, 4)), act((3, 4, 5))], [act((3, 3, 5))]),
     "batch dimensions of (2, 3, 4) and (3, 4, 5) do not broadcast"),
    ("shape_strided_slice", "read", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 0], "int32"),
                                                               const([1, 8], "int32"), const([1, 2], "int32")],
                                          [act((1, 8))]), "but the op computes (1, 4)"),
    ("shape_split", "read", graph("SPLIT", SplitAttrs(2), [const([1], "int32"), act((1, 8))],
                                  [act((1, 4)), act((1, 5))]), "output 1 (tensor 3) has shape (1, 5)"),
    ("shape_split_equal", "read", graph("SPLIT", SplitAttrs(3), [const([1], "int32"), act((1, 8))],
                                        [act((1, 3)), act((1, 3)), act((1, 2))]),
     "does not split into 3 equal parts"),
    ("shape_split_axis", "read", graph("SPLIT", SplitAttrs(2), [const([0, 1], "int32"), act((1, 8))],
                                       [act((1, 4)), act((1, 4))]), "the axis tensor holds 2 values, expected 1"),
    ("shape_split_v", "read", graph("SPLIT_V", SplitAttrs(2), [act((1, 8)), const([3, 4], "int32"),
                                                              const([1], "int32")], [act((1, 3)), act((1, 4))]),
     "size_splits [3, 4] do not add up to input dimension 8"),
    ("shape_split_v_count", "read", graph("SPLIT_V", SplitAttrs(2), [act((1, 8)), const([3, 4, 1], "int32"),
                                                                    const([1], "int32")],
                                          [act((1, 3)), act((1, 5))]), "size_splits has 3 values for 2 outputs"),
    ("shape_split_outputs", "read", graph("SPLIT_V", SplitAttrs(1), [act((1, 8)), const([-1], "int32"),
                                                                    const([1], "int32")],
                                          [act((1, 8)), act((1, 8))]), "size_splits has 1 values for 2 outputs"),
    ("shape_tile", "read", graph("TILE", NoAttrs(), [act((1, 2)), const([1, 3], "int32")], [act((1, 4))]),
     "but the op computes (1, 6)"),
    ("shape_tile_mult", "read", graph("TILE", NoAttrs(), [act((1, 2)), const([1, 0], "int32")], [act((1, 2))]),
     "multiples [1, 0] do not fit a rank-2 input"),
    ("shape_arg_max", "read", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5)), const([1], "int32")],
                                    [act((1, 5), "int32", quant=False)]), "but the op computes (1,)"),
    ("shape_arg_max_axis", "read", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5)), const([0, 1], "int32")],
                                         [act((1,), "int32", quant=False)]),
     "the axis tensor holds 2 values, expected 1"),
    # -- lowerings: conv.py ------------------------------------------------------------------------------
    ("conv_filter_not_const", "compile", graph("CONV_2D", conv(), [X4, act((3, 3, 3, 2))], [act((1, 4, 4, 3))]),
     "the filter must be constant"),
    ("conv_filter_dtype", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2), "int32")],
                                           [act((1, 4, 4, 3))]), "int32 filter is not supported (int8 only)"),
    ("conv_needs_filter", "compile", graph("CONV_2D", conv(), [X4], [act((1, 4, 4, 3))]),
     "needs an input and a filter"),
    ("conv_dtype", "compile", graph("CONV_2D", conv(), [act((1, 4, 4, 2)), wconst((3, 3, 3, 2))],
                                    [act((1, 4, 4, 3), "int16")]),
     "int8 input / int16 output are not supported (int8, or int16 16x8)"),
    ("conv_quant", "compile", graph("CONV_2D", conv(), [X4, const(np.ones((3, 3, 3, 2)), quant=None)
                                                        | {"quant": None}], [act((1, 4, 4, 3))]),
     "input, filter and output must be quantised"),
    ("conv_rank", "compile", graph("CONV_2D", conv(), [act((4, 4, 2)), wconst((3, 3, 3, 2))], [act((1, 4, 4, 3))]),
     "tensors must be 4-D (input (4, 4, 2)"),
    ("conv_stride", "compile", graph("CONV_2D", conv(stride=0), [X4, wconst((3, 3, 3, 2))], [act((1, 4, 4, 3))]),
     "strides and dilations must be positive"),
    ("conv_padding", "compile", graph("CONV_2D", conv(pad="FULL"), [X4, wconst((3, 3, 3, 2))],
                                      [act((1, 4, 4, 3))]), "padding FULL is not supported"),
    ("conv_activation", "compile", graph("CONV_2D", conv(act_="TANH"), [X4, wconst((3, 3, 3, 2))],
                                         [act((1, 4, 4, 3))]), "fused activation TANH is not supported"),
    ("conv_filter_zp", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2), zp=3)], [act((1, 4, 4, 3))]),
     "filter zero point must be 0"),
    ("conv_batch", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2))], [act((2, 4, 4, 3))]),
     "batch of output 2 differs from input 1"),
    ("conv_grouped", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 1))], [act((1, 4, 4, 3))]),
     "grouped convolution (input channels 2, filter channels 1) is not supported"),
    ("conv_out_channels", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2))], [act((1, 4, 4, 4))]),
     "filter output channels 3 differ from output channels 4"),
    ("conv_bias", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2)), const(np.zeros(2), "int32")],
                                   [act((1, 4, 4, 3))]), "bias has 2 values for 3 output channels"),
    ("conv_bias_dtype", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2)), wconst((3,))],
                                         [act((1, 4, 4, 3))]), "the bias must be a constant int32 tensor"),
    ("conv_out_size", "compile", graph("CONV_2D", conv(), [X4, wconst((3, 3, 3, 2))], [act((1, 3, 3, 3))]),
     "output size 3x3 differs from the 4x4 that SAME padding gives"),
    ("conv_scales", "compile", graph("CONV_2D", conv(), [X4, const(np.ones((3, 3, 3, 2)),
                                                                   quant=Quant((0.1, 0.1), (0, 0)))],
                                     [act((1, 4, 4, 3))]), "2 filter scales for 3 channels"),
    ("dwconv_filter", "compile", graph("DEPTHWISE_CONV_2D", dw(), [X4, wconst((2, 3, 3, 2))], [act((1, 4, 4, 2))]),
     "filter shape (2, 3, 3, 2) must be [1, KH, KW, C]"),
    ("dwconv_mult", "compile", graph("DEPTHWISE_CONV_2D", dw(mult=2), [X4, wconst((1, 3, 3, 2))],
                                     [act((1, 4, 4, 2))]), "depth_multiplier 2 does not match input channels 2"),
    # -- pool.py -----------------------------------------------------------------------------------------
    ("pool_dtype", "compile", graph("MAX_POOL_2D", pool(), [act((1, 4, 4, 2), "int32")], [act((1, 2, 2, 2))]),
     "int32 -> int8 is not supported (int8 only)"),
    ("pool_rank", "compile", graph("MAX_POOL_2D", pool(), [act((4, 4, 2))], [act((2, 2, 2))]),
     "input and output must be 4-D NHWC"),
    ("pool_quant_missing", "compile", graph("MAX_POOL_2D", pool(), [act((1, 4, 4, 2), quant=False)],
                                            [act((1, 2, 2, 2))]), "input and output must be quantised"),
    ("pool_quant", "compile", graph("MAX_POOL_2D", pool(), [X4], [act((1, 2, 2, 2), zp=3)]),
     "input and output quantisation must match"),
    ("pool_shape", "compile", graph("MAX_POOL_2D", pool(), [X4], [act((1, 4, 4, 2))]),
     "does not match the expected (1, 2, 2, 2)"),
    ("pool_empty", "compile", graph("MAX_POOL_2D", pool(f=5), [X4], [act((1, 0, 0, 2))]),
     "(op 0): empty output (1, 0, 0, 2)"),
    # -- misc.py -----------------------------------------------------------------------------------------
    ("quantize_output", "compile", graph("QUANTIZE", NoAttrs(), [act((4,))], [act((4,)) | {"quant": None}]),
     "output must be per-tensor int8 (got int8)"),
    ("quantize_input", "compile", graph("QUANTIZE", NoAttrs(), [const([1, 2, 3, 4], "int32")], [act((4,))]),
     "int32 -> int8 is not supported (float32 or int8 -> int8 only)"),
    ("dequantize_output", "compile", graph("DEQUANTIZE", NoAttrs(), [act((4,))], [act((4,), "int32", quant=False)]),
     "output is int32; only float32 is supported"),
    ("require_int8", "compile", graph("TRANSPOSE", NoAttrs(), [const(np.ones((2, 2)), "float32"),
                                                               const([1, 0], "int32")],
                                      [act((2, 2))]), "is float32; only int8 is supported"),
    ("require_per_tensor", "compile", graph("TRANSPOSE", NoAttrs(), [act((2, 2)) | {"quant": Quant((0.1, 0.2),
                                                                                                  (0, 0))},
                                                                     const([1, 0], "int32")], [act((2, 2))]),
     "needs per-tensor quantisation"),
    ("const_missing", "compile", graph("PAD", NoAttrs(), [act((1, 4)), None], [act((1, 4))]),
     "the paddings input is missing"),
    ("const_not_const", "compile", graph("PAD", NoAttrs(), [act((1, 4)), act((2, 2), "int32", quant=False)],
                                         [act((1, 4))]), "the paddings tensor must be a constant of the model"),
    ("const_dtype", "compile", graph("PAD", NoAttrs(), [act((1, 4)), const([[0, 0], [0, 0]], "int64")],
                                     [act((1, 4))]), "TFLite Micro supports int32 only"),
    ("rank_too_high", "compile", graph("PAD", NoAttrs(), [act((1,) * 7), const(np.zeros((7, 2)), "int32")],
                                       [act((1,) * 7)]), "rank 7 is above the supported 6"),
    ("pad_count", "compile", graph("PAD", NoAttrs(), [act((1, 4)), const([1, 1], "int32")], [act((1, 6))]),
     "paddings has 2 values for a rank-2 input"),
    ("pad_negative", "compile", graph("PAD", NoAttrs(), [act((1, 4)), const([[0, 0], [-1, 0]], "int32")],
                                      [act((1, 3))]), "negative paddings are not supported"),
    ("pad_output", "compile", graph("PAD", NoAttrs(), [act((1, 4)), const([[0, 0], [1, 1]], "int32")],
                                    [act((1, 5))]), "output dim 1 is 5, paddings give 6"),
    ("padv2_value", "compile", graph("PADV2", NoAttrs(), [act((1, 4)), const([[0, 0], [1, 1]], "int32"),
                                                          const([1, 2])], [act((1, 6))]),
     "the pad value must be a constant int8 scalar"),
    ("padv2_value_quant", "compile", graph("PADV2", NoAttrs(), [act((1, 4)), const([[0, 0], [1, 1]], "int32"),
                                                                const([1], scale=0.5)], [act((1, 6))]),
     "the pad value must have the output's scale and zero point"),
    ("transpose_perm", "compile", graph("TRANSPOSE", NoAttrs(), [act((2, 3)), const([0, 0], "int32")],
                                        [act((2, 3))]), "perm [0, 0] is not a permutation of 2 axes"),
    ("transpose_shape", "compile", graph("TRANSPOSE", NoAttrs(), [act((2, 3)), const([1, 0], "int32")],
                                         [act((2, 3))]), "output shape (2, 3) does not match perm [1, 0]"),
    ("concat_activation", "compile", graph("CONCATENATION", ConcatenationAttrs(1, "RELU"), [act((1, 2))],
                                           [act((1, 2))]), "fused activation RELU is not supported"),
    ("concat_axis", "compile", graph("CONCATENATION", ConcatenationAttrs(4, "NONE"), [act((1, 2))], [act((1, 2))]),
     "axis 4 is out of range for rank 2"),
    ("concat_quant", "compile", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"), [act((1, 2), zp=1)],
                                      [act((1, 2))]), "TFLite Micro requires equal quantisation"),
    ("concat_fit", "compile", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"), [act((2, 2))], [act((1, 2))]),
     "input shape (2, 2) does not fit output (1, 2) on axis 1"),
    ("concat_sum", "compile", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"), [act((1, 2))], [act((1, 3))]),
     "inputs do not add up to output dim 3 on axis 1"),
    # -- elementwise.py ----------------------------------------------------------------------------------
    ("ew_dtype", "compile", graph("ADD", EW, [act((4,), "int32"), act((4,))], [act((4,))]),
     "is int32; only int8 is supported"),
    ("ew_per_tensor", "compile", graph("MUL", EW, [act((2,)) | {"quant": Quant((0.1, 0.2), (0, 0))}, act((2,))],
                                       [act((2,))]), "must have per-tensor quantisation"),
    ("ew_rank", "compile", graph("ADD", EW, [act((1, 4)), act((4,))], [act((4,))]),
     "ADD (op 0): input shape (1, 4) has more dimensions than the output"),
    ("ew_broadcast", "compile", graph("ADD", EW, [act((3,)), act((4,))], [act((4,))]),
     "ADD (op 0): shape (3,) does not broadcast to (4,)"),
    ("ew_dims", "compile", graph("ADD", EW, [act((2, 1, 2, 1, 2, 1, 2)), act((1, 2, 1, 2, 1, 2, 1))],
                                 [act((2,) * 7)]), "ADD (op 0): broadcast of"),
    ("add_multiplier", "compile", graph("ADD", EW, [act((4,), scale=1e-3), act((4,), scale=1e-3)],
                                        [act((4,), scale=1e-12)]), "ADD (op 0): rescale multiplier"),
    ("div_shift", "compile", graph("DIV", EW, [act((4,), scale=1.0), act((4,), scale=1e-12)], [act((4,), scale=1e-9)]),
     "is too large (shift"),
    # -- activations.py / softmax.py ---------------------------------------------------------------------
    ("unary_dtype", "compile", graph("RELU", NoAttrs(), [act((4,), "int32")], [act((4,))]),
     "is int32; only int8 is supported"),
    ("unary_per_tensor", "compile", graph("RELU", NoAttrs(), [act((2,)) | {"quant": Quant((0.1, 0.2), (0, 0))}],
                                          [act((2,))]), "must have per-tensor quantisation"),
    ("unary_size", "compile", graph("RELU", NoAttrs(), [act((4,))], [act((5,))]), "sizes differ"),
    ("logistic_output", "compile", graph("LOGISTIC", NoAttrs(), [act((4,))], [act((4,))]),
     "the output must have scale 1/256 and zero point -128"),
    ("tanh_output", "compile", graph("TANH", NoAttrs(), [act((4,))], [act((4,))]),
     "the output must have scale 1/128 and zero point 0"),
    ("softmax_dtype", "compile", graph("SOFTMAX", SoftmaxAttrs(1.0), [act((4,), "int32")],
                                       [act((4,), scale=1 / 256, zp=-128)]), "is not supported (int8 -> int8 only)"),
    ("softmax_quant", "compile", graph("SOFTMAX", SoftmaxAttrs(1.0), [act((4,), quant=False)],
                                       [act((4,), scale=1 / 256, zp=-128)]), "input and output must be quantised"),
    ("softmax_output", "compile", graph("SOFTMAX", SoftmaxAttrs(1.0), [act((4,))], [act((4,))]),
     "the output must have scale 1/256 and zero point -128"),
    ("softmax_shape", "compile", graph("SOFTMAX", SoftmaxAttrs(1.0), [act((4,))], [act((5,), scale=1 / 256, zp=-128)]),
     "shapes must match"),
    ("softmax_beta", "compile", graph("SOFTMAX", SoftmaxAttrs(1e-9), [act((4,))], [act((4,), scale=1 / 256, zp=-128)]),
     "must exceed 1 (TFLite rejects this model too)"),
    # -- reduce.py ---------------------------------------------------------------------------------------
    ("mean_dtype", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 2), "int16"), const([1], "int32")],
                                    [act((2,))]), "t0' must be per-tensor int8 (got int16)"),
    ("mean_rank", "compile", graph("MEAN", ReducerAttrs(False), [act((1,) * 7), const([1], "int32")],
                                   [act((1,) * 6)]), "rank 7 is above the supported 6"),
    ("mean_axes_const", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 2)), act((1,), "int32", quant=False)],
                                         [act((2,))]), "the axes must be a constant tensor of the model"),
    ("mean_axes_dtype", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 2)), const([1], "int64")],
                                         [act((2,))]), "the axes tensor is int64; TFLite Micro supports int32 only"),
    ("mean_axis_range", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 2)), const([5], "int32")],
                                         [act((2,))]), "axis 5 is out of range for rank 2"),
    ("mean_empty", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 0)), const([1], "int32")], [act((2,))]),
     "empty input tensors are not supported"),
    ("mean_shape", "compile", graph("MEAN", ReducerAttrs(False), [act((2, 3)), const([1], "int32")], [act((3,))]),
     "does not match reducing (2, 3) over [1]"),
    # -- resize.py ---------------------------------------------------------------------------------------
    ("resize_inputs", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(False, False), [X4], [act((1, 8, 8, 2))]),
     "expects an input and a size tensor, got 1 inputs"),
    ("resize_dtype", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(False, False),
                                      [act((1, 4, 4, 2), "int16"), const([8, 8], "int32")], [act((1, 8, 8, 2))]),
     "t0' must be per-tensor int8 (got int16)"),
    ("resize_quant", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(False, False), [X4, const([8, 8], "int32")],
                                      [act((1, 8, 8, 2), zp=5)]), "TFLite's int8 resize does not rescale"),
    ("resize_rank", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(False, False),
                                     [act((4, 4, 2)), const([8, 8], "int32")], [act((8, 8, 2))]),
     "input and output must be 4-D NHWC"),
    ("resize_size", "compile", graph("RESIZE_NEAREST_NEIGHBOR", ResizeAttrs(False, False),
                                     [X4, act((2,), "int32", quant=False)], [act((1, 8, 8, 2))]),
     "the size must be a constant int32 tensor of 2 values"),
    ("resize_shape", "compile", graph("RESIZE_NEAREST_NEIGHBOR", ResizeAttrs(False, False),
                                      [X4, const([8, 8], "int32")], [act((1, 8, 4, 2))]),
     "does not match size [8, 8] of input"),
    ("resize_positive", "compile", graph("RESIZE_NEAREST_NEIGHBOR", ResizeAttrs(False, False),
                                         [X4, const([0, 8], "int32")], [act((1, 0, 8, 2))]),
     "size [0, 8] must be positive"),
    ("resize_modes", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(True, True), [X4, const([8, 8], "int32")],
                                      [act((1, 8, 8, 2))]), "align_corners and half_pixel_centers cannot both be set"),
    ("resize_huge", "compile", graph("RESIZE_BILINEAR", ResizeAttrs(False, False),
                                     [act((1, 1 << 21, 1, 1)), const([1 << 22, 1], "int32")],
                                     [act((1, 1 << 22, 1, 1))]),
     "too large for TFLite's 32-bit source coordinates"),
    # -- matmul.py ---------------------------------------------------------------------------------------
    ("bmm_inputs", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False), [act((2, 2))], [act((2, 2))]),
     "expects 2 inputs, got 1"),
    ("bmm_per_tensor", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                        [act((2, 2), "int16"), act((2, 2))], [act((2, 2))]),
     "t0' must be per-tensor int8 (got int16)"),
    ("bmm_rank", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False), [act((2,)), act((2, 2))],
                                  [act((2,))]), "operands must have rank 2 to 5"),
    ("bmm_inner", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False), [act((2, 3)), act((2, 3))],
                                   [act((2, 3))]), "inner dimensions differ"),
    ("bmm_batch", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False),
                                   [act((2, 2, 3)), act((3, 3, 2))], [act((3, 2, 2))]), "do not broadcast"),
    ("bmm_shape", "compile", graph("BATCH_MATMUL", BatchMatMulAttrs(False, False), [act((2, 3)), act((3, 4))],
                                   [act((2, 5))]), "the operands give"),
    ("tconv_inputs", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"), [X4, X4],
                                      [X4]), "expects 3 or 4 inputs (output shape, filter, input, bias), got 2"),
    ("tconv_filter", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                      [const([1, 4, 4, 2], "int32"), act((2, 3, 3, 2)), X4], [X4]),
     "the filter must be a constant, quantised int8 tensor"),
    ("tconv_bias", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                    [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2)), X4, wconst((2,))], [X4]),
     "the bias must be a constant int32 tensor (got int8)"),
    ("tconv_rank", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                    [const([4, 4, 2], "int32"), wconst((2, 3, 3, 2)), act((4, 4, 2))],
                                    [act((4, 4, 2))]), "tensors must be 4-D (input (4, 4, 2)"),
    ("tconv_output_shape", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                            [const([1, 4, 5, 2], "int32"), wconst((2, 3, 3, 2)), X4], [X4]),
     "the output_shape input [1, 4, 5, 2] differs from the output tensor"),
    ("tconv_stride", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(0, 1, "SAME", "NONE"),
                                      [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2)), X4], [X4]),
     "strides must be positive (got 0x1)"),
    ("tconv_padding", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "FULL", "NONE"),
                                       [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2)), X4], [X4]),
     "padding FULL is not supported"),
    ("tconv_activation", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "TANH"),
                                          [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2)), X4], [X4]),
     "fused activation TANH is not supported"),
    ("tconv_zp", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                  [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2), zp=1), X4], [X4]),
     "filter zero point must be 0 (TFLite's int8 kernel ignores it)"),
    ("tconv_fit", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                   [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 3)), X4], [X4]),
     "does not fit input (1, 4, 4, 2)"),
    ("tconv_bias_size", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                         [const([1, 4, 4, 2], "int32"), wconst((2, 3, 3, 2)), X4,
                                          const([0, 0, 0], "int32")], [X4]),
     "bias has 3 values for 2 output channels"),
    ("tconv_scales", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                      [const([1, 4, 4, 2], "int32"),
                                       const(np.ones((2, 3, 3, 2)), quant=Quant((0.1, 0.1, 0.1), (0, 0, 0))), X4],
                                      [X4]), "3 filter scales for 2 output channels"),
    # -- slicing.py --------------------------------------------------------------------------------------
    ("ss_inputs", "compile", graph("STRIDED_SLICE", SS, [act((1, 8))], [act((1, 8))]),
     "expects 4 inputs (input, begin, end, strides), got 1"),
    ("ss_quant", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 0], "int32"), const([1, 8], "int32"),
                                                        const([1, 1], "int32")], [act((1, 8), zp=2)]),
     "TFLite's int8 kernel does not rescale"),
    ("ss_dtype", "compile", graph("STRIDED_SLICE", SS, [act((1, 8), "int16"), const([0, 0], "int32"),
                                                        const([1, 8], "int32"), const([1, 1], "int32")],
                                  [act((1, 8))]), "tensor 't4' is int8 but 't0' is int16; this op copies values"),
    ("ss_masks", "compile", graph("STRIDED_SLICE", StridedSliceAttrs(0, 0, 1, 0, 0, False),
                                  [act((1, 8)), const([0, 0], "int32"), const([1, 8], "int32"),
                                   const([1, 1], "int32")], [act((1, 8))]), "are not supported (TFLite Micro ignores"),
    ("ss_offset", "compile", graph("STRIDED_SLICE", StridedSliceAttrs(0, 0, 0, 0, 0, True),
                                   [act((1, 8)), const([0, 0], "int32"), const([1, 8], "int32"),
                                    const([1, 1], "int32")], [act((1, 8))]), "the 'offset' form of STRIDED_SLICE"),
    ("ss_counts", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0], "int32"), const([1, 8], "int32"),
                                                         const([1, 1], "int32")], [act((1, 8))]),
     "begin/end/strides have 1/2/2 values for a rank-2 input"),
    ("ss_zero_stride", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 0], "int32"),
                                                              const([1, 8], "int32"), const([1, 0], "int32")],
                                        [act((1, 8))]), "stride values must be non-zero"),
    ("ss_shrink_negative", "compile", graph("STRIDED_SLICE", StridedSliceAttrs(0, 0, 0, 0, 2, False),
                                            [act((1, 8)), const([0, 3], "int32"), const([1, 2], "int32"),
                                             const([1, -1], "int32")], [act((1,))]),
     "is shrunk with a negative stride"),
    ("ss_empty", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 4], "int32"), const([1, 4], "int32"),
                                                        const([1, 1], "int32")], [act((1, 1))]),
     "selects no element: empty tensors are not supported"),
    ("ss_shape", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 0], "int32"), const([1, 8], "int32"),
                                                        const([1, 2], "int32")], [act((1, 8))]),
     "differs from the (1, 4) the slice selects"),
    ("ss_const_missing", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), None, const([1, 8], "int32"),
                                                                const([1, 1], "int32")], [act((1, 8))]),
     "the begin input is missing"),
    ("ss_const_not_const", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), act((2,), "int32", quant=False),
                                                                  const([1, 8], "int32"), const([1, 1], "int32")],
                                            [act((1, 8))]), "the begin tensor must be a constant of the model"),
    ("ss_const_dtype", "compile", graph("STRIDED_SLICE", SS, [act((1, 8)), const([0, 0], "int64"),
                                                              const([1, 8], "int32"), const([1, 1], "int32")],
                                        [act((1, 8))]), "the begin tensor is int64; supported: int32"),
    ("split_inputs", "compile", graph("SPLIT", SplitAttrs(1), [act((1, 8))], [act((1, 8))]),
     "expects 2 inputs (axis, input), got 1"),
    ("split_num", "compile", graph("SPLIT", SplitAttrs(3), [const([1], "int32"), act((1, 8))],
                                   [act((1, 4)), act((1, 4))]), "num_splits 3 differs from the 2 outputs"),
    ("split_axis_count", "compile", graph("SPLIT", SplitAttrs(2), [const([0, 1], "int32"), act((1, 8))],
                                          [act((1, 4)), act((1, 4))]), "the axis tensor holds 2 values, expected 1"),
    ("split_axis_range", "compile", graph("SPLIT", SplitAttrs(2), [const([3], "int32"), act((1, 8))],
                                          [act((1, 4)), act((1, 4))]), "axis 3 is out of range for rank 2"),
    ("split_fit", "compile", graph("SPLIT", SplitAttrs(2), [const([1], "int32"), act((1, 8))],
                                   [act((1, 4)), act((2, 4))]), "does not fit input (1, 8) split on axis 1"),
    ("split_sum", "compile", graph("SPLIT", SplitAttrs(2), [const([1], "int32"), act((1, 8))],
                                   [act((1, 4)), act((1, 3))]), "outputs do not add up to input dim 8 on axis 1"),
    ("split_v_inputs", "compile", graph("SPLIT_V", SplitAttrs(2), [act((1, 8))], [act((1, 4)), act((1, 4))]),
     "expects 3 inputs (input, size_splits, axis), got 1"),
    ("split_v_sizes", "compile", graph("SPLIT_V", SplitAttrs(2), [act((1, 8)), const([8], "int32"),
                                                                  const([1], "int32")], [act((1, 4)), act((1, 4))]),
     "size_splits has 1 values for 2 outputs"),
    ("tile_inputs", "compile", graph("TILE", NoAttrs(), [act((1, 2))], [act((1, 2))]),
     "expects 2 inputs (input, multiples), got 1"),
    ("tile_rank", "compile", graph("TILE", NoAttrs(), [act((1, 2)), const([1], "int32")], [act((1, 2))]),
     "multiples [1] do not fit a rank-2 input"),
    ("tile_shape", "compile", graph("TILE", NoAttrs(), [act((1, 2)), const([1, 2], "int32")], [act((1, 2))]),
     "is not input (1, 2) tiled [1, 2] times"),
    ("arg_inputs", "compile", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5))],
                                    [act((1,), "int32", quant=False)]), "expects 2 inputs (input, axis), got 1"),
    ("arg_input_dtype", "compile", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5), "int16"),
                                                                              const([1], "int32")],
                                         [act((1,), "int32", quant=False)]), "t0' must be quantised int8 (got int16)"),
    ("arg_output_dtype", "compile", graph("ARG_MIN", ArgMinMaxAttrs("int32"), [act((1, 5)), const([1], "int32")],
                                          [act((1,), "int16", quant=False)]),
     "is int16; int32 or int64 indices are supported"),
    ("arg_output_type", "compile", graph("ARG_MAX", ArgMinMaxAttrs("int64"), [act((1, 5)), const([1], "int32")],
                                         [act((1,), "int32", quant=False)]),
     "output_type int64 differs from the output tensor's int32"),
    ("arg_axis", "compile", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5)), const([2], "int32")],
                                  [act((1,), "int32", quant=False)]), "is not a single axis of a rank-2 input"),
    ("arg_shape", "compile", graph("ARG_MAX", ArgMinMaxAttrs("int32"), [act((1, 5)), const([1], "int32")],
                                   [act((5,), "int32", quant=False)]), "(input (1, 5) without axis 1)"),
    ("squeeze_size", "compile", graph("SQUEEZE", ReshapeAttrs(), [act((1, 4))], [act((5,))]),
     "is not a squeeze of input int8 (1, 4)"),
    ("squeeze_quant", "compile", graph("SQUEEZE", ReshapeAttrs(), [act((1, 4))], [act((4,), zp=1)]),
     "a squeeze cannot rescale"),
    ("fc_weights_const", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                          [act((1, 8)), act((4, 8))], [act((1, 4))]),
     "FULLY_CONNECTED (op 0): weights must be constant"),
    ("fc_weights_dtype", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                          [act((1, 8)), wconst((4, 8), "int32")], [act((1, 4))]),
     "FULLY_CONNECTED (op 0): int32 weights are not supported (int8 only)"),
    ("fc_depth", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                  [act((1, 7)), wconst((4, 8))], [act((1, 4))]),
     "FULLY_CONNECTED (op 0): input size 7 is not a multiple of 8"),
    ("fc_const_input", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                        [wconst((1, 8)), wconst((4, 8))], [act((1, 4))]),
     "FULLY_CONNECTED (op 0): a constant input is not supported"),
    ("fc_outputs", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                    [act((1, 8)), wconst((4, 8))], [act((1, 5))]),
     "FULLY_CONNECTED (op 0): input (1, 8) and weights (4, 8) give 4 outputs, but output (1, 5) holds 5"),
    ("hard_swish_scale", "compile", graph("HARD_SWISH", NoAttrs(), [act((4,), scale=1.0)], [act((4,), scale=1e-4)]),
     "HARD_SWISH: output scale 0.0001 is too small for the input scale 1.0"),
    ("tconv_axis", "compile", graph("TRANSPOSE_CONV", TransposeConvAttrs(1, 1, "SAME", "NONE"),
                                    [const([1, 4, 4, 2], "int32"),
                                     const(np.ones((2, 3, 3, 2)), quant=Quant((0.1, 0.1), (0, 0), 3)), X4], [X4]),
     "per-channel filter quantised along axis 3; TFLite Micro expects axis 0"),
    ("unknown_op", "compile", graph("FOO", NoAttrs(), [act((4,))], [act((4,))]), "FOO (op 0) is not supported"),
    ("view_dims", "compile", graph("TILE", NoAttrs(), [act((2, 3, 2, 3)), const([2, 2, 2, 2], "int32")],
                                   [act((4, 6, 4, 6))]), "needs a 8-D view; at most 6 are supported"),
    ("absent_output", "read", Graph("m", (Tensor(0, "x", (2,), "int8", q()),),
                                    (Op(0, "RELU", (0,), (-1,), NoAttrs()),), (0,), (0,)),
     "op 0 (RELU) has an absent output"),
    ("writes_input", "read", Graph("m", (Tensor(0, "x", (2,), "int8", q()), Tensor(1, "y", (2,), "int8", q())),
                                   (Op(0, "RELU", (0,), (0,), NoAttrs()),), (0,), (0,)),
     "op 0 (RELU) writes tensor 0, which is a model input or a constant"),
    ("output_never_written", "read", Graph("m", (Tensor(0, "x", (2,), "int8", q()),
                                                 Tensor(1, "y", (2,), "int8", q()), Tensor(2, "z", (2,), "int8", q())),
                                           (Op(0, "RELU", (0,), (1,), NoAttrs()),), (0,), (2,)),
     "model output tensor 2 is never written"),
    ("written_twice", "read", Graph("m", (Tensor(0, "x", (2,), "int8", q()), Tensor(1, "y", (2,), "int8", q())),
                                    (Op(0, "RELU", (0,), (1,), NoAttrs()), Op(1, "RELU", (0,), (1,), NoAttrs())),
                                    (0,), (1,)), "tensor 1 is written by op 0 and op 1"),
    ("output_count", "read", graph("RELU", NoAttrs(), [act((4,))], [act((4,)), act((4,))]),
     "has 2 outputs; it computes 1"),
    # -- 16x8 quantisation (s16.py and the data-movement lowerings with int16) ------------------------------
    ("s16_gate", "read", graph("SVDF", NoAttrs(), [act((1, 4), "int16")], [act((1, 4), "int16")]),
     "tensor 0 ('t0') holds int16 activations (16x8 quantisation), which SVDF cannot take yet"),
    ("s16_output", "compile", graph("CONV_2D", conv(), [X16, wconst((3, 3, 3, 2))], [act((1, 4, 4, 3))]),
     "CONV_2D (op 0): int16 input with int8 output is not supported (16x8: int16 output)"),
    ("s16_fc_output", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                       [act((1, 8)), wconst((4, 8))], [act((1, 4), "int16")]),
     "FULLY_CONNECTED (op 0): int8 input / int16 output are not supported (int8, or int16 16x8)"),
    ("s16_reshape", "compile", graph("RESHAPE", ReshapeAttrs(), [act((2, 2), "int16")], [act((4,))]),
     "RESHAPE (op 0): int16 input and int8 output; a reshape cannot convert"),
    ("s16_zero_point", "compile", graph("CONV_2D", conv(), [act((1, 4, 4, 2), "int16", zp=3), wconst((3, 3, 3, 2))],
                                        [act((1, 4, 4, 3), "int16")]),
     "the int16 input has zero point 3; 16x8 activations must be symmetric (0)"),
    ("s16_bias", "compile", graph("DEPTHWISE_CONV_2D", dw(), [X16, wconst((1, 3, 3, 2)), const([1, 2], "int32")],
                                  [act((1, 4, 4, 2), "int16")]),
     "16x8 needs a constant int64 bias (got int32; TFLite Micro's int32-bias form is for CONV_2D and "
     "FULLY_CONNECTED)"),
    ("s16_bias_dtype", "compile", graph("CONV_2D", conv(), [X16, wconst((3, 3, 3, 2)),
                                                            const(np.ones(3, np.float32), "float32")],
                                        [act((1, 4, 4, 3), "int16")]),
     "16x8 needs a constant int64 bias (got float32)"),
    ("s16_filter_quant", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                          [act((1, 8), "int16"), const(np.ones((4, 8)), quant=None) | {"quant": None}],
                                          [act((1, 4), "int16")]),
     "16x8 needs a constant, quantised int8 filter (got int8)"),
    ("s16_fc_scales", "compile", graph("FULLY_CONNECTED", FullyConnectedAttrs("NONE", False),
                                       [act((1, 8), "int16"), wconst((4, 8)) | {"quant": Quant((0.1, 0.2), (0, 0))}],
                                       [act((1, 4), "int16")]), "2 weight scales for 4 outputs"),
    ("s16_multiplier", "compile", graph("CONV_2D", conv(), [act((1, 4, 4, 2), "int16", scale=1000.0),
                                                            wconst((3, 3, 3, 2))],
                                        [act((1, 4, 4, 3), "int16", scale=1e-3)]),
     "output multiplier exponent 16 is outside TFLite's range -31..7"),
    ("s16_quantize_pair", "compile", graph("QUANTIZE", NoAttrs(), [act((4,), "int16")], [act((4,), "int32")]),
     "int16 -> int32 is not supported (with int16: float32, int8 or int16 -> int16, int16 -> int8)"),
    ("s16_concat_zero_point", "compile", graph("CONCATENATION", ConcatenationAttrs(1, "NONE"),
                                               [act((1, 2), "int16", zp=2), act((1, 3), "int16")],
                                               [act((1, 5), "int16")]),
     "int16 input 't0' / output zero points 2 / 0: TFLite Micro requires 0"),
]


@pytest.mark.parametrize("stage,g,text", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_message(stage, g, text):
    with pytest.raises(McuCompileError) as e:
        if stage == "read":
            verify_graph(g, "m.tflite")
        else:
            compile_graph(g)
    msg = str(e.value)
    assert text in msg, msg
    assert "\n" not in msg and msg.strip() == msg
    if stage == "read":
        assert isinstance(e.value, (ModelFormatError,)) or "only int8" in msg or "no input" in msg \
            or "quantisation parameters" in msg or "cannot take yet" in msg
    else:
        assert "(op 0)" in msg or msg.startswith(("SOFTMAX:", "HARD_SWISH:")), msg


def test_shape_error_names_op_index_and_both_shapes():
    """The reader's shape check: one line with the op's kind and index, the found and the expected shape."""
    g = graph("CONV_2D", conv(stride=2), [X4, wconst((3, 3, 3, 2))], [act((1, 4, 4, 3))])
    with pytest.raises(ModelFormatError) as e:
        verify_graph(g, "net.tflite")
    assert str(e.value) == ("net.tflite: op 0 (CONV_2D): output tensor 2 has shape (1, 4, 4, 3), but the op "
                            "computes (1, 2, 2, 3) from its inputs and attributes")


# ---- the audit ------------------------------------------------------------------------------------------

ERROR_CALLS = {"McuCompileError", "ModelFormatError", "UnsupportedModelError", "BuildError", "OutputFolderError",
               "FlashError", "E", "BadParameter", "UsageError"}
HELPERS = {"_fail", "_check"}      # the lowerings' one-line raisers: the message is the last argument


def _pieces(node) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        out, cur = [], ""
        for v in node.values:
            if isinstance(v, ast.Constant):
                cur += v.value
            else:
                out.append(cur)
                cur = ""
        return out + [cur]
    if isinstance(node, ast.BinOp):
        return _pieces(node.left) + _pieces(node.right)
    return []


def raise_sites() -> list[tuple[str, int, list[str]]]:
    """(file, line, constant pieces of the message) of every error raised to users in mcucompile/."""
    sites = []
    for p in sorted((ROOT / "mcucompile").rglob("*.py")):
        for n in ast.walk(ast.parse(p.read_text())):
            call, arg = None, 0
            if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call):
                f = n.exc.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                if name in ERROR_CALLS or name.endswith("Error") and name not in ("RuntimeError", "AssertionError"):
                    call = n.exc
            elif isinstance(n, ast.Call) and getattr(n.func, "id", "") in HELPERS:
                call, arg = n, -1
            if call is not None and call.args:
                pieces = [s.strip() for s in _pieces(call.args[arg])]
                if any(len(s) >= 10 for s in pieces):
                    sites.append((str(p.relative_to(ROOT)), n.lineno, pieces))
    return sites


def quoted_texts() -> dict[str, set[str]]:
    """Every string a test quotes (unescaped regex pieces of 10+ characters) -> the test files quoting it."""
    found: dict[str, set[str]] = {}
    for p in sorted((ROOT / "tests").glob("test_*.py")):
        for n in ast.walk(ast.parse(p.read_text())):
            values = [n.value] if isinstance(n, ast.Constant) and isinstance(n.value, str) else []
            for v in values:
                if len(v.strip()) >= 10:
                    found.setdefault(v.strip(), set()).add(p.name)
                for part in re.split(r"(?<!\\)\||\.\*|\\[dws][+*]?|\[[^\]]*\]", v):
                    s = re.sub(r"\\(.)", r"\1", part).strip(" ^$")
                    if len(s) >= 10:
                        found.setdefault(s, set()).add(p.name)
    return found


def coverage() -> list[tuple[str, int, str, list[str]]]:
    """(file, line, message pieces joined, tests quoting it) per raise site."""
    texts = quoted_texts()
    sites = raise_sites()
    seen: dict[str, int] = {}
    for _, _, pieces in sites:
        for p in set(pieces):
            seen[p] = seen.get(p, 0) + 1
    rows = []
    for f, line, pieces in sites:
        distinctive = [p for p in pieces if len(p) >= 12 and seen[p] == 1]   # this message's own wording
        long_pieces = [s for s in pieces if len(s) >= 10]
        windows = []         # runs of consecutive fixed pieces with 15+ characters, values in between
        for i in range(len(pieces)):
            for j in range(i, len(pieces)):
                run = [p for p in pieces[i:j + 1] if p]
                if sum(len(p) for p in run) >= 15:
                    windows.append(re.compile(".+?".join(re.escape(p) for p in run)))
                    break

        fixed = [p for p in pieces if p]
        spans = []           # s may start inside one fixed piece and end inside the next one
        for i in range(len(fixed) - 1):
            a_, b_ = fixed[i], fixed[i + 1]
            spans.append(re.compile("^(?P<a>" + "|".join(re.escape(a_[k:]) for k in range(len(a_))) + ").+?(?P<b>"
                                    + "|".join(re.escape(b_[:k]) for k in range(len(b_), 0, -1)) + ")$"))

        def quotes(s: str, long_pieces=long_pieces, windows=windows, distinctive=distinctive,
                   spans=spans) -> bool:
            """s is a piece of this message's fixed text, or quotes some of it with the values filled in."""
            if any(len(s) >= 16 and s in piece for piece in long_pieces) or any(w.search(s) for w in windows) \
                    or any(p in s for p in distinctive):
                return True
            for sp in spans:
                m = sp.match(s)
                if m and len(m.group("a")) + len(m.group("b")) >= 12:
                    return True
            return False
        who = sorted({t for s, files in texts.items() if quotes(s) for t in files})
        rows.append((f, line, " … ".join(s for s in pieces if s), who))
    return rows


# Raise sites without a test, with the reason. Keys: (file, a piece of the message).
_GUARD = "internal consistency guard: only a bug of ours reaches it (no input file can)"
_QEMU = "needs a broken cross toolchain, QEMU or firmware transport; the QEMU tests run the good path"
_PROBE = "needs a debug probe (or several) attached; the no-probe message is tested in test_boards.py"
_TF = "needs TensorFlow to load a crafted Keras model (slow); the convert tests cover the common refusals"
_FUZZ = "found by fuzzing: the mutated files that raise it are replayed from tests/fuzz_corpus and the CI run"
_BOARDS = "validates the board table (boards.json) or an RP2040 image while it is built: only a broken table or tool"
_SIGNAL_SHAPES = ("a Signal op's tensors disagree with its options or each other: the converter never writes such a "
                  "file, TFLite Micro's Prepare refuses it too")
UNTESTED: dict[tuple[str, str], str] = {
    ("mcucompile/codegen/ops/variables.py", "bytes, variable"):
        _GUARD + " (the reader requires every read and assignment of a variable to have its dtype and shape)",
    ("mcucompile/frontend/variables.py", "is not a VAR_HANDLE's resource"):
        "a malformed file: the converter feeds READ_VARIABLE / ASSIGN_VARIABLE a VAR_HANDLE's output",
    ("mcucompile/frontend/variables.py", "needs its options and one output"):
        "a malformed file: the converter writes every VAR_HANDLE with its options and one output",
    ("mcucompile/frontend/variables.py", "the initial value of variable"):
        "a crafted file whose init constant and variable differ in size; the reader's buffer-size check and "
        "the read/assign consistency check (tests/test_state.py) stop the ways an edit gets there",
    ("mcucompile/sim/latency.py", "core to run"): _GUARD + " (every core timing.py models has a QEMU board)",
    ("mcucompile/sim/latency.py", "the cycle counter saw"): _GUARD + " (the harness marks three intervals)",
    ("mcucompile/sim/latency.py", "differ from the inference's"):
        _GUARD + " (the plugin's cuts partition the interval; tests/test_latency.py checks the sum)",
    ("mcucompile/api.py", "the memory plan is unsound"): _GUARD,
    ("mcucompile/codegen/ops/activations.py", "rounds to a multiplier of 2^31"):
        _GUARD + " (a float32 scale's mantissa cannot round up to 2^31)",
    ("mcucompile/codegen/ops/softmax.py", "gives a negative shift"): _GUARD + " (a multiplier > 1 has shift >= 1)",
    ("mcucompile/codegen/patch.py", "cannot run per patch"): _GUARD + " (the planner only stages patchable ops)",
    ("mcucompile/codegen/records.py", "not a call argument"): _GUARD + " (lowering functions build their args "
                                                               "from text and the pointer records only)",
    ("mcucompile/passes/patch_plan.py", "patch stage kinds must be among"): _GUARD,
    ("mcucompile/api.py", "differs between the models"):
        _GUARD + " (both models are rendered from the same kernel library with the same options)",
    ("mcucompile/tflm_plan.py", "cannot unpack the model's flatbuffer"):
        _GUARD + " (the reader has accepted the same bytes just before)",
    ("mcucompile/tflm_plan.py", "subgraphs; offline plans are written for one"):
        _GUARD + " (the reader refuses models with several subgraphs first)",
    ("mcucompile/tflm_plan.py", "tensors in the file"): _GUARD + " (the reader keeps every tensor of the file)",
    ("mcucompile/passes/patch_plan.py", "a patch of this grid would be empty"): _GUARD,
    ("mcucompile/passes/patch_plan.py", "does not contribute to the stage output"): _GUARD,
    ("mcucompile/passes/patch_plan.py", "row caching needs the bands"): _GUARD,
    ("mcucompile/passes/regions.py", "has no sliding window"): _GUARD,
    ("mcucompile/sim/host.py", "generated code crashed"): "the sanitizer runs of the fuzz campaign would show it; "
                                                           "no known model makes our C crash",
    ("mcucompile/sim/host.py", "generated code wrote"): _GUARD,
    ("mcucompile/sim/target.py", ""): _QEMU,
    ("mcucompile/flash.py", "probe"): _PROBE,
    ("mcucompile/flash.py", "pyOCD has no built-in support"): "needs a pyOCD install without the board's pack",
    ("mcucompile/flash.py", "build failed in"): _QEMU,
    ("mcucompile/boards/__init__.py", "is listed twice"): _BOARDS,
    ("mcucompile/boards/__init__.py", "boot2 must be"): _BOARDS,
    ("mcucompile/boards/rp2040_tool.py", ""): _BOARDS,
    ("mcucompile/boards/firmware.py", "does not fit"): "tested in test_boards.py, which checks the figures and "
                                                       "the hint of the fit-check error rather than its wording",
    ("mcucompile/boards/firmware.py", "test input for"): _GUARD + " (simulate checks input shapes first)",
    ("mcucompile/report.py", "needs matplotlib"): "matplotlib is installed in the test environment",
    ("mcucompile/passes/patch_plan.py", "the grid must have one column"): _GUARD,
    ("mcucompile/boards/__init__.py", "console must be"): _BOARDS,
    ("mcucompile/boards/__init__.py", "regions is main"): _BOARDS,
    ("mcucompile/passes/banks.py", "internal error: region"):
        _GUARD + " (the full planner tries the quick planner's orders first and keeps the best)",
    ("mcucompile/sim/tflm_arena.py", "no arena figures"): "needs a TFLite Micro build that prints no arena line",
    ("mcucompile/sim/tflm_arena.py", "did not finish"): "needs a TFLite Micro run that hangs",
    ("mcucompile/frontend/calibration.py", "needs Pillow"): "Pillow is installed with the [convert] extra",
    ("mcucompile/frontend/keras_convert.py", "needs TensorFlow"): "TensorFlow is installed in the test environment",
    ("mcucompile/frontend/keras_convert.py", ""): _TF,
    ("mcucompile/frontend/tflite_reader.py", ""): _FUZZ,
    ("mcucompile/codegen/ops/gather.py", "does not hold the"): _GUARD + " (every caller checks the output shape)",
    ("mcucompile/codegen/ops/gather.py", "input offsets do not fit int32"): "needs an input over 2^31 elements",
    # the audio front end's shape checks: TFLite Micro's Prepare checks the same; only a hand-edited file fails
    # them (the lowerings' other refusals are quoted in tests/test_audio_frontend.py)
    ("mcucompile/codegen/ops/signal.py", "must be 1-D and divide the input"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "must be the input's shape"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "complex bins expected"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "must have the same rank"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "the channel tables hold"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "a channel reads outside"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "must be 1-D alike"): _SIGNAL_SHAPES,
    ("mcucompile/codegen/ops/signal.py", "the gain table has"): _SIGNAL_SHAPES,
}


def _untested_reason(f: str, text: str):
    for (uf, piece), why in UNTESTED.items():
        if uf == f and piece in text:
            return why
    return None


def test_every_message_is_tested():
    missing = [f"{f}:{line}: {text}" for f, line, text, who in coverage()
               if not who and _untested_reason(f, text) is None]
    assert not missing, ("error messages that no test quotes (add a test, or an UNTESTED entry with the reason):\n"
                         + "\n".join(missing))


if __name__ == "__main__":
    rows = coverage()
    for f, line, text, who in rows:
        print(f"{f}:{line}\t{text[:110]}\t{', '.join(who) or ('UNTESTED: ' + (_untested_reason(f, text) or '?'))}")
    print(f"{sum(1 for r in rows if r[3])} of {len(rows)} messages quoted by a test", file=sys.stderr)


# ---- calibration data and Keras model files (no TensorFlow needed: checked before it starts) -----------

def _calibration_error(tmp_path, make, specs):
    from mcucompile.frontend.calibration import load_calibration
    path = make(tmp_path)
    with pytest.raises(McuCompileError) as e:
        load_calibration(path, specs)
    assert "\n" not in str(e.value)
    return str(e.value)


def _npz(**arrays):
    def make(tmp):
        np.savez(tmp / "c.npz", **arrays)
        return tmp / "c.npz"
    return make


def _npy(a):
    def make(tmp):
        np.save(tmp / "c.npy", a)
        return tmp / "c.npy"
    return make


def _images(names=(), data=b""):
    def make(tmp):
        for n in names:
            (tmp / n).write_bytes(data)
        return tmp
    return make


def _spec(name="x", shape=(4, 4, 3)):
    from mcucompile.frontend.calibration import InputSpec
    return InputSpec(name, shape)


CALIBRATION_CASES = [
    ("suffix", lambda tmp: (tmp / "c.txt").write_text("1") and tmp / "c.txt", [_spec()],
     "calibration data must be a .npy/.npz file of float samples or a folder of images"),
    ("sample_counts", _npz(a=np.zeros((2, 4), np.float32), b=np.zeros((3, 4), np.float32)),
     [_spec("a", (4,)), _spec("b", (4,))], "the inputs have different sample counts [2, 3]"),
    ("no_samples", _npy(np.zeros((0, 4), np.float32)), [_spec("x", (4,))], "holds no samples"),
    ("nan", _npy(np.full((2, 4), np.nan, np.float32)), [_spec("x", (4,))], "input 'x' holds NaN or infinite values"),
    ("dtype", _npy(np.zeros((2, 4), np.complex64)), [_spec("x", (4,))], "dtype complex64 is not numeric"),
    ("shape", _npy(np.zeros((2, 5), np.float32)), [_spec("x", (4,))],
     "array shape [2, 5] fits neither [4] nor [N, *[4]] (model input 'x')"),
    ("two_inputs_npy", _npy(np.zeros((2, 4), np.float32)), [_spec("a", (4,)), _spec("b", (4,))],
     "the model has 2 inputs ['a', 'b']: give an .npz keyed by input name"),
    ("images_two_inputs", _images(), [_spec("a"), _spec("b")],
     "an image folder can only calibrate a model with one input; this one has 2"),
    ("images_not_image", _images(), [_spec("x", (4,))], "images need a model input of shape [H, W, 1 or 3]"),
    ("no_images", _images(), [_spec()], ") in this folder"),
    ("integer", _npy(np.zeros((2, 4), np.int16)), [_spec("x", (4,))],
     "integer array (int16); give float samples exactly as the float model expects them"),
    ("bad_image", _images(["a.png"], b"not a png"), [_spec()], "cannot decode this image ("),
]


def test_calibration_missing(tmp_path):
    from mcucompile.frontend.calibration import load_calibration, source_digest
    with pytest.raises(McuCompileError, match=re.escape("nope.npy: no such file or folder (calibration data)")):
        load_calibration(tmp_path / "nope.npy", [_spec()])
    with pytest.raises(McuCompileError, match=re.escape("nope.npy: no such file or folder (calibration data)")):
        source_digest(tmp_path / "nope.npy")


@pytest.mark.parametrize("make,specs,text", [c[1:] for c in CALIBRATION_CASES], ids=[c[0] for c in CALIBRATION_CASES])
def test_calibration_message(tmp_path, make, specs, text):
    assert text in _calibration_error(tmp_path, make, specs)


@pytest.mark.parametrize("name,content,text", [
    ("m.keras", b"garbage!", "not a .keras model (not a zip archive)"),
    ("m.bin", b"garbage!", "not a Keras model: expected a .keras or .h5 file or a SavedModel folder"),
    ("saved", None, "a folder without saved_model.pb is not a SavedModel"),
])
def test_keras_model_file_message(tmp_path, name, content, text):
    from mcucompile.frontend.keras_convert import check_model_file
    p = tmp_path / name
    if content is None:
        p.mkdir()
    else:
        p.write_bytes(content)
    with pytest.raises(McuCompileError, match=re.escape(text)):
        check_model_file(p)


def test_samples_at_least_one(tmp_path):
    from mcucompile.frontend.keras_convert import ConvertOptions, check_calibration
    with pytest.raises(McuCompileError, match="--samples must be at least 1"):
        check_calibration(ConvertOptions(samples=0, random_calibration=True), tmp_path / "m.keras")


# ---- simulate --input files (cli._load_inputs) and the host build ----------------------------------------

def _two_input_graph():
    return Graph("m", (Tensor(0, "a", (4,), "int8", q()), Tensor(1, "b", (4,), "int8", q()),
                       Tensor(2, "y", (4,), "int8", q())), (Op(0, "ADD", (0, 1), (2,), EW),), (0, 1), (2,))


def test_simulate_input_messages(tmp_path):
    from mcucompile.cli import _load_inputs
    g2 = _two_input_graph()
    g1 = graph("RELU", NoAttrs(), [act((4,))], [act((4,))])
    np.save(tmp_path / "x.npy", np.zeros((2, 4), np.int8))
    with pytest.raises(McuCompileError, match=re.escape("the model has 2 inputs: give an .npz keyed by ['a', 'b']")):
        _load_inputs(tmp_path / "x.npy", g2)
    np.savez(tmp_path / "x.npz", a=np.zeros((2, 4), np.int8))
    with pytest.raises(McuCompileError, match=re.escape("x.npz: no array for input(s) ['b']; it has ['a']")):
        _load_inputs(tmp_path / "x.npz", g2)
    np.save(tmp_path / "f.npy", np.zeros((2, 4), np.float32))
    with pytest.raises(McuCompileError, match=re.escape("input 't0': array dtype float32, the model wants int8 "
                                                        "(quantise with the input scale and zero point")):
        _load_inputs(tmp_path / "f.npy", g1)


def test_cli_size_and_input_shape_messages(tmp_path):
    import click

    from mcucompile.cli import _load_inputs, _parse_size
    text = "'64 apples' is not a size (e.g. 65536, 64KiB, 320K, 1MiB)"
    with pytest.raises(click.BadParameter, match=re.escape(text)):
        _parse_size("64 apples")
    np.save(tmp_path / "x.npy", np.zeros((2, 5), np.int8))
    text = "input 't0': array shape (2, 5) is neither (4,), [N, *(4,)] nor [N, *(4,)]"
    with pytest.raises(McuCompileError, match=re.escape(text)):
        _load_inputs(tmp_path / "x.npy", graph("RELU", NoAttrs(), [act((4,))], [act((4,))]))


def test_report_refuses_a_foreign_file(tmp_path):
    from mcucompile.errors import OutputFolderError
    from mcucompile.report import write_report
    (tmp_path / "r.html").write_text("<html>mine</html>")
    with pytest.raises(OutputFolderError, match=re.escape("exists and was not written by `mcucompile report`; "
                                                          "choose another name or pass --force to overwrite it")):
        write_report(None, tmp_path / "r.html")


def test_host_build_messages(tmp_path, monkeypatch):
    from mcucompile.errors import BuildError
    from mcucompile.sim import host
    c = compile_graph(graph("RELU", NoAttrs(), [act((4,))], [act((4,))]))
    monkeypatch.setattr(host, "HOST_CFLAGS", ["-fno-such-option-for-the-test"])
    with pytest.raises(BuildError, match=r"host build failed \("):
        host.build_host(c, tmp_path, sanitize=False)
    monkeypatch.setenv("CC", "")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(BuildError, match=re.escape("no host C compiler found: install gcc (Debian package `gcc`)")):
        host.host_compiler()


def test_unknown_kernel_family():
    from mcucompile.codegen.generate import Options
    with pytest.raises(McuCompileError,
                       match=re.escape("unknown kernel family simd='neon'; one of none, dsp, dsp-size, mve")):
        compile_graph(graph("RELU", NoAttrs(), [act((4,))], [act((4,))]), Options(simd="neon"))


def test_unknown_scratch_policy():
    from mcucompile.codegen.generate import Options
    with pytest.raises(McuCompileError, match=re.escape("unknown scratch policy 'sometimes'; one of free, always")):
        compile_graph(graph("RELU", NoAttrs(), [act((4,))], [act((4,))]), Options(scratch="sometimes"))


def test_unknown_wide_weights_mode():
    from mcucompile.codegen.generate import Options
    with pytest.raises(McuCompileError, match=re.escape("unknown wide weights mode 'yes'; one of auto, on, off")):
        compile_graph(graph("RELU", NoAttrs(), [act((4,))], [act((4,))]), Options(wide_weights="yes"))


def test_output_path_is_a_folder(tmp_path):
    from mcucompile.api import convert
    from mcucompile.errors import OutputFolderError
    from mcucompile.report import write_report
    with pytest.raises(OutputFolderError, match="is a folder: give the path of the .tflite file to write"):
        convert(tmp_path / "model.keras", tmp_path)          # refused before any conversion starts
    with pytest.raises(OutputFolderError, match="is a folder: give the path of the .html file to write"):
        write_report(None, tmp_path)



def test_tflm_arena_missing_model(tmp_path):
    from mcucompile.sim.tflm_arena import tflm_arena
    text = "none.tflite does not exist (give the path of a .tflite file)"
    with pytest.raises(McuCompileError, match=re.escape(text)):
        tflm_arena(tmp_path / "none.tflite")


def test_flash_without_pyocd_says_how_to_install_it(monkeypatch):
    """pyOCD missing (here: its modules made unimportable) -> one line naming the package to install."""
    from mcucompile.boards import get_board
    from mcucompile.flash import _check_pyocd
    for mod in ("pyocd", "pyocd.core", "pyocd.core.helpers", "pyocd.target"):
        monkeypatch.setitem(sys.modules, mod, None)
    with pytest.raises(McuCompileError, match=r"^pyOCD is not installed: pip install pyocd$"):
        _check_pyocd(get_board("nucleo-f767zi"), None)



# ---- the audit's table, message -> tests (regenerate: python tests/test_error_messages.py) ------------------
#
# 276 of 320 messages are quoted by a test; the other 44 are in UNTESTED with the reason.
#
# mcucompile/api.py
#   is a folder: give the path of the .tflite file to write  ->  error_messages
#   internal error: the memory plan is unsound:  ->  error_messages
#   exists and is not a folder  ->  errors
#   is not empty and was not created by mcucompile ( … entries, e...  ->  codegen, errors
# mcucompile/boards/__init__.py
#   : board … is listed twice  ->  error_messages
#   : board … : boot2 must be rp2040-03h with flash_reserved 256  ->  UNTESTED: validates the board table (boards.json)
#   : board … : console must be semihosting or uart  ->  UNTESTED: validates the board table (boards.json) or an RP2040
#   unknown board … ; known boards: … (see `mcucompile boards`)  ->  errors, report
# mcucompile/boards/firmware.py
#   does not fit … : … . Hint:  ->  boards, error_messages
#   the built firmware does not fit … : … . Hint: try --patch aut...  ->  report
#   test input for … has shape … , expected [N, * … ]  ->  error_messages
# mcucompile/boards/rp2040_tool.py
#   boot2 code is … bytes; at most … fit before the checksum  ->  UNTESTED: validates the board table (boards.json) or
#   base address 0x … is not a multiple of  ->  error_messages
#   would not boot:  ->  UNTESTED: validates the board table (boards.json) or an RP2040 image while it is built: only a
#   would not boot:  ->  UNTESTED: validates the board table (boards.json) or an RP2040 image while it is built: only a
# mcucompile/cli.py
#   is not a size (e.g. 65536, 64KiB, 320K, 1MiB)  ->  error_messages
#   : cannot read as .npy/.npz ( … )  ->  errors
#   : no array for input(s) … ; it has  ->  error_messages
#   the model has … inputs: give an .npz keyed by  ->  error_messages
#   input … : array shape … is neither … nor [N, * … ]  ->  error_messages
#   input … : array dtype … , the model wants … (quantise with th...  ->  error_messages
# mcucompile/codegen/generate.py
#   (op … ) is not supported  ->  error_messages
# mcucompile/codegen/ops/activations.py
#   input scale … rounds to a multiplier of 2^31, which TFLite Mi...  ->  error_messages
#   HARD_SWISH: output scale … is too small for the input scale …...  ->  error_messages
#   : tensor … is … ; only int8 is supported  ->  error_messages
#   : tensor … must have per-tensor quantisation  ->  error_messages
#   : input … and output … sizes differ  ->  error_messages
#   : the output must have scale 1/256 and zero point -128 (TFLit...  ->  error_messages
#   : the output must have scale 1/128 and zero point 0 (TFLite M...  ->  error_messages
# mcucompile/codegen/ops/conv.py
#   needs an input and a filter  ->  error_messages
#   input / … output are not supported (int8 only)  ->  error_messages
#   the filter must be constant  ->  error_messages
#   filter is not supported (int8 only)  ->  error_messages
#   the bias must be a constant int32 tensor (got … )  ->  error_messages, errors
#   input, filter and output must be quantised  ->  error_messages
#   tensors must be 4-D (input … , filter … , output … )  ->  error_messages
#   strides and dilations must be positive  ->  error_messages
#   padding … is not supported  ->  error_messages, errors
#   fused activation … is not supported  ->  error_messages, errors
#   (op … ): filter zero point must be 0  ->  error_messages
#   batch of output … differs from input  ->  error_messages
#   filter shape … must be [1, KH, KW, C]  ->  error_messages
#   depth_multiplier … does not match input channels … , filter c...  ->  error_messages
#   grouped convolution (input channels … , filter channels … ) i...  ->  error_messages
#   filter output channels … differ from output channels  ->  error_messages
#   bias has … values for … output channels  ->  error_messages
#   output size … x … differs from the … x … that … padding gives  ->  error_messages
#   filter scales for … channels  ->  error_messages
# mcucompile/codegen/ops/elementwise.py
#   input shape … has more dimensions than the output  ->  error_messages
#   shape … does not broadcast to  ->  error_messages
#   broadcast of … to … needs … dimensions; at most … are supported  ->  error_messages
#   (op … ): tensor … is … ; only int8 is supported  ->  error_messages
#   (op … ): tensor … must have per-tensor quantisation  ->  error_messages
#   rescale multiplier … is outside (0, 1)  ->  error_messages
#   DIV (op … ): rescale s1/(s2*s_out) = … is too large (shift … ...  ->  error_messages
# mcucompile/codegen/ops/fc.py
#   FULLY_CONNECTED (op … ): weights must be constant  ->  error_messages
#   FULLY_CONNECTED (op … ): … weights are not supported (int8 only)  ->  error_messages
#   FULLY_CONNECTED (op … ): the bias must be a constant int32 te...  ->  error_messages, errors
#   FULLY_CONNECTED (op … ): input size … is not a multiple of  ->  error_messages
#   FULLY_CONNECTED (op … ): a constant input is not supported  ->  error_messages
#   FULLY_CONNECTED (op … ): input … and weights … give … outputs...  ->  error_messages
# mcucompile/codegen/ops/matmul.py
#   tensor ' … ' must be per-tensor int8 (got … )  ->  error_messages
#   expects 2 inputs, got  ->  error_messages
#   operands must have rank 2 to 5 (got … and … ), as in TFLite M...  ->  error_messages
#   inner dimensions differ: … (adj_x= … ) x … (adj_y= … )  ->  error_messages
#   batch dimensions … and … do not broadcast  ->  error_messages
#   output shape … differs from the … the operands give  ->  error_messages
#   expects 3 or 4 inputs (output shape, filter, input, bias), got  ->  error_messages
#   the filter must be a constant, quantised int8 tensor  ->  error_messages
#   the bias must be a constant int32 tensor (got … )  ->  error_messages, errors
#   tensors must be 4-D (input … , filter … , output … )  ->  error_messages
#   the output_shape input … differs from the output tensor  ->  error_messages
#   strides must be positive (got … x … )  ->  error_messages
#   padding … is not supported  ->  error_messages, errors
#   fused activation … is not supported  ->  error_messages, errors
#   filter zero point must be 0 (TFLite's int8 kernel ignores it)  ->  error_messages
#   filter … does not fit input … and output  ->  error_messages
#   bias has … values for … output channels  ->  error_messages
#   filter scales for … output channels  ->  error_messages
#   per-channel filter quantised along axis … ; TFLite Micro expe...  ->  error_messages
# mcucompile/codegen/ops/misc.py
#   tensor ' … ' is … ; only int8 is supported  ->  error_messages
#   tensor ' … ' needs per-tensor quantisation  ->  error_messages
#   the … input is missing  ->  error_messages
#   the … tensor must be a constant of the model  ->  error_messages
#   the … tensor is … ; TFLite Micro supports int32 only  ->  error_messages
#   rank … is above the supported  ->  error_messages
#   output must be per-tensor int8 (got … )  ->  error_messages
#   -> … is not supported (float32 or int8 -> int8 only)  ->  error_messages
#   output is … ; only float32 is supported  ->  error_messages
#   paddings has … values for a rank- … input  ->  error_messages
#   negative paddings are not supported  ->  error_messages
#   output dim … is … , paddings give  ->  error_messages
#   the pad value must be a constant int8 scalar  ->  error_messages
#   the pad value must have the output's scale and zero point  ->  error_messages
#   perm … is not a permutation of … axes  ->  error_messages
#   output shape … does not match perm … of  ->  error_messages
#   fused activation … is not supported  ->  error_messages, errors
#   axis … is out of range for rank  ->  error_messages
#   input ' … ' (scale … , zero point … ) differs from the output...  ->  error_messages, misc_ops
#   input shape … does not fit output … on axis  ->  error_messages
#   inputs do not add up to output dim … on axis  ->  error_messages
# mcucompile/codegen/ops/pool.py
#   pooling padding … is not supported  ->  error_messages, errors
#   : … -> … is not supported (int8 only)  ->  error_messages
#   : input and output must be 4-D NHWC, got … ->  ->  error_messages
#   : input and output must be quantised  ->  error_messages
#   : input and output quantisation must match (TFLite requires i...  ->  error_messages
#   : output shape … does not match the expected  ->  error_messages
#   : empty output  ->  error_messages
# mcucompile/codegen/ops/reduce.py
#   axis … is out of range for rank  ->  error_messages
#   tensor ' … ' must be per-tensor int8 (got … )  ->  error_messages
#   rank … is above the supported  ->  error_messages
#   the axes must be a constant tensor of the model  ->  error_messages
#   the axes tensor is … ; TFLite Micro supports int32 only  ->  error_messages
#   empty input tensors are not supported  ->  error_messages
#   output shape … does not match reducing … over  ->  error_messages
# mcucompile/codegen/ops/resize.py
#   expects an input and a size tensor, got … inputs  ->  error_messages
#   tensor ' … ' must be per-tensor int8 (got … )  ->  error_messages
#   input (scale … , zero point … ) and output (scale … , zero po...  ->  error_messages
#   input and output must be 4-D NHWC (got … and … )  ->  error_messages
#   the size must be a constant int32 tensor of 2 values (TFLite ...  ->  error_messages
#   output shape … does not match size [ … , … ] of input  ->  error_messages
#   size [ … , … ] must be positive  ->  error_messages
#   align_corners and half_pixel_centers cannot both be set (TFLi...  ->  error_messages
#   the output is too large for TFLite's 32-bit source coordinates  ->  error_messages
# mcucompile/codegen/ops/slicing.py
#   tensor ' … ' must be per-tensor int8 (got … )  ->  error_messages
#   output ' … ' (scale … , zero point … ) is quantised unlike th...  ->  error_messages
#   the … input is missing  ->  error_messages
#   the … tensor must be a constant of the model  ->  error_messages
#   the … tensor is … ; supported:  ->  error_messages
#   needs a … -D view; at most … are supported  ->  error_messages
#   expects 4 inputs (input, begin, end, strides), got  ->  error_messages
#   ellipsis_mask … / new_axis_mask … are not supported (TFLite M...  ->  error_messages
#   the 'offset' form of STRIDED_SLICE is not supported (TFLite M...  ->  error_messages
#   begin/end/strides have … / … / … values for a rank- … input  ->  error_messages
#   stride values must be non-zero  ->  error_messages
#   axis … is shrunk with a negative stride; TFLite's kernel copi...  ->  error_messages
#   axis … selects no element: empty tensors are not supported  ->  error_messages
#   output shape … differs from the … the slice selects  ->  error_messages
#   the axis tensor holds … values, expected 1  ->  error_messages
#   axis … is out of range for rank  ->  error_messages
#   output shape … does not fit input … split on axis  ->  error_messages
#   outputs do not add up to input dim … on axis  ->  error_messages
#   expects 2 inputs (axis, input), got  ->  error_messages
#   num_splits … differs from the … outputs  ->  error_messages
#   expects 3 inputs (input, size_splits, axis), got  ->  error_messages
#   size_splits has … values for … outputs  ->  error_messages
#   expects 2 inputs (input, multiples), got  ->  error_messages
#   multiples … do not fit a rank- … input  ->  error_messages
#   output shape … is not input … tiled … times  ->  error_messages
#   expects 2 inputs (input, axis), got  ->  error_messages
#   input ' … ' must be quantised int8 (got … )  ->  error_messages
#   output ' … ' is … ; int32 or int64 indices are supported  ->  error_messages
#   output_type … differs from the output tensor's  ->  error_messages
#   axis … is not a single axis of a rank- … input  ->  error_messages
#   output shape … differs from … (input … without axis … )  ->  error_messages
#   output … is not a squeeze of input  ->  error_messages
#   input and output are quantised differently; a squeeze cannot ...  ->  error_messages
# mcucompile/codegen/ops/softmax.py
#   SOFTMAX: beta * input_scale * 2^26 = … must exceed 1 (TFLite ...  ->  error_messages
#   SOFTMAX: multiplier … gives a negative shift  ->  error_messages
#   : … -> … is not supported (int8 -> int8 only)  ->  error_messages
#   : input and output must be quantised  ->  error_messages
#   : the output must have scale 1/256 and zero point -128 (TFLit...  ->  error_messages
#   : input … and output … shapes must match  ->  error_messages
# mcucompile/passes/normalize.py
#   unknown input layout … ; one of  ->  normalize
# mcucompile/codegen/patch.py
#   (op … ) cannot run per patch  ->  error_messages
# mcucompile/flash.py
#   is not a firmware project: create one with `mcucompile compil...  ->  boards
#   was generated for … , not … : regenerate it with `mcucompile ...  ->  cli_json_progress
#   pyOCD is not installed: pip install pyocd  ->  error_messages
#   pyOCD has no built-in support for … ( … ): install its device...  ->  error_messages
#   no debug probe found: connect … through … to this computer (c...  ->  boards
#   probe … is not connected; connected probes:  ->  UNTESTED: needs a debug probe (or several) attached; the no-probe
#   probes are connected ( … ): choose one with --probe ID  ->  UNTESTED: needs a debug probe (or several) attached; th
#   build failed in … :  ->  error_messages
# mcucompile/frontend/calibration.py
#   : no such file or folder (calibration data)  ->  error_messages
#   : no such file or folder (calibration data)  ->  error_messages
#   : calibration data must be a .npy/.npz file of float samples ...  ->  error_messages
#   : the inputs have different sample counts  ->  error_messages
#   : holds no samples  ->  error_messages
#   : input … holds NaN or infinite values  ->  error_messages
#   : dtype … is not numeric  ->  error_messages
#   : array shape … fits neither … nor [N, * … ] (model input … )  ->  convert, error_messages
#   : integer array ( … ); give float samples exactly as the floa...  ->  error_messages
#   : cannot read as .npy/.npz ( … )  ->  errors
#   : no array for model input(s) … ; it holds … (key the arrays ...  ->  convert
#   : the model has … inputs … : give an .npz keyed by input name  ->  error_messages
#   : an image folder can only calibrate a model with one input; ...  ->  error_messages
#   : images need a model input of shape [H, W, 1 or 3]; input … ...  ->  error_messages
#   reading calibration images needs Pillow: pip install -e .[con...  ->  UNTESTED: Pillow is installed with the [conve
#   : no images ( … ) in this folder  ->  error_messages
#   : cannot decode this image ( … : … )  ->  error_messages
# mcucompile/frontend/keras_convert.py
#   : no such file or folder  ->  error_messages
#   : a folder without saved_model.pb is not a SavedModel  ->  error_messages
#   : already a TFLite model; give it to compile/analyze/simulate...  ->  convert
#   : not a Keras .h5 model (no HDF5 signature)  ->  convert
#   : not a .keras model (not a zip archive)  ->  error_messages
#   : not a Keras model: expected a .keras or .h5 file or a Saved...  ->  error_messages
#   --samples must be at least 1  ->  error_messages
#   is a float model: converting it to int8 needs calibration dat...  ->  convert
#   give either --calibration or --random-calibration, not both  ->  convert
#   : no such file or folder (calibration data)  ->  error_messages
#   the TensorFlow converter crashed ( … ) while … ; some layer i...  ->  UNTESTED: needs TensorFlow to load a crafted
#   : holds a Lambda layer with Python code, which Keras loads on...  ->  UNTESTED: needs TensorFlow to load a crafted
#   : uses a custom layer Keras cannot rebuild from the file ( … ...  ->  UNTESTED: needs TensorFlow to load a crafted
#   : cannot load as a Keras model ( … : … )  ->  convert
#   : cannot load as a Keras model (incompatible layer configurat...  ->  convert
#   : cannot load as a SavedModel with a serving_default signatur...  ->  UNTESTED: needs TensorFlow to load a crafted
#   : a subclassed model without known input shapes; save a funct...  ->  UNTESTED: needs TensorFlow to load a crafted
#   : input … has an unknown dimension … ; give the model a fixed...  ->  UNTESTED: needs TensorFlow to load a crafted
#   op(s) have no int8 kernel and would run in float, which mcuco...  ->  UNTESTED: needs TensorFlow to load a crafted
#   converting Keras models needs TensorFlow:  ->  error_messages
# mcucompile/frontend/tflite_reader.py
#   unknown fused activation code  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from te
#   fused activation … is not supported (int8 ops take NONE, RELU...  ->  error_messages, errors
#   unknown padding code  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from tests/fuzz_
#   CONV_2D without options  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from tests/fu
#   DEPTHWISE_CONV_2D without options  ->  conv_ops, convert, error_messages, fast_kernels, patch, reader
#   without options  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from tests/fuzz_corpu
#   CONCATENATION without options  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from te
#   TRANSPOSE_CONV without options  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from t
#   tensor … : quantisation scale … is not a finite non-negative ...  ->  errors
#   tensor … : … scales but … zero points  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed
#   tensor … : int8 zero point … is outside [-128, 127]  ->  UNTESTED: found by fuzzing: the mutated files that raise i
#   : no such file  ->  error_messages
#   : is a folder, not a .tflite file (for a SavedModel, use `mcu...  ->  reader
#   : … bytes is too large for a microcontroller model  ->  UNTESTED: found by fuzzing: the mutated files that raise it
#   : not a TFLite model (no 'TFL3' file identifier)  ->  reader
#   : corrupt TFLite file (nesting too deep)  ->  UNTESTED: found by fuzzing: the mutated files that raise it are repla
#   : corrupt or truncated TFLite file ( … : … )  ->  UNTESTED: found by fuzzing: the mutated files that raise it are r
#   tensor … refers to buffer … , but the model has … buffers  ->  UNTESTED: found by fuzzing: the mutated files that r
#   tensor … : buffer … lies past the end of the file  ->  UNTESTED: found by fuzzing: the mutated files that raise it
#   tensor … : constant of type … is not supported  ->  error_messages, errors
#   tensor … : buffer holds … bytes, shape … of … needs  ->  reader
#   : the model has no subgraph  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed from test
#   : the model has … subgraphs (control flow); only single-subgr...  ->  error_messages
#   tensor … ( … ) has unknown type code  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed
#   tensor … ( … ) has a dynamic shape … ; only static shapes are...  ->  UNTESTED: found by fuzzing: the mutated files
#   tensor … ( … ) has an absurd shape  ->  UNTESTED: found by fuzzing: the mutated files that raise it are replayed fr
#   tensor … ( … ) holds int8 constants without quantisation para...  ->  error_messages, errors
#   tensor … ( … ): an activation with quantisation scale 0  ->  errors
#   refers to tensor … , but the model has … tensors  ->  error_messages, fuzz, reader
#   : model … tensor … is … ; model inputs and outputs must be ac...  ->  UNTESTED: found by fuzzing: the mutated files
#   op … refers to operator code … , but the model has  ->  UNTESTED: found by fuzzing: the mutated files that raise it
#   op … ( … ) has inputs … and outputs … ; it needs at least … i...  ->  errors
#   : … unsupported op … : … . `mcucompile ops` lists what is sup...  ->  reader
# mcucompile/ir/quant.py
#   fused activation … has no quantised clamp  ->  error_messages, errors
# mcucompile/passes/patch_plan.py
#   op … ( … ) does not contribute to the stage output  ->  error_messages
#   a patch of this grid would be empty  ->  error_messages
#   row caching needs the bands' rows to move down monotonically  ->  error_messages
#   patch stage kinds must be among … , not  ->  error_messages
#   no schedule fits in … B of SRAM: the smallest peak found is …...  ->  patch
# mcucompile/passes/regions.py
#   has no sliding window  ->  error_messages
# mcucompile/ir/shapes.py
#   : op … ( … ) has no output  ->  error_messages
#   : op … ( … ) reads tensor … before it is written (ops out of ...  ->  fuzz, reader
#   : op … ( … ) reads tensor … , which is neither an input, a co...  ->  fuzz
#   : op … ( … ) has an absent output  ->  error_messages
#   : tensor … is written by op … and op  ->  error_messages
#   : op … ( … ) writes tensor … , which is a model input or a co...  ->  error_messages
#   : model output tensor … is never written  ->  error_messages
#   : the model has no input  ->  error_messages
#   : int8 tensor … ( … ) has no quantisation parameters.  ->  error_messages
#   : tensor … ( … ) holds … activations; only int8 activations a...  ->  error_messages, reader
#   has shape … ; … -D is required  ->  error_messages
#   axis … is out of range for a rank- … input  ->  error_messages
#   strides … x … and dilations … x … must be positive  ->  error_messages
#   filter … has … channels; input channels … x depth_multiplier … =  ->  error_messages
#   filter … takes … input channels, which do not divide the input's  ->  error_messages
#   filter … x … and strides … x … must be positive  ->  error_messages
#   input … does not hold whole rows of the weights' depth  ->  error_messages
#   keep_num_dims needs the input's last dimension … to equal the...  ->  error_messages
#   input shapes … and … do not broadcast  ->  error_messages
#   input shapes … differ outside axis  ->  error_messages
#   paddings hold … values for a rank- … input  ->  error_messages
#   negative paddings  ->  error_messages
#   perm … is not a permutation of the input's … axes  ->  error_messages
#   the size tensor holds … values, expected 2  ->  error_messages
#   needs the output shape, the filter and the input  ->  error_messages
#   strides … x … must be positive  ->  error_messages
#   the output_shape input … does not fit input … and filter  ->  error_messages
#   operands … and … must have rank 2 or more  ->  error_messages
#   inner dimensions of … and … differ  ->  error_messages
#   batch dimensions of … and … do not broadcast  ->  error_messages
#   the axis tensor holds … values, expected 1  ->  error_messages
#   input dimension … on axis … does not split into … equal parts  ->  error_messages
#   size_splits has … values for … outputs  ->  error_messages
#   size_splits … do not add up to input dimension … on axis  ->  error_messages
#   multiples … do not fit a rank- … input  ->  error_messages
#   the axis tensor holds … values, expected 1  ->  error_messages
#   input scale x weight scale / output scale = … is out of range...  ->  error_messages
#   output shape … holds … elements, the input … holds  ->  error_messages
#   has … outputs; it computes  ->  error_messages
#   its inputs and attributes give an empty output  ->  error_messages
#   has shape … , but the op computes … from its inputs and attri...  ->  error_messages, fuzz_shapes
# mcucompile/report.py
#   is a folder: give the path of the .html file to write  ->  error_messages
#   exists and was not written by `mcucompile report`; choose ano...  ->  error_messages
#   `mcucompile report` needs matplotlib: pip install matplotlib  ->  error_messages
# mcucompile/sim/host.py
#   no host C compiler found: install gcc (Debian package `gcc`)  ->  error_messages
#   host build failed ( … ):  ->  error_messages
#   generated code crashed (exit … ):  ->  error_messages
#   generated code wrote … output bytes, expected  ->  error_messages
# mcucompile/sim/target.py
#   not found: install the Debian packages … (`sudo apt-get insta...  ->  codegen
#   building the QEMU plugin failed ( … ):  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport; t
#   firmware build failed in … :  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport; the QEMU te
#   the firmware printed no touched ranges:  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport;
#   touched range … - … outside the … -byte arena  ->  qemu_target_chunks
#   QEMU ( … ) did not finish within … s  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport; the
#   firmware failed under QEMU … (exit … ):  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport;
#   is a real board: simulate runs on … ; use `mcucompile flash` ...  ->  qemu
#   firmware printed … of … outputs:  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transport; the QEM
#   the firmware's output checksum does not match the printed out...  ->  UNTESTED: needs a broken cross toolchain, QEM
#   instruction counter saw … intervals, expected  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware trans
#   the firmware's arena is … bytes, the plan's  ->  UNTESTED: needs a broken cross toolchain, QEMU or firmware transpo
#   touched ranges cover … bytes but the firmware counted … (cons...  ->  qemu_target_chunks
# mcucompile/sim/tflm_arena.py
#   TFLite Micro ran … but printed no arena figures for … ; its s...  ->  error_messages
#   model file … does not exist (give the path of a .tflite file)  ->  error_messages
#   TFLite Micro did not finish with … within … s  ->  UNTESTED: needs a TFLite Micro run that hangs

