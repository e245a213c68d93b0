"""Backdrop: conversational video background removal and replacement.

From Python (see :mod:`backdrop.api`)::

    import backdrop
    backdrop.edit("in.mp4", "make the background blue", out="out.mp4")
    backdrop.render("in.mp4", "plan.json", out="again.mp4")
    session = backdrop.open_session("in.mp4")   # a started backdrop.Session

and for moviepy clips ``backdrop.moviepy.Backdrop("make the background blue")``. The names are
loaded on first use, so ``import backdrop`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API = ("edit", "render", "open_session", "load_plan", "EditError", "EditResult")
__all__ = [*_API, "Session", "moviepy", "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module("backdrop.api"), name)
    if name == "Session":
        return importlib.import_module("backdrop.agent.session").Session
    if name == "moviepy":
        return importlib.import_module("backdrop.moviepy")
    raise AttributeError(f"module 'backdrop' has no attribute {name!r}")
