"""One exception family; every message says what is wrong and what the user can do."""


class McuCompileError(Exception):
    """Base of every error shown to a user (the CLI prints it without a traceback)."""


class ModelFormatError(McuCompileError):
    """The file is not a readable TFLite model (missing, truncated, corrupt)."""


class UnsupportedModelError(McuCompileError):
    """The model is valid but uses something we cannot compile (op, dtype, shape)."""


class BuildError(McuCompileError):
    """The generated C failed to build or run."""


class OutputFolderError(McuCompileError):
    """We refuse to write into a folder that holds files we did not generate."""
