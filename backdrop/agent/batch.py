"""Batch: one plan over many videos, long videos split across workers, on Ray.

:func:`run_batch` renders every input with the same :class:`~backdrop.render.plan.EditPlan`
(relative plan times — "the last 10 s" — resolve per video, because the renderer resolves them
against each video's own duration). Each video is one task; a video longer than 1.5 chunks is
cut into time spans (:mod:`backdrop.render.chunked`) rendered as parallel tasks and joined into
one MP4 with the audio copied once.

Engines: Ray when it is importable and reachable — a local Ray started here (workers sized to
the machine's cores, dashboard off) or the cluster at ``address`` / ``RAY_ADDRESS`` — else one
process, which says so in :attr:`BatchReport.engine`. On a cluster the inputs and the output
folder must be on storage every node sees, and every node needs Backdrop installed.

Resumable: ``OUTDIR/backdrop-batch.json`` (the manifest) records every finished output with
the plan's hash, the render settings and the input's size and mtime; a re-run skips those
unless ``force``. Outputs and chunk files appear only when complete (temporary sibling, then
rename), finished chunks of an interrupted long video are reused, and an interrupted run
removes its partial files.

Progress reaches the caller as :data:`BatchEvent` messages through one listener callback.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from backdrop.perception.media import MediaError, MediaInfo, probe
from backdrop.perception.models import ModelMissingError
from backdrop.render.atomic import atomic_path
from backdrop.render.chunked import (
    DEFAULT_WARMUP,
    Span,
    chunk_key,
    join_chunks,
    plan_spans,
    render_chunk,
)
from backdrop.render.plan import EditPlan, PlanError
from backdrop.render.writer import RenderError

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = frozenset(
    {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg", ".mpeg", ".ts", ".mts", ".wmv"}
)
"""Extensions taken from a folder (files named explicitly are taken whatever their name)."""

MANIFEST_NAME = "backdrop-batch.json"
MANIFEST_VERSION = 1
CHUNKS_DIR = ".backdrop-chunks"
EXPECTED = (MediaError, RenderError, PlanError, ModelMissingError)

Status = Literal["queued", "rendering", "joining", "done", "skipped", "failed"]


# -- messages ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EngineReady:
    """Which engine runs the batch, in words (e.g. "local Ray, 2 CPUs")."""

    note: str
    parallel: bool


@dataclass(frozen=True)
class VideoQueued:
    """A video will be rendered: ``frames`` (estimate) in ``chunks`` tasks."""

    source: Path
    output: Path
    frames: int
    chunks: int


@dataclass(frozen=True)
class VideoStatus:
    """A video changed state; ``detail`` is the reason (failed) or a note (skipped, done)."""

    source: Path
    status: Status
    detail: str = ""


@dataclass(frozen=True)
class FramesDone:
    """``frames`` more frames of ``source`` are rendered."""

    source: Path
    frames: int


BatchEvent = EngineReady | VideoQueued | VideoStatus | FramesDone
Listener = Callable[[BatchEvent], None]


# -- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoResult:
    """What happened to one input.

    Attributes:
        source: the input file.
        output: where its output is (or would have been).
        status: ``done``, ``skipped`` (already done with this plan) or ``failed``.
        reason: why it failed, or why it was skipped; one line.
        frames: frames written (done) or recorded (skipped).
        seconds: wall time from its first task's submission to its output, seconds.
        chunks: tasks it was split into (1 = whole).
    """

    source: Path
    output: Path
    status: Literal["done", "skipped", "failed"]
    reason: str = ""
    frames: int = 0
    seconds: float = 0.0
    chunks: int = 1


@dataclass(frozen=True)
class BatchReport:
    """The batch's outcome: one :class:`VideoResult` per input, in input order."""

    results: list[VideoResult]
    engine: str
    seconds: float

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def videos_per_minute(self) -> float:
        """Rendered (done) videos per minute of wall time."""
        return 60.0 * self.count("done") / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


