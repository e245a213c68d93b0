"""Write outputs atomically: to a temporary sibling, renamed into place only when complete."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from backdrop.render.files import PathError, is_frames_folder, partial_sibling


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


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


@contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; on success rename it to ``final``.

    The temporary name keeps ``final``'s suffix (so codecs pick the right container) and carries
    the process id (:func:`~backdrop.render.files.partial_sibling`, so a later run can clean up
    after a killed one). On any exception (including ``KeyboardInterrupt``) the temporary file or
    folder is removed and ``final`` is left as it was: an existing output is never replaced by a
    partial one, and a folder Backdrop did not write is never replaced at all.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_sibling(final)
    try:
        yield tmp
        replace_into(tmp, final)
    except BaseException:
        _remove(tmp)
        raise
