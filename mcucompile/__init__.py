"""mcucompile: compile int8 TFLite models to C for Cortex-M microcontrollers."""

from pathlib import Path

__version__ = "0.1.0"

_HERE = Path(__file__).resolve().parent


def _data_dir(name: str) -> Path:
    """A folder that ships with the package (mcucompile/<name> in an installed wheel) or sits at the top of
    a source checkout (<repo>/<name>, an editable install)."""
    packaged = _HERE / name
    return packaged if packaged.is_dir() else _HERE.parent / name


TEMPLATES_DIR = _data_dir("templates")
FIRMWARE_DIR = _data_dir("firmware")
