"""The one pipeline every command runs: reader (with its checks) -> graph normalisation -> plan (patch
search, memory plan) -> lowering -> render.

`run(model, options, board)` takes a model file (a Keras model is converted first, cached) and `build(graph,
options, board)` a graph already read; both give a Build, whose C is rendered once, on first use.
analyze, compile, report and simulate (mcucompile/api.py, mcucompile/report.py) all start here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from .codegen.generate import Compiled, Options, compile_graph, render
from .errors import McuCompileError
from .frontend.keras_convert import ConvertOptions, Progress, convert_model, is_convertible
from .frontend.tflite_reader import read_tflite
from .ir import Graph
from .passes.memory_plan import check_plan
from .passes.normalize import normalize


def resolve_model(model: str | os.PathLike, convert: ConvertOptions | None = None,
                  progress: Progress | None = None) -> Path:
    """The .tflite file behind `model` (a Keras or ONNX model is converted here, cached; see api.convert)."""
    if not is_convertible(model):
        return Path(model)
    import warnings
    r = convert_model(model, convert or ConvertOptions(), progress)
    for w in r.warnings:
        warnings.warn(w, stacklevel=2)
    return r.tflite


def load(model: str | os.PathLike, convert: ConvertOptions | None = None, input_layout: str = "model") -> Graph:
    """The model's graph, read and checked (frontend/tflite_reader.py, ir/shapes.py) and normalised
    (passes/normalize.py: explicit PADs folded into the convs and pools that read them; with input_layout
    "nhwc", an input's NCHW -> NHWC TRANSPOSE dropped)."""
    return normalize(read_tflite(resolve_model(model, convert)), input_layout)


def board_options(options: Options, board: str | None) -> Options:
    """`options` for the kernels `board` runs (Options.simd from its core: the DSP cores' 1x1 conv plans a
    scratch); without a board, `options` as given (the host's kernels, the least memory). The reference
    kernels (Options.kernels) are planned as the plain C they are on any core; --optimise size on a DSP core:
    simd "dsp-size"."""
    from .boards import get_board
    if options.optimise not in ("speed", "size"):
        raise McuCompileError(f"unknown --optimise {options.optimise!r}: speed or size")
    if options.memory:
        from .passes.banks import resolve_banks
        options = replace(options, memory=resolve_banks(options.memory, None if board is None else get_board(board)))
    if board is None:
        return options
    simd = "none" if options.kernels == "reference" else get_board(board).simd
    if simd == "dsp" and options.optimise == "size":
        simd = "dsp-size"           # the small-code kernels of the DSP cores (kernels/conv.choose)
    return replace(options, simd=simd)


def compile_for_board(g: Graph, options: Options, board: str | None,
                      search_progress: Callable | None = None) -> Compiled:
    """compile_graph with board_options; Options.wide_weights "auto" on a DSP board: the pre-widened
    weights where kernels/wide_cost.py finds they pay (within Options.flash_budget). When the model then no
    longer fits the board's flash, the budget shrinks to the flash the int8 build leaves free (the same
    choice within that budget), and if that does not fit either it compiles without them (c.options says
    which)."""
    options = board_options(options, board)
    c = compile_graph(g, options, search_progress)
    if board is not None and options.wide_weights == "auto" and c.wide is not None:
        from .boards import get_board
        from .boards.firmware import fit_check
        bd = get_board(board)
        f = fit_check(c, bd)
        if f.flash_needed > f.flash_capacity:
            room = f.flash_capacity - (f.flash_needed - c.wide.extra_bytes)      # what the int8 build leaves
            if room >= 0 and (c.wide.budget is None or room < c.wide.budget):
                c = compile_graph(g, replace(options, flash_budget=room), search_progress)
                f = fit_check(c, bd)
            if f.flash_needed > f.flash_capacity:
                c = compile_graph(g, replace(options, wide_weights="off", flash_budget=None), search_progress)
    return c


@dataclass
class Build:
    """One model compiled for one target: the graph, the chosen schedule and, when that runs patches,
    the layer-by-layer schedule it is compared with."""
    graph: Graph
    compiled: Compiled
    board: str | None = None
    source: Path | None = None          # the .tflite file (the references run it, unrewritten)
    _layer_by_layer: Compiled | None = field(default=None, repr=False)

    @property
    def options(self) -> Options:
        return self.compiled.options

    @property
    def layer_by_layer(self) -> Compiled:
        """The same model and target without patch stages (the compiled schedule itself when it has none)."""
        if not self.compiled.stages:
            return self.compiled
        if self._layer_by_layer is None:
            self._layer_by_layer = compile_graph(self.graph, replace(self.options, patch=(), patch_mode="none",
                                                                     sram_limit=None, memory=()))
        return self._layer_by_layer

    @property
    def files(self) -> dict[str, str]:
        """The generated sources {relative path: text} (rendered once)."""
        return self.compiled.files or render(self.compiled)


def build(g: Graph, options: Options = Options(), board: str | None = None, source: Path | None = None,
          search_progress: Callable | None = None) -> Build:
    """Plan and lower `g` for `board` (None: the host's kernels), checking the memory plan."""
    c = compile_for_board(g, options, board, search_progress)
    problems = check_plan(c.plan)
    if c.banks is not None:
        from .passes.banks import check_banks
        problems += check_banks(c.banks, list(c.all_buffers))
    if problems:
        raise McuCompileError("internal error: the memory plan is unsound: " + "; ".join(problems))
    return Build(g, c, board, source)


def run(model: str | os.PathLike, options: Options = Options(), board: str | None = None,
        convert: ConvertOptions | None = None, search_progress: Callable | None = None) -> Build:
    """The whole pipeline from a model file (or a Keras model, converted first)."""
    if board is not None:
        from .boards import get_board
        get_board(board)                    # an unknown board fails before any work
    source = resolve_model(model, convert)
    return build(load(source, input_layout=options.input_layout), options, board, source, search_progress)
