"""Progress bars for the long steps (calibration, patch search, builds, QEMU runs, fuzzing).

One helper so every command behaves the same: bars are drawn on stderr, and only when stderr is a
terminal and the bars are switched on. The CLI switches them on unless --quiet is given; library callers
(tests, benches) get none unless they call `enable()`. Redirected or captured output therefore never
holds bar characters or carriage returns, and stdout (where --json documents go) is never touched.

    bar = progress.bar("host build", total=3)     # a Bar, or a no-op when bars are off
    bar.update(1, "compiling")                    # absolute position, optional detail text
    bar.close()

    update, finish = progress.stages()            # the (stage, done, total) callback of convert/report
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

WIDTH = 24            # characters of the bar itself
LABEL = 16            # label column
MIN_INTERVAL = 0.1    # seconds between redraws (the last one is always drawn)

_enabled = False


def enable(on: bool = True) -> None:
    """Switch bars on (the CLI does, unless --quiet) or off."""
    global _enabled
    _enabled = bool(on)


def active(stream: TextIO | None = None) -> bool:
    """True when a bar would be drawn: bars are on and the stream (stderr by default) is a terminal."""
    stream = stream if stream is not None else sys.stderr
    try:
        return _enabled and stream.isatty()
    except (AttributeError, ValueError):    # closed or unusual streams
        return False


class Bar:
    """A one-line bar: `label [#####-----] done/total detail`, redrawn in place with a carriage return."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None):
        self.label = label
        self.total = max(int(total), 0)
        self.done = 0
        self.detail = ""
        self.stream = stream if stream is not None else sys.stderr
        self._last = 0.0
        self._width = 0
        self._closed = False
        self._draw(force=True)

    def update(self, done: int, detail: str | None = None, total: int | None = None) -> None:
        if total is not None:
            self.total = max(int(total), 0)
        self.done = min(max(int(done), 0), self.total) if self.total else int(done)
        if detail is not None:
            self.detail = detail
        self._draw(force=self.done >= self.total)

    def advance(self, n: int = 1, detail: str | None = None) -> None:
        self.update(self.done + n, detail)

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if self._closed or (not force and now - self._last < MIN_INTERVAL):
            return
        self._last = now
        filled = WIDTH * self.done // self.total if self.total else 0
        text = (f"{self.label[:LABEL]:<{LABEL}} [{'#' * filled}{'-' * (WIDTH - filled)}] "
                f"{self.done}/{self.total}" + (f"  {self.detail}" if self.detail else ""))
        pad = max(self._width - len(text), 0)
        self._width = len(text)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()

    def close(self) -> None:
        if not self._closed:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
            self._closed = True

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class NullBar:
    """What `bar()` gives when bars are off: accepts every call, draws nothing."""
    label = ""
    total = done = 0

    def update(self, done: int, detail: str | None = None, total: int | None = None) -> None:
        pass

    def advance(self, n: int = 1, detail: str | None = None) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> NullBar:
        return self

    def __exit__(self, *exc) -> None:
        pass


def bar(label: str, total: int, stream: TextIO | None = None):
    """A Bar when `active(stream)`, else a NullBar."""
    return Bar(label, total, stream) if active(stream) else NullBar()


STAGE_LABELS = {"calibrating": "calibrating", "comparing": "float vs int8"}


def stages(stream: TextIO | None = None) -> tuple[Callable[[str, int, int], None] | None, Callable[[], None]]:
    """(update, finish) for APIs that report `progress(stage, done, total)`: one bar per stage, the previous
    one closed when the next starts. update is None when bars are off, so callers skip the work."""
    if not active(stream):
        return None, lambda: None
    bars: dict[str, Bar] = {}

    def update(stage: str, done: int, total: int, detail: str | None = None) -> None:
        b = bars.get(stage)
        if b is None:
            for other in bars.values():
                other.close()
            b = bars[stage] = Bar(STAGE_LABELS.get(stage, stage), total, stream)
        b.update(done, detail, total)

    def finish() -> None:
        for b in bars.values():
            b.close()
    return update, finish
