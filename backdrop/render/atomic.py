"""Write outputs atomically: to a temporary sibling, renamed into place only when complete.

The writer itself is :mod:`backdrop.perception.core.atomic` (the lowest floor that writes
files); this module adds render's rule for what a finished output may replace
(:func:`replace_into`: a file never replaces a folder, and a folder replaces only an empty one
or a PNG-frames folder Backdrop wrote).
"""

from __future__ import annotations

import os
import shutil
from contextlib import AbstractContextManager
from pathlib import Path

from backdrop.perception.core.atomic import atomic_path as core_atomic_path
from backdrop.perception.core.atomic import partial_sibling
from backdrop.render.files import PathError, is_frames_folder, refuse_system_or_special


def replace_into(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``. A folder replaces an existing folder only when that one is
    empty or a PNG-frames folder Backdrop wrote (:func:`~backdrop.render.files.is_frames_folder`);
    the old folder is moved aside first and deleted only after the new one is in place. A file
    never replaces a folder, and a folder never replaces a file.

    Raises:
        PathError: ``final`` is something this rename must not replace.
    """
    if final.is_dir() and not final.is_symlink():
        if not tmp.is_dir():
            raise PathError(f"{final} is a folder; give a file name for the output")
        if any(final.iterdir()) and not is_frames_folder(final):
            raise PathError(f"{final} is a folder that was not written by Backdrop; not replaced")
        aside = partial_sibling(final)
        os.replace(final, aside)
        try:
            os.replace(tmp, final)
        except BaseException:
            os.replace(aside, final)
            raise
        shutil.rmtree(aside, ignore_errors=True)
        return
    if tmp.is_dir() and final.exists():
        raise PathError(f"{final} is a file; the frames need a folder name")
    os.replace(tmp, final)


def atomic_path(final: str | Path) -> AbstractContextManager[Path]:
    """Yield a temporary path beside ``final``; on success rename it to ``final``.

    The temporary name keeps ``final``'s suffix (so codecs pick the right container) and carries
    the process id (:func:`~backdrop.perception.core.atomic.partial_sibling`, so a later run can
    clean up after a killed one). On any exception (including ``KeyboardInterrupt``) the
    temporary file or folder is removed and ``final`` is left as it was: an existing output is
    never replaced by a partial one, and a folder Backdrop did not write is never replaced at all
    (:func:`replace_into`). This is :func:`backdrop.perception.core.atomic.atomic_path` with
    render's folder rule. A ``final`` in ``/dev``, ``/proc`` or ``/sys`` or on a device or other
    special file is refused first (:func:`~backdrop.render.files.refuse_system_or_special`).
    """
    return core_atomic_path(refuse_system_or_special(final), replace=replace_into)
