"""Atomic outputs, for every floor: a file or folder is written under a temporary name beside its
final one and renamed into place only when complete. A failed, interrupted or killed write never
leaves a half-written file under the final name and never replaces the previous one.

It sits at the bottom of the house because the lowest writer (the model installer,
:mod:`backdrop.perception.core.models`) needs it; ``render`` adds its folder rules on top
(:mod:`backdrop.render.atomic`), and the video writers and the editor's uploads use
:class:`Partial`.

* :func:`partial_sibling` — the temporary name, ``.STEM.partial-PID-XXXXXXXX.SUFFIX``: it keeps
  the suffix (codecs choose the container by it) and the writing process's id.
* :class:`Partial` — an output being written, for writers that are objects opened and closed:
  ``tmp`` to write to, :meth:`~Partial.commit` to rename it into place, :meth:`~Partial.discard`.
* :func:`atomic_path` / :func:`atomic_file` — the same as a ``with`` block: a path, or an open
  binary file (flushed and synced before the rename).
* :func:`clean_stale_partials` — removes what killed runs left (their process is gone).
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

Replace = Callable[[Path, Path], None]
"""How a finished temporary path takes its final name: ``replace(tmp, final)``."""

_PARTIAL = re.compile(r"^\..+\.partial-(\d+)-[0-9a-f]{8}(\.[^.]*)?$")


def partial_sibling(final: str | os.PathLike[str]) -> Path:
    """A temporary name beside ``final`` that carries this process's id (so a later run can tell
    a killed run's leftover from a partial being written now), keeping ``final``'s suffix."""
    f = Path(final)
    return f.with_name(f".{f.stem}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}{f.suffix}")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


class Partial:
    """An output being written under a temporary name (:func:`partial_sibling`) beside ``final``.

    Write to :attr:`tmp` (a file, or a folder the writer makes), then :meth:`commit`; on any
    failure :meth:`discard`. The folder of ``final`` must exist.

    Attributes:
        final: where the output goes.
        tmp: the temporary path beside it (not created here).
    """

    def __init__(self, final: str | os.PathLike[str]) -> None:
        self.final = Path(final)
        self.tmp = partial_sibling(self.final)

    def commit(
        self, final: str | os.PathLike[str] | None = None, replace: Replace = os.replace
    ) -> Path:
        """Rename :attr:`tmp` to ``final`` (default: the one given at the start; a writer may
        pick a fresh name at the end). If the rename fails the temporary output is removed.

        Args:
            final: the final path, when it differs from the one given at the start.
            replace: the rename, ``replace(tmp, final)`` (``render`` passes one that also
                knows which folders may be replaced).

        Returns:
            The final path.
        """
        if final is not None:
            self.final = Path(final)
        try:
            replace(self.tmp, self.final)
        except BaseException:
            self.discard()
            raise
        return self.final

    def discard(self) -> None:
        """Remove the temporary file or folder (nothing when it is gone or was committed)."""
        _remove(self.tmp)


@contextmanager
def atomic_path(final: str | os.PathLike[str], replace: Replace = os.replace) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (its folder made when missing); when the block
    ends without an error, rename it to ``final`` with ``replace``. On any exception (including
    ``KeyboardInterrupt``) the temporary file or folder is removed and ``final`` is left as it
    was."""
    out = Partial(final)
    out.final.parent.mkdir(parents=True, exist_ok=True)
    try:
        yield out.tmp
    except BaseException:
        out.discard()
        raise
    out.commit(replace=replace)


@contextmanager
def atomic_file(final: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """A binary file open for writing that becomes ``final`` when the block ends without an
    error: written beside it, flushed and synced to disk, then renamed. On any error the
    temporary file is removed and ``final`` is left as it was."""
    with atomic_path(final) as tmp, open(tmp, "xb") as f:
        yield f
        f.flush()
        os.fsync(f.fileno())


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_partials(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove partial outputs in ``folder`` whose writing process is gone. Returns them.

    Only names Backdrop makes (:func:`partial_sibling`) are touched; a partial of a process that
    is still running is left alone. Unreadable folders are skipped silently.
    """
    d = Path(folder)
    removed: list[Path] = []
    try:
        entries = list(d.iterdir())
    except OSError:
        return removed
    for p in entries:
        m = _PARTIAL.match(p.name)
        if m is None or _alive(int(m.group(1))):
            continue
        try:
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()
        except OSError:
            continue
        removed.append(p)
    return removed


__all__ = [
    "Partial",
    "Replace",
    "atomic_file",
    "atomic_path",
    "clean_stale_partials",
    "partial_sibling",
]
