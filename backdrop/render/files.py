"""File safety: the one containment rule, output checks, and stale partial files.

Three guarantees live here, so every caller (CLI, tools, LLM, web server, batch) shares them:

* :func:`contain` — a path that comes from an instruction, a plan, an LLM tool call or the web
  API is resolved (``~``, ``..`` and symlinks included) and must lie inside one of the allowed
  folders; NUL bytes, percent-encoded separators and anything resolving elsewhere are refused
  with a one-line :class:`PathError`.
* :func:`check_outputs` — an output never replaces an input (same file or hard link), a device
  or other special file, or a folder (except a PNG-frames folder Backdrop wrote, with ``force``),
  and two outputs of one command never collide.
* :func:`clean_stale_partials` — temporary siblings (``.NAME.partial-PID-XXXXXXXX.EXT``) left by
  a run that was killed are removed on the next run into the same folder, and listed. (It and
  :func:`partial_sibling` live with the atomic writer in :mod:`backdrop.perception.core.atomic`
  and are re-exported here.)
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterable, Sequence
from pathlib import Path

from backdrop.perception.core.atomic import clean_stale_partials as clean_stale_partials
from backdrop.perception.core.atomic import partial_sibling as partial_sibling

FRAMES_MARKER = ".backdrop-frames"
"""A file Backdrop puts in every PNG-frames folder it writes, so it may replace it later."""

_ENCODED = re.compile(r"%(2e|2f|5c|00)", re.I)


class PathError(ValueError):
    """A path was refused; the message is one line fit to show a person."""


# -- containment --------------------------------------------------------------------------------
def contain(
    path: str | os.PathLike[str],
    allowed: Sequence[str | os.PathLike[str]],
    *,
    base: str | os.PathLike[str] | None = None,
    what: str = "file",
) -> Path:
    """``path`` resolved, if it lies inside one of the ``allowed`` folders; else :class:`PathError`.

    Args:
        path: as a person, a plan, an LLM or a web page gave it: relative (to ``base``),
            absolute, or starting with ``~``.
        allowed: folders a path may resolve into (each resolved, symlinks followed). Empty = the
            current working folder.
        base: the folder relative paths start from (default: the first allowed folder).
        what: the word used in messages ("background image", "plan", ...).

    Returns:
        The absolute, symlink-free path (it need not exist).

    Raises:
        PathError: empty, a NUL byte, percent-encoded ``.``/``/``/``\\``, or resolving
            outside every allowed folder (``..``, an absolute path elsewhere, a symlink
            pointing out, a symlinked folder on the way out).
    """
    text = os.fspath(path)
    if not text.strip():
        raise PathError(f"give a {what} path")
    if "\x00" in text:
        raise PathError(f"the {what} path contains a NUL byte")
    if _ENCODED.search(text):
        raise PathError(f"the {what} path {text!r} is percent-encoded; give it as plain text")
    roots = [Path(a).expanduser().resolve() for a in allowed] or [Path.cwd().resolve()]
    start = Path(base).expanduser().resolve() if base is not None else roots[0]
    try:
        full = (start / Path(text).expanduser()).resolve()
    except (OSError, RuntimeError) as e:  # a symlink loop
        raise PathError(f"the {what} path {text!r} cannot be resolved ({e})") from None
    if not any(full == r or full.is_relative_to(r) for r in roots):
        where = " or ".join(str(r) for r in dict.fromkeys(roots))  # each folder named once
        raise PathError(f"{text}: the {what} is outside the allowed folder {where}; refused")
    return full


def allowed_folders(*paths: str | os.PathLike[str] | None) -> list[Path]:
    """The working folder plus the folders of ``paths`` (files named on a command line)."""
    out = [Path.cwd().resolve()]
    for p in paths:
        if p is None:
            continue
        q = Path(p).expanduser()
        folder = q if q.is_dir() and not q.suffix else q.parent
        r = folder.resolve()
        if r not in out:
            out.append(r)
    return out


# -- outputs ------------------------------------------------------------------------------------
def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return a.resolve() == b.resolve()


SYSTEM_FOLDERS = (Path("/dev"), Path("/proc"), Path("/sys"))
"""Folders of devices and kernel files: no output is ever written there (but
:data:`SHARED_MEMORY`, a plain in-memory folder people use for scratch files)."""
SHARED_MEMORY = Path("/dev/shm")


def _landing(path: Path) -> Path:
    """Where a write to ``path`` will land once the folders on its way are made: ``path`` itself
    when it exists (or is a link, which a rename replaces), else ``path`` resolved. A path through
    a folder still to be made and back out (``new/../a.mp4``) cannot be stat'ed now, but after
    ``mkdir`` it names ``a.mp4``: it must be checked as that file (the input, a device...)."""
    if path.exists() or path.is_symlink():
        return path
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path


def _not_in_system_folder(path: Path) -> Path:
    """``path``, unless it (resolved) lies in one of :data:`SYSTEM_FOLDERS` and not in shared
    memory: then :class:`PathError` (a new file in ``/dev`` or a kernel setting in ``/sys``)."""
    try:
        real = path.resolve()
    except (OSError, RuntimeError):
        real = path.absolute()
    where = (real, *real.parents)
    for d in SYSTEM_FOLDERS:
        if d in where and SHARED_MEMORY not in where:
            raise PathError(f"{path}: {d} holds devices and kernel files, not outputs; refused")
    return path


def refuse_system_or_special(path: str | os.PathLike[str]) -> Path:
    """``path``, unless writing it would put a file in :data:`SYSTEM_FOLDERS` or replace a
    device, FIFO, socket or other special file: then :class:`PathError`. The atomic writers call
    this for every output, so an output path that no command-level check saw (a preview in a
    ``--out`` folder, a plan a tool writes) still never lands on a device."""
    p = Path(path)
    try:
        st = os.stat(p)
    except OSError:
        return _not_in_system_folder(p)
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
        raise PathError(f"{p} is a device or special file, not a regular file; refused")
    return _not_in_system_folder(p)


def _writable_folder(p: Path, land: Path) -> Path:
    """``p``, if the folder its output lands in (or the nearest existing folder above it, where
    the rest is still to be made) can be written; else :class:`PathError` before any work (a
    render into a read-only disk would otherwise run to the end and then fail)."""
    folder = land.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir() or os.access(folder, os.W_OK | os.X_OK):
        return p
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    why = "is on a read-only disk" if read_only else "is not writable"
    raise PathError(f"cannot write {p}: the folder {folder} {why}; choose another folder")


def is_frames_folder(folder: Path) -> bool:
    """Whether ``folder`` is a PNG-frames folder Backdrop wrote (it holds the marker file)."""
    return (folder / FRAMES_MARKER).is_file()


def check_output(
    output: str | os.PathLike[str],
    inputs: Iterable[str | os.PathLike[str]] = (),
    *,
    folder: bool = False,
    force: bool = False,
) -> Path:
    """Refuse an output path that would destroy something the person did not ask to replace.

    Args:
        output: where a file (or, with ``folder``, a PNG-frames folder) will be written.
        inputs: files the command reads (the source video, a plan, background media).
        folder: the output is a folder of PNG frames.
        force: allow replacing a non-empty frames folder that Backdrop wrote earlier.

    Returns:
        ``output`` as a :class:`Path`.

    Raises:
        PathError: ``output`` is an input (same file or a hard link to it), a device, FIFO,
            socket or other special file, an existing folder (for a file output), a file (for a
            folder output), a non-empty folder Backdrop did not write, or one Backdrop wrote
            without ``force``; or its parent exists and is not a folder; or the folder it
            lands in cannot be written (a read-only disk, no permission), checked before any
            work.
    """
    p = Path(output)
    if "\x00" in str(p):
        raise PathError("the output path contains a NUL byte")
    land = _landing(p)
    for src in inputs:
        s = Path(src)
        if s.exists() and land.exists() and _same_file(land, s):
            raise PathError(f"{p}: the output is the input {s}; choose another output name")
    try:
        st = os.stat(land)
    except FileNotFoundError:
        parent = land.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise PathError(f"{p}: {parent} is a file, not a folder") from None
        return _writable_folder(_not_in_system_folder(p), land)
    except NotADirectoryError:
        raise PathError(f"could not write {p}: a folder on its path is a file") from None
    except OSError as e:
        raise PathError(f"could not write {p} ({e.strerror or e})") from None
    if stat.S_ISDIR(st.st_mode):
        if not folder:
            raise PathError(f"{p} is a folder; give a file name for the output (e.g. {p}/out.mp4)")
        if not any(land.iterdir()):
            return _writable_folder(p, land)
        if not is_frames_folder(land):
            raise PathError(
                f"{p} is a folder that is not empty and was not written by Backdrop; "
                "choose a new folder name (nothing was changed)"
            )
        if not force:
            raise PathError(f"{p} holds frames from an earlier run; add --force to replace them")
        return _writable_folder(p, land)
    if not stat.S_ISREG(st.st_mode):
        raise PathError(f"{p} is a device or special file, not a regular file; refused")
    if folder:
        raise PathError(f"{p} is a file; the PNG frames need a folder name")
    return _writable_folder(_not_in_system_folder(p), land)


def check_distinct(outputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """Refuse two outputs of one command that name the same file (e.g. ``--plan-out`` = ``-o``).

    Raises:
        PathError: two outputs resolve to the same place.
    """
    seen: dict[Path, Path] = {}
    for o in outputs:
        if o is None:
            continue
        key = Path(o).expanduser().resolve()
        if key in seen:
            raise PathError(f"{o} is given as two different outputs; give each its own name")
        seen[key] = Path(o)
