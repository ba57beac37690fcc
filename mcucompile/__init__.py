"""mcucompile: compile int8 TFLite models to C for Cortex-M microcontrollers."""

from pathlib import Path

__version__ = "0.1.0"

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
FIRMWARE_DIR = ROOT / "firmware"
