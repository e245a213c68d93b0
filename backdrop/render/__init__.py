"""Rendering: the edit plan, compositing, edges, backgrounds, writers and the pipeline.

The package itself is callable: ``backdrop.render(src, plan, out=…)`` is
:func:`backdrop.render.facade.render` (``backdrop.render`` names this package, so the one-call
API lives here rather than shadowing it).
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kw: Any) -> Any:
        from backdrop.render.facade import render

        return render(*args, **kw)


sys.modules[__name__].__class__ = _CallableModule
