"""The command line's shared parts: option decorators and parsers, quiet mode and progress bars, the model
resolution (Keras / ONNX -> int8 .tflite) and the click group class that turns errors into one line. cli.py
defines the commands with them."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .codegen.generate import Options
from .errors import McuCompileError


def _fmt_bytes(n: int) -> str:
    return f"{n:,} B" if n < 10240 else f"{n:,} B ({n / 1024:.1f} KiB)"


def _options(io_outside: bool, align: int) -> Options:
    """Options from the common flags; the patch flags arrive through the click context (see `common`)."""
    meta = click.get_current_context().meta.get("mcucompile.patch", {})
    return Options(io_in_arena=not io_outside, align=align, **meta)


def _parse_size(text: str) -> int:
    """'65536', '64K', '64KiB', '64KB' -> bytes. K = 1024 and M = 1024*1024, as MCU datasheets count."""
    import re
    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(?:([kKmM])i?[bB]?|[bB])?\s*", text)
    if not m:
        raise click.BadParameter(f"{text!r} is not a size (e.g. 65536, 64KiB, 320K, 1MiB)")
    return int(float(m.group(1)) * {None: 1, "k": 1024, "K": 1024, "m": 1 << 20, "M": 1 << 20}[m.group(2)])


def _parse_memory(text: str) -> tuple:
    from .passes.banks import MemorySpecError, parse_memory
    try:
        return parse_memory(text)
    except MemorySpecError as e:
        raise click.BadParameter(str(e)) from None


def _stash_patch(ctx, param, value):
    ctx.meta.setdefault("mcucompile.patch", {})[param.name] = value
    return value


_common = [
    click.option("--patch", "patch_mode", type=click.Choice(["none", "auto"]), default="none", show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="auto: run the memory-heavy first layers patch by patch (MCUNetV2) to cut peak SRAM; "
                      "the split point and patch grid are searched within --max-overhead. Stages either "
                      "recompute the halo of each patch or run full-width row bands that cache the halo "
                      "rows (no extra MACs); the search picks per stage."),
    click.option("--max-overhead", type=click.FloatRange(0, 10), default=0.10, show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="With --patch auto: extra MACs allowed for recomputing patch halos (0.10 = +10%)."),
    click.option("--sram-limit", type=str, default=None, expose_value=False,
                 callback=lambda ctx, param, v: _stash_patch(ctx, param, None if v is None else _parse_size(v)),
                 help="Pick the schedule with the fewest MACs whose peak SRAM fits this size (e.g. 64KiB); "
                      "implies --patch auto; a clear error when nothing fits."),
    click.option("--inplace", is_flag=True, default=False, expose_value=False, callback=_stash_patch,
                 help="Depthwise convolutions overwrite their input channel by channel where they can "
                      "(the step costs max(in, out) + one channel instead of in + out)."),
    click.option("--scratch", type=click.Choice(["free", "always"]), default="free", show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="Temporary memory for the faster kernels (the Cortex-M4/M7 convs): free = only where "
                      "it does not raise peak SRAM (elsewhere the kernel borrows the end of its own output "
                      "and is slightly slower), always = wherever a kernel can use it."),
    click.option("--wide-weights", type=click.Choice(["auto", "on", "off"]), default="auto", show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="Cortex-M4/M7 only: store the weights of the convs with a wide kernel (1x1, and the "
                      "others with input channels a multiple of 4) widened to int16 in flash, which makes "
                      "them 25-35% faster: twice the int8 bytes for 1x1 convs with input channels a multiple "
                      "of 4, 3x for the others (they keep the int8 copy too). on = every such conv; auto = "
                      "the convs whose estimated cycles saved per extra flash byte clear a threshold, best "
                      "first, within --flash-budget (default: the weights up to 1.2x those of the int8 "
                      "build; less when the board's flash has less room); off = the int8 "
                      "weights only. analyze and report list each conv's extra bytes and cycles saved."),
    click.option("--flash-budget", type=str, default=None, expose_value=False,
                 callback=lambda ctx, param, v: _stash_patch(ctx, param, None if v is None else _parse_size(v)),
                 help="With --wide-weights auto: the extra flash bytes (e.g. 48K) the pre-widened int16 weights "
                      "may add over the int8 build; 0 = only the convs whose pre-widened weights take no more flash "
                      "than their int8 ones (default: 20% of the int8 build's weights)."),
    click.option("--kernels", type=click.Choice(["fast", "no-asm", "reference"]), default="fast",
                 show_default=True, expose_value=False, callback=_stash_patch,
                 help="fast: each core's fast paths; no-asm: the same without inline assembly (MCU_NN_NO_ASM: "
                      "the Cortex-M4/M7 paths' plain-C twins, same results, slower), e.g. for compilers "
                      "without GCC's inline assembler; reference: the plain loops only (MCU_NN_REFERENCE, "
                      "what a core without DSP runs), for checking and measuring."),
    click.option("--optimise", type=click.Choice(["speed", "size"]), default="speed", show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="Which conv kernels the compiler picks on the Cortex-M4/M7 (the others have one set): "
                      "speed = the fastest variant for each op (about 40 KB of kernel code on vww_96_int8, plus "
                      "pre-widened weights); size = the small ones (the portable 2 x 2 blocks for 1x1 and other "
                      "convs, depthwise 3x3 / 5x5 without the DSP pixel pairs), keeping the window kernel for "
                      "first layers with few input channels, where it is several times faster for 3 KB; int8 "
                      "weights only, no kernel scratch."),
    click.option("--input-layout", type=click.Choice(["model", "nhwc"]), default="model", show_default=True,
                 expose_value=False, callback=_stash_patch,
                 help="nhwc: drop a TRANSPOSE NCHW -> NHWC at a model input (PyTorch/ONNX exports): the caller "
                      "passes NHWC, which the generated header says; model: inputs as the model has them."),
    click.option("--memory", type=str, default=None, expose_value=False, metavar="NAME:SIZE[,NAME:SIZE...]",
                 callback=lambda ctx, param, v: _stash_patch(ctx, param, () if v is None else _parse_memory(v)),
                 help="Memory banks: spread the arena over these RAM regions, each buffer whole in one of them, "
                      "the most-touched buffers in the fastest (e.g. DTCM:64K,SRAM1:240K). With --board the names "
                      "are the board's regions (`mcucompile boards --json`: ram) and SIZE the bytes the arenas may "
                      "use there; on the host the regions are listed fastest first. One arena per region in the "
                      "generated C (<model>_invoke_banks)."),
    click.option("--io-outside", is_flag=True,
                 help="Keep model inputs/outputs in the caller's buffers instead of inside the arena."),
    click.option("--align", default=4, show_default=True, type=click.IntRange(1, 64),
                 help="Byte alignment of every buffer in the arena."),
]


def common(f):
    for o in reversed(_common):
        f = o(f)
    return f


def keras_inputs(samples_flag: bool = True):
    """--calibration / --samples / --random-calibration: a Keras model given to compile, analyze or simulate
    is converted to int8 on the way (cached by content hash, so a second run is instant)."""
    names = ("--samples", "--calibration-samples") if samples_flag else ("--calibration-samples",)
    opts = [
        click.option("--calibration", type=click.Path(exists=True, path_type=Path), default=None,
                     help="For a Keras model (.keras, .h5, SavedModel folder) or an ONNX model (.onnx): float "
                          "samples (.npy [N, *shape], "
                          ".npz keyed by input name) or a folder of PNG/JPEG images, to calibrate the int8 "
                          "conversion."),
        click.option(*names, "cal_samples", type=click.IntRange(1), default=None, metavar="N",
                     help="Use at most N calibration samples."),
        click.option("--random-calibration", is_flag=True,
                     help="Calibrate on random data when you have none (int8 accuracy will suffer)."),
    ]

    def deco(f):
        for o in reversed(opts):
            f = o(f)
        return f
    return deco


def _quiet() -> bool:
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.meta.get("mcucompile.quiet"))


def _set_quiet(ctx, param, value):
    if value:
        ctx.meta["mcucompile.quiet"] = True
    from . import progress
    progress.enable(not value)      # bars (on stderr, terminals only) unless --quiet
    return value


def _progress():
    """(update, finish) for the long steps (calibration, patch search, figures): one bar per stage on stderr
    when it is a terminal; nothing when it is not or with --quiet (see mcucompile/progress.py)."""
    from . import progress
    return progress.stages()


def _warn(messages, random_calibration: bool = False) -> None:
    """Warnings of a conversion; the random-calibration one is printed before converting instead."""
    for w in messages:
        if not (random_calibration and w.startswith("WARNING: calibrating on")):
            click.secho(w, fg="yellow", bold=True, err=True)


def _warn_random(random_calibration: bool) -> None:
    if random_calibration:
        click.secho("WARNING: --random-calibration: the int8 scales will come from random data, not from "
                    "real inputs; int8 accuracy will suffer. Use --calibration for a model you deploy.",
                    fg="yellow", bold=True, err=True)


def _resolve(model: Path, calibration=None, cal_samples=None, random_calibration=False) -> Path:
    """A Keras or ONNX model becomes its (cached) int8 .tflite; any other path is returned as is."""
    from .frontend.keras_convert import ConvertOptions, convert_model, is_convertible
    if not is_convertible(model):
        if (calibration or random_calibration) and not _quiet():
            click.secho(f"note: {model} is not a Keras or ONNX model; --calibration/--random-calibration are ignored",
                        fg="yellow", err=True)
        return model
    _warn_random(random_calibration)
    update, finish = _progress()
    try:
        r = convert_model(model, ConvertOptions(calibration=str(calibration) if calibration else None,
                                                samples=cal_samples, random_calibration=random_calibration),
                          progress=update)
    finally:
        finish()
    _warn(r.warnings, random_calibration)
    if not r.cached and not _quiet():
        click.secho(f"converted {model} to int8 in {r.seconds:.1f} s (cached at {r.tflite})", err=True)
    return r.tflite


class Main(click.Group):
    def add_command(self, cmd, name=None):
        """Every command takes -q/--quiet."""
        cmd.params.append(click.Option(["-q", "--quiet"], is_flag=True, expose_value=False, is_eager=True,
                                       callback=_set_quiet,
                                       help="No progress bars, notes or confirmations: only results and errors."))
        super().add_command(cmd, name)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except McuCompileError as e:
            click.secho(f"error: {e}", fg="red", err=True)
            sys.exit(2)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit, KeyboardInterrupt):
            raise
        except BrokenPipeError:   # the reader went away (`mcucompile analyze M | head`): not an error
            import os
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(0)
        except Exception as e:   # a bug of ours: still one line for the user, the traceback on request
            import os
            if os.environ.get("MCUCOMPILE_DEBUG"):
                raise
            click.secho(f"internal error: {type(e).__name__}: {e} (a bug in mcucompile: please report it with "
                        "the model; MCUCOMPILE_DEBUG=1 shows the traceback)", fg="red", err=True)
            sys.exit(3)