@dataclass(frozen=True)
class BatchOptions:
    """How to run a batch.

    Attributes:
        force: redo videos the manifest records as finished.
        engine: ``auto`` (Ray if possible, else one process), ``ray`` (Ray, else one process
            with a note) or ``local`` (one process).
        address: a Ray cluster's address; None = ``RAY_ADDRESS`` or a local Ray.
        num_cpus: CPUs for a local Ray (default: the machine's).
        chunk_seconds: long videos are split into spans of about this many seconds (only on a
            parallel engine; a video shorter than 1.5 chunks is one task). 0 = never split.
        warmup: seconds of masker warm-up before each span.
        crf, preset: x264 quality and speed.
    """

    force: bool = False
    engine: Literal["auto", "ray", "local"] = "auto"
    address: str | None = None
    num_cpus: int | None = None
    chunk_seconds: float = 60.0
    warmup: float = DEFAULT_WARMUP
    crf: int = 20
    preset: str = "veryfast"


# -- inputs and outputs ------------------------------------------------------------------------


def collect_inputs(items: Iterable[str | Path], exclude: Path | None = None) -> list[Path]:
    """Expand files, folders (their video files, not recursive) and globs, in order, once each.

    A path that does not exist and matches no glob is kept, so it is reported as failed
    rather than silently dropped. Files under ``exclude`` (the output folder) are left out.
    """
    found: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found += sorted(
                f for f in p.iterdir() if f.is_file() and f.suffix.lower() in VIDEO_SUFFIXES
            )
        elif p.exists():
            found.append(p)
        elif glob.has_magic(str(item)):
            found += sorted(
                Path(m)
                for m in glob.glob(str(item), recursive=True)
                if Path(m).is_file() and Path(m).suffix.lower() in VIDEO_SUFFIXES
            )
        else:
            found.append(p)
    seen: set[Path] = set()
    ex = exclude.resolve() if exclude is not None else None
    out: list[Path] = []
    for f in found:
        r = f.resolve()
        if r in seen or (ex is not None and r.is_relative_to(ex)):
            continue
        seen.add(r)
        out.append(f)
    return out


def output_names(sources: Sequence[Path], outdir: Path) -> list[Path]:
    """``OUTDIR/<stem>.mp4`` per input; inputs sharing a stem get a short hash of their path."""
    stems = [s.stem for s in sources]
    names = []
    for s in sources:
        if stems.count(s.stem) > 1:
            tag = hashlib.sha1(str(s.resolve()).encode()).hexdigest()[:6]
            names.append(outdir / f"{s.stem}-{tag}.mp4")
        else:
            names.append(outdir / f"{s.stem}.mp4")
    return names


def plan_hash(plan: EditPlan) -> str:
    """sha256 (hex, 16 digits) of the plan's canonical JSON."""
    canon = json.dumps(plan.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:16]


def plan_from_instruction(text: str) -> EditPlan:
    """The plan an instruction means, for videos of any length (relative times stay relative).

    Raises:
        PlanError: the instruction was not understood or changes nothing; the message says why.
    """
    from backdrop.agent.interpret import RuleInterpreter
    from backdrop.tools import PlanHistory, ToolContext

    ctx = ToolContext(history=PlanHistory(EditPlan()), duration=None)
    reply = RuleInterpreter().interpret(text, ctx)
    plan = ctx.history.current
    if reply.clarify or (not reply.changed and plan.is_empty()):
        raise PlanError(reply.text)
    return plan


