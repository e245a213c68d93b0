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

from backdrop.perception.core.media import MediaError, MediaInfo, probe
from backdrop.perception.core.models import ModelMissingError
from backdrop.render.atomic import atomic_path
from backdrop.render.chunked import DEFAULT_WARMUP, ChunkedJob, plan_spans
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
    rather than silently dropped. Files directly in ``exclude`` (the output folder: earlier
    outputs a glob would pick up again) are left out; files in folders below it are inputs.
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
        if r in seen or (ex is not None and r.parent == ex):
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


def _task_span(job: ChunkedJob, plan_json: str, i: int, report: _Reporter) -> int:
    """Render span ``i`` of a chunked video to its chunk file; returns the span's frames."""
    stats = job.render(EditPlan.from_json(plan_json), i, progress=report)
    report.flush(stats.frames)
    return stats.frames


def _task_join(job: ChunkedJob) -> str:
    """Join a chunked video's finished chunks into its output."""
    return str(job.join())


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
    chunked: ChunkedJob | None = None
    handles: list[Any] = field(default_factory=list)
    chunks_left: int = 0
    frames: int = 0
    started: float = 0.0
    result: VideoResult | None = None

    @property
    def key(self) -> str:
        return str(self.output)

    @property
    def tasks(self) -> int:
        return len(self.chunked.spans) if self.chunked is not None else 1


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
    t_start = time.perf_counter()
    sources = collect_inputs(inputs, exclude=outdir)
    jobs = [_Job(s, o) for s, o in zip(sources, output_names(sources, outdir), strict=True)]
    engine = _start_engine(opts)
    driver = _Driver(plan, opts, engine, Manifest(outdir), jobs, listener or (lambda ev: None))
    try:
        driver.queue_all()
        driver.collect()
    except BaseException:
        driver.cancel()
        engine.close()
        _clean_partials(outdir, jobs)
        raise
    engine.close()
    _clean_partials(outdir, jobs)
    results = [j.result for j in jobs if j.result is not None]
    return BatchReport(results, engine.note, time.perf_counter() - t_start)


class _Driver:
    """Submits every video's tasks to the engine and follows them to a result per video."""

    def __init__(
        self,
        plan: EditPlan,
        opts: BatchOptions,
        engine: _LocalEngine | _RayEngine,
        manifest: Manifest,
        jobs: list[_Job],
        emit: Listener,
    ) -> None:
        self.plan, self.opts, self.engine, self.manifest = plan, opts, engine, manifest
        self.jobs, self.emit = jobs, emit
        self.plan_json = plan.to_json()
        self.phash = plan_hash(plan)
        self.settings = {"crf": opts.crf, "preset": opts.preset}
        self.by_key = {job.key: job for job in jobs}
        self.pending: dict[Any, tuple[_Job, str]] = {}
        if isinstance(engine, _LocalEngine):
            engine.on_frames = lambda key, n: emit(FramesDone(self.by_key[key].source, n))
        log.info("batch engine: %s", engine.note)
        emit(EngineReady(engine.note, engine.parallel))

    def queue_all(self) -> None:
        """Skip what the manifest has, probe the rest and submit their tasks."""
        for job in self.jobs:
            try:
                if not self.opts.force:
                    done = self.manifest.finished(job.source, job.output, self.phash,
                                                  self.settings)  # fmt: skip
                    if done is not None:
                        job.frames = int(done.get("frames", 0))
                        self.finish(job, "skipped", "already done with this plan")
                        continue
                job.info = probe(job.source)
                self.queue(job)
            except EXPECTED as e:
                self.finish(job, "failed", _reason(e))
                continue
            except OSError as e:
                self.finish(job, "failed", f"{job.source}: {e.strerror or e}")
                continue
            self.emit(VideoQueued(job.source, job.output, _estimate(job.info), job.tasks))

    def queue(self, job: _Job) -> None:
        """Submit a video's tasks: whole, or one per span when it is long and workers are many."""
        assert job.info is not None
        opts, engine = self.opts, self.engine
        job.started = time.perf_counter()
        long = opts.chunk_seconds > 0 and job.info.duration >= 1.5 * opts.chunk_seconds
        spans = plan_spans(job.source, opts.chunk_seconds) if engine.parallel and long else []
        if len(spans) > 1:
            folder = job.output.parent / CHUNKS_DIR / job.output.stem
            job.chunked = ChunkedJob.prepare(
                job.source, self.plan, job.output, spans, folder, job.info.duration,
                warmup=opts.warmup, crf=opts.crf, preset=opts.preset,
            )  # fmt: skip
            job.chunks_left = len(spans)
            for i in range(len(spans)):
                report = engine.reporter(job.key)
                self.submit(job, "span", _task_span, job.chunked, self.plan_json, i, report)
        else:
            self.submit(
                job, "whole", _task_whole, str(job.source), self.plan_json, str(job.output),
                opts.crf, opts.preset, engine.reporter(job.key),
            )  # fmt: skip

    def submit(self, job: _Job, kind: str, fn: Callable[..., Any], *args: Any) -> None:
        h = self.engine.submit(fn, *args)
        job.handles.append(h)
        self.pending[h] = (job, kind)

    def collect(self) -> None:
        """Follow the tasks until every video has its result."""
        while self.pending:
            ready = self.engine.wait(list(self.pending), timeout=0.25)
            for key, n in self.engine.progress().items():
                job = self.by_key.get(key)
                if job is not None and job.result is None:  # late reports are dropped
                    self.emit(FramesDone(job.source, n))
            for h in ready:
                if h in self.pending:
                    self.done(h, *self.pending.pop(h))

    def done(self, h: Any, job: _Job, kind: str) -> None:
        """Task ``h`` (``kind`` of ``job``) finished: its next step, or the video's result."""
        try:
            value = self.engine.result(h)
        except Exception as e:  # noqa: BLE001 - one video's failure is its own
            self.fail(job, e)
            return
        if kind == "span":
            job.frames += int(value)
            job.chunks_left -= 1
            if job.chunks_left == 0:
                self.emit(VideoStatus(job.source, "joining"))
                self.submit(job, "join", _task_join, job.chunked)
            return
        if kind == "whole":
            job.frames = int(value)
        if job.chunked is not None:
            job.chunked.discard()
        self.manifest.record(job.source, job.output, self.phash, self.settings, job.frames)
        self.finish(job, "done")

    def finish(
        self, job: _Job, status: Literal["done", "skipped", "failed"], reason: str = ""
    ) -> None:
        job.result = VideoResult(
            job.source, job.output, status, reason, job.frames,
            time.perf_counter() - job.started if job.started else 0.0, job.tasks,
        )  # fmt: skip
        self.emit(VideoStatus(job.source, status, reason))

    def fail(self, job: _Job, e: BaseException) -> None:
        for h in job.handles:
            if h in self.pending:
                self.pending.pop(h)
                self.engine.cancel(h)
        if job.chunked is not None:
            job.chunked.discard()
        if not isinstance(e, EXPECTED):
            log.warning("%s failed: %s", job.source, e, exc_info=e)
        self.finish(job, "failed", _reason(e))

    def cancel(self) -> None:
        """Cancel every task still running (an interrupted batch)."""
        for h in list(self.pending):
            self.engine.cancel(h)


def _estimate(info: MediaInfo | None) -> int:
    if info is None:
        return 0
    return info.frame_count or max(1, round(info.duration * info.fps))
