"""Opening LiteRT (TensorFlow Lite) models quietly: one place for every ``.tflite`` model."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from ai_edge_litert.interpreter import Interpreter


@contextlib.contextmanager
def quiet_native_stderr() -> Iterator[None]:
    """Silence what native code writes to file descriptor 2 (not Python's logging)."""
    try:
        saved = os.dup(2)
    except OSError:  # no usable fd 2: nothing to silence
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def open_interpreter(path: str | Path, threads: int = 2) -> Interpreter:
    """A LiteRT interpreter for ``path`` with its tensors allocated. LiteRT's native
    "INFO: Created TensorFlow Lite XNNPACK delegate" line is kept off the terminal."""
    with quiet_native_stderr():
        interp = Interpreter(model_path=str(path), num_threads=threads)
        interp.allocate_tensors()
    return interp