class Manifest:
    """``OUTDIR/backdrop-batch.json``: finished outputs, keyed by output file name.

    Each entry: ``input`` (absolute path), ``size`` (bytes), ``mtime_ns``, ``plan_hash``,
    ``settings`` (crf, preset), ``frames``, ``output_size`` (bytes), ``finished`` (UTC ISO).
    """

    def __init__(self, outdir: Path) -> None:
        self.path = outdir / MANIFEST_NAME
        self.entries: dict[str, dict[str, Any]] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("version") == MANIFEST_VERSION:
                    self.entries = dict(data.get("outputs", {}))
                else:
                    log.warning("%s: unknown version; starting afresh", self.path)
            except (OSError, ValueError, AttributeError) as e:
                log.warning("%s: unreadable (%s); starting afresh", self.path, e)

    @staticmethod
    def _input_key(source: Path) -> dict[str, Any]:
        st = source.stat()
        return {"input": str(source.resolve()), "size": st.st_size, "mtime_ns": st.st_mtime_ns}

    def finished(
        self, source: Path, output: Path, phash: str, settings: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The entry if ``output`` was made from this very input with this plan, else None."""
        e = self.entries.get(output.name)
        if e is None or not output.is_file() or not source.is_file():
            return None
        if e.get("plan_hash") != phash or e.get("settings") != settings:
            return None
        if any(e.get(k) != v for k, v in self._input_key(source).items()):
            return None
        if e.get("output_size") != output.stat().st_size:
            return None
        return e

    def record(
        self, source: Path, output: Path, phash: str, settings: dict[str, Any], frames: int
    ) -> None:
        """Record a finished output and save the manifest (atomically)."""
        self.entries[output.name] = {
            **self._input_key(source),
            "plan_hash": phash,
            "settings": settings,
            "frames": frames,
            "output_size": output.stat().st_size,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        self.save()

    def save(self) -> None:
        data = {"version": MANIFEST_VERSION, "outputs": self.entries}
        with atomic_path(self.path) as tmp:
            tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


# -- the work (runs in a worker process, or in this one) ---------------------------------------


class _Reporter:
    """Frame progress from a task: to a Ray actor (``actor``) or a local callback."""

    def __init__(
        self, key: str, actor: Any = None, local: Callable[[str, int], None] | None = None
    ) -> None:
        self.key, self.actor, self.local = key, actor, local
        self._sent = 0

    def __call__(self, done: int, total: int, elapsed: float) -> None:
        if done - self._sent >= 8 or done >= total:
            self.flush(done)

    def flush(self, done: int) -> None:
        n, self._sent = done - self._sent, done
        if n <= 0:
            return
        if self.actor is not None:
            self.actor.add.remote(self.key, n)
        elif self.local is not None:
            self.local(self.key, n)


def _task_whole(
    source: str, plan_json: str, output: str, crf: int, preset: str, report: _Reporter
) -> int:
    """Render one whole video; returns its frame count."""
    from backdrop.render.pipeline import render_video

    stats = render_video(
        source, EditPlan.from_json(plan_json), output, progress=report, crf=crf, preset=preset
    )
    report.flush(stats.frames)
    return stats.frames


def _task_span(
    source: str,
    plan_json: str,
    span: Span,
    chunk: str,
    warmup: float,
    crf: int,
    preset: str,
    report: _Reporter,
) -> int:
    """Render one span of a video to its chunk file; returns the span's frame count."""
    stats = render_chunk(
        source, EditPlan.from_json(plan_json), span, chunk,
        warmup=warmup, progress=report, crf=crf, preset=preset,
    )  # fmt: skip
    report.flush(stats.frames)
    return stats.frames


def _task_join(
    chunks: list[str], starts: list[float], output: str, source: str, duration: float
) -> str:
    """Join a video's chunks (first frames at ``starts`` seconds) into its output."""
    return str(join_chunks(chunks, output, starts=starts, audio_source=source, duration=duration))


# -- engines -----------------------------------------------------------------------------------


class _LocalEngine:
    """Runs tasks one after the other in this process, when the driver waits for them."""

    parallel = False

    def __init__(self, note: str) -> None:
        self.note = note
        self._queue: dict[int, tuple[Callable[..., Any], tuple[Any, ...]]] = {}
        self._done: dict[int, tuple[bool, Any]] = {}
        self._next = 0
        self.on_frames: Callable[[str, int], None] | None = None

    def reporter(self, key: str) -> _Reporter:
        return _Reporter(key, local=self.on_frames)

    def submit(self, fn: Callable[..., Any], *args: Any) -> int:
        self._next += 1
        self._queue[self._next] = (fn, args)
        return self._next

    def wait(self, handles: list[Any], timeout: float) -> list[Any]:
        ready = [h for h in handles if h in self._done]
        if ready:
            return ready
        for h in handles:
            if h in self._queue:
                fn, args = self._queue.pop(h)
                try:
                    self._done[h] = (True, fn(*args))
                except Exception as e:  # noqa: BLE001 - handed back through result()
                    self._done[h] = (False, e)
                return [h]
        return []

    def result(self, handle: Any) -> Any:
        ok, value = self._done.pop(handle)
        if not ok:
            raise value
        return value

    def cancel(self, handle: Any) -> None:
        self._queue.pop(handle, None)
        self._done.pop(handle, None)

    def progress(self) -> dict[str, int]:
        return {}

    def close(self) -> None:
        self._queue.clear()


class _RayEngine:
    """Ray tasks (one CPU each) with a progress actor; shuts down a Ray it started."""

    parallel = True

    def __init__(self, address: str | None, num_cpus: int | None) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        import ray

        self.ray = ray
        self._owned = not ray.is_initialized()
        if self._owned:
            kw: dict[str, Any] = {
                "include_dashboard": False,
                "logging_level": logging.WARNING,
                "log_to_driver": False,
                "configure_logging": False,
            }
            address = address or os.environ.get("RAY_ADDRESS") or None
            if address is None:
                kw["num_cpus"] = num_cpus or os.cpu_count() or 1
            ray.init(address=address, **kw)
        cpus = int(ray.cluster_resources().get("CPU", 0))
        where = f"Ray cluster at {address}" if address else "local Ray"
        self.note = f"{where}, {cpus} CPU{'s' if cpus != 1 else ''}"

        @ray.remote(num_cpus=0)
        class Progress:
            def __init__(self) -> None:
                self.counts: dict[str, int] = {}

            def add(self, key: str, n: int) -> None:
                self.counts[key] = self.counts.get(key, 0) + n

            def take(self) -> dict[str, int]:
                out, self.counts = self.counts, {}
                return out

        self._actor = Progress.remote()  # type: ignore[attr-defined]
        self._remote: dict[Callable[..., Any], Any] = {}
        self._take: Any = None

    def reporter(self, key: str) -> _Reporter:
        return _Reporter(key, actor=self._actor)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Any:
        if fn not in self._remote:
            self._remote[fn] = self.ray.remote(num_cpus=1, max_retries=1)(fn)
        return self._remote[fn].remote(*args)

    def wait(self, handles: list[Any], timeout: float) -> list[Any]:
        if not handles:
            return []
        ready, _ = self.ray.wait(handles, num_returns=len(handles), timeout=timeout)
        return ready

    def result(self, handle: Any) -> Any:
        from ray.exceptions import RayTaskError

        try:
            return self.ray.get(handle)
        except RayTaskError as e:
            cause = getattr(e, "cause", None)
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    def cancel(self, handle: Any) -> None:
        with contextlib.suppress(Exception):  # already finished or gone
            self.ray.cancel(handle)

    def progress(self) -> dict[str, int]:
        """Frames reported since the last call, by task key (non-blocking)."""
        if self._take is None:
            self._take = self._actor.take.remote()
        ready, _ = self.ray.wait([self._take], timeout=0)
        if not ready:
            return {}
        counts: dict[str, int] = self.ray.get(self._take)
        self._take = None
        return counts

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ray.kill(self._actor)
        if self._owned:
            self.ray.shutdown()


def _start_engine(opts: BatchOptions) -> _LocalEngine | _RayEngine:
    if opts.engine == "local":
        return _LocalEngine("one process (as asked)")
    try:
        import ray  # noqa: F401
    except ImportError:
        return _LocalEngine("Ray is not installed: running in one process")
    try:
        return _RayEngine(opts.address, opts.num_cpus)
    except Exception as e:  # noqa: BLE001 - any failure to start or reach Ray
        where = opts.address or os.environ.get("RAY_ADDRESS") or "local"
        reason = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        return _LocalEngine(f"Ray ({where}) not reachable ({reason}): running in one process")


# -- the driver --------------------------------------------------------------------------------


@dataclass
class _Job:
    source: Path
    output: Path
    info: MediaInfo | None = None
    spans: list[Span] = field(default_factory=list)
    chunk_paths: list[Path] = field(default_factory=list)
    handles: list[Any] = field(default_factory=list)
    chunks_left: int = 0
    frames: int = 0
    started: float = 0.0
    result: VideoResult | None = None

    @property
    def key(self) -> str:
        return str(self.output)


def _reason(e: BaseException) -> str:
    text = str(e).strip()
    line = text.splitlines()[0] if text else ""
    if isinstance(e, EXPECTED):
        return line or type(e).__name__
    return f"{type(e).__name__}: {line}" if line else type(e).__name__


def _clean_partials(outdir: Path, jobs: Iterable[_Job]) -> None:
    """Remove temporary files a killed worker may have left (``.<stem>.partial-*``)."""
    for job in jobs:
        for tmp in outdir.glob(f".{glob.escape(job.output.stem)}.partial-*"):
            shutil.rmtree(tmp, ignore_errors=True) if tmp.is_dir() else tmp.unlink(missing_ok=True)
    chunks = outdir / CHUNKS_DIR
    if chunks.is_dir():
        for tmp in chunks.glob("*/.*.partial-*"):
            tmp.unlink(missing_ok=True)
        for folder in [*chunks.iterdir(), chunks]:  # finished chunks stay for a resume
            with contextlib.suppress(OSError):
                folder.rmdir()


def run_batch(
    plan: EditPlan,
    inputs: Iterable[str | Path],
    outdir: str | Path,
    options: BatchOptions | None = None,
    listener: Listener | None = None,
) -> BatchReport:
    """Render ``plan`` over every video in ``inputs`` into ``outdir``.

    Args:
        plan: the edit, applied to each video (relative times resolve per video).
        inputs: files, folders and globs (see :func:`collect_inputs`).
        outdir: output folder; ``<stem>.mp4`` per input, plus the manifest.
        options: engine, resumption and render settings.
        listener: receives :data:`BatchEvent` s (from this thread).

    Returns:
        One result per input. A broken or missing input is a failed result, never an
        exception; the others go on.

    Raises:
        KeyboardInterrupt: after cancelling the running tasks and removing partial files
            (finished outputs stay recorded, so a re-run resumes).
    """
    opts = options or BatchOptions()
    outdir = Path(outdir)
    outdir.mkdir(parents=True, exist_ok=True)
    emit: Listener = listener or (lambda ev: None)
    t_start = time.perf_counter()
    sources = collect_inputs(inputs, exclude=outdir)
    jobs = [_Job(s, o) for s, o in zip(sources, output_names(sources, outdir), strict=True)]
    manifest = Manifest(outdir)
    phash = plan_hash(plan)
    settings = {"crf": opts.crf, "preset": opts.preset}
    plan_json = plan.to_json()

    engine = _start_engine(opts)
    by_key = {job.key: job for job in jobs}
    if isinstance(engine, _LocalEngine):
        engine.on_frames = lambda key, n: emit(FramesDone(by_key[key].source, n))
    log.info("batch engine: %s", engine.note)
    emit(EngineReady(engine.note, engine.parallel))
    pending: dict[Any, tuple[_Job, str]] = {}

    def finish(job: _Job, status: Literal["done", "skipped", "failed"], reason: str = "") -> None:
        job.result = VideoResult(
            job.source, job.output, status, reason, job.frames,
            time.perf_counter() - job.started if job.started else 0.0,
            max(1, len(job.spans)),
        )  # fmt: skip
        emit(VideoStatus(job.source, status, reason))

    def fail(job: _Job, e: BaseException) -> None:
        for h in job.handles:
            if h in pending:
                pending.pop(h)
                engine.cancel(h)
        if job.chunk_paths:
            shutil.rmtree(job.chunk_paths[0].parent, ignore_errors=True)
        if not isinstance(e, EXPECTED):
            log.warning("%s failed: %s", job.source, e, exc_info=e)
        finish(job, "failed", _reason(e))

    def submit(job: _Job, kind: str, fn: Callable[..., Any], *args: Any) -> None:
        h = engine.submit(fn, *args)
        job.handles.append(h)
        pending[h] = (job, kind)

    try:
        for job in jobs:
            try:
                if not opts.force:
                    done = manifest.finished(job.source, job.output, phash, settings)
                    if done is not None:
                        job.frames = int(done.get("frames", 0))
                        finish(job, "skipped", "already done with this plan")
                        continue
                job.info = probe(job.source)
                _queue(job, opts, plan, plan_json, engine, submit)
            except EXPECTED as e:
                finish(job, "failed", _reason(e))
                continue
            except OSError as e:
                finish(job, "failed", f"{job.source}: {e.strerror or e}")
                continue
            emit(VideoQueued(job.source, job.output, _estimate(job.info), max(1, len(job.spans))))

        while pending:
            ready = engine.wait(list(pending), timeout=0.25)
            for key, n in engine.progress().items():
                if key in by_key and by_key[key].result is None:  # late reports are dropped
                    emit(FramesDone(by_key[key].source, n))
            for h in ready:
                if h not in pending:
                    continue
                job, kind = pending.pop(h)
                try:
                    value = engine.result(h)
                except Exception as e:  # noqa: BLE001 - one video's failure is its own
                    fail(job, e)
                    continue
                if kind == "span":
                    job.frames += int(value)
                    job.chunks_left -= 1
                    if job.chunks_left == 0:
                        emit(VideoStatus(job.source, "joining"))
                        assert job.info is not None
                        submit(
                            job, "join", _task_join, [str(p) for p in job.chunk_paths],
                            [s.t0 for s in job.spans], str(job.output), str(job.source),
                            job.info.duration,
                        )  # fmt: skip
                    continue
                if kind == "whole":
                    job.frames = int(value)
                if job.chunk_paths:
                    shutil.rmtree(job.chunk_paths[0].parent, ignore_errors=True)
                manifest.record(job.source, job.output, phash, settings, job.frames)
                finish(job, "done")
    except BaseException:
        for h in list(pending):
            engine.cancel(h)
        engine.close()
        _clean_partials(outdir, jobs)
        raise
    engine.close()
    _clean_partials(outdir, jobs)
    results = [j.result for j in jobs if j.result is not None]
    return BatchReport(results, engine.note, time.perf_counter() - t_start)


def _estimate(info: MediaInfo | None) -> int:
    if info is None:
        return 0
    return info.frame_count or max(1, round(info.duration * info.fps))


def _queue(
    job: _Job,
    opts: BatchOptions,
    plan: EditPlan,
    plan_json: str,
    engine: _LocalEngine | _RayEngine,
    submit: Callable[..., None],
) -> None:
    """Submit a video's tasks: whole, or one per span when it is long and workers are many."""
    assert job.info is not None
    job.started = time.perf_counter()
    split = (
        engine.parallel and opts.chunk_seconds > 0 and job.info.duration >= 1.5 * opts.chunk_seconds
    )
    if split:
        job.spans = plan_spans(job.source, opts.chunk_seconds)
    if len(job.spans) > 1:
        folder = job.output.parent / CHUNKS_DIR / job.output.stem
        folder.mkdir(parents=True, exist_ok=True)
        job.chunk_paths = [
            folder / chunk_key(job.source, plan, s, opts.warmup, opts.crf, opts.preset)
            for s in job.spans
        ]
        job.chunks_left = len(job.spans)
        for span, path in zip(job.spans, job.chunk_paths, strict=True):
            submit(
                job, "span", _task_span, str(job.source), plan_json, span, str(path),
                opts.warmup, opts.crf, opts.preset, engine.reporter(job.key),
            )  # fmt: skip
    else:
        job.spans = []
        submit(
            job, "whole", _task_whole, str(job.source), plan_json, str(job.output),
            opts.crf, opts.preset, engine.reporter(job.key),
        )  # fmt: skip


# -- terminal view -----------------------------------------------------------------------------


class BatchView:
    """Rich view of a batch: one overall bar (frames), a row per video in progress, a line per
    finished video, and :meth:`summary` (a table) at the end. Use as a context manager and pass
    :meth:`__call__` as the listener."""

    def __init__(self, console: Any) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = console
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self.overall = self.progress.add_task("[bold]all videos", total=0)
        self._rows: dict[Path, Any] = {}
        self._frames: dict[Path, int] = {}
        self._finished: set[Path] = set()

    def __enter__(self) -> BatchView:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def _task(self, task_id: Any) -> Any:
        return next(t for t in self.progress.tasks if t.id == task_id)

    def _row(self, source: Path, status: str) -> Any:
        if source not in self._rows:
            total = self._frames.get(source) or None
            self._rows[source] = self.progress.add_task("", total=total)
        row = self._rows[source]
        self.progress.update(row, description=f"  {source.name} [dim]{status}[/]")
        return row

    def __call__(self, ev: BatchEvent) -> None:
        p = self.progress
        if isinstance(ev, EngineReady):
            style = "cyan" if ev.parallel else "yellow"
            p.console.print(f"[{style}]engine: {ev.note}[/]")
        elif isinstance(ev, VideoQueued):
            self._frames[ev.source] = ev.frames
            total = self._task(self.overall).total or 0
            p.update(self.overall, total=total + ev.frames)
        elif isinstance(ev, FramesDone):
            if ev.source in self._finished:
                return
            row = self._row(ev.source, "rendering")
            p.advance(row, ev.frames)
            p.advance(self.overall, ev.frames)
        elif isinstance(ev, VideoStatus):
            if ev.status == "joining":
                self._row(ev.source, "joining chunks")
                return
            if ev.status not in ("done", "skipped", "failed"):
                self._row(ev.source, ev.status)
                return
            self._finished.add(ev.source)
            row = self._rows.pop(ev.source, None)
            expected = self._frames.pop(ev.source, 0)
            if row is not None:
                done = int(self._task(row).completed)
                p.remove_task(row)
            else:
                done = 0
            if expected and ev.status != "skipped":  # count the rest as settled
                p.advance(self.overall, max(0, expected - done))
            mark = {"done": "[green]done[/]", "skipped": "[dim]skipped[/]"}.get(
                ev.status, "[red]failed[/]"
            )
            detail = f" — {ev.detail}" if ev.detail and ev.status == "failed" else ""
            p.console.print(f"{mark} {ev.source.name}{detail}")

    def summary(self, report: BatchReport) -> None:
        """Print the table of results and a totals line."""
        from rich.table import Table

        table = Table(title="batch")
        for col in ("video", "status", "output / reason", "frames", "seconds", "chunks"):
            table.add_column(col, overflow="fold")
        style = {"done": "green", "skipped": "dim", "failed": "red"}
        for r in report.results:
            table.add_row(
                r.source.name,
                f"[{style[r.status]}]{r.status}[/]",
                r.reason if r.status == "failed" else r.output.name,
                str(r.frames),
                f"{r.seconds:.1f}" if r.status == "done" else "",
                str(r.chunks) if r.status == "done" else "",
            )
        self.console.print(table)
        self.console.print(
            f"{report.count('done')} done, {report.count('skipped')} skipped, "
            f"{report.count('failed')} failed in {report.seconds:.1f} s "
            f"({report.videos_per_minute:.1f} videos/min; engine: {report.engine})"
        )
