"""What a scrub costs the crop person masker, and how good its mask is (issue 14).

Run from the repository root, once per checkout to compare (``PYTHONPATH`` picks it)::

    PYTHONPATH=$PWD .venv/bin/python benchmarks/bench_scrub_masker.py [--seeds 14 1 2]

* ``sample`` — ``bench_scrub.py``'s scrub sequences (forward drags, random jumps; three passes)
  on ``examples/sample.mp4`` at the editor's preview size through one preview masker, processing
  held at the first frame (what ``bench_scrub.py --shown`` times end to end);
* ``davis`` — DAVIS dance-twirl (a dancer moving on every frame; shared media, skipped when
  absent), the processing stream (every 6th frame, 200 ms) and random scrubs interleaved through
  one masker, as in the editor while it processes.

Per scrub: landmark-model runs, detector calls (the tiled look is 3 calls at 16:9), masker CPU
ms (``time.process_time``), and the mask's IoU against the same frame's mask from processing
every frame in order (and, on DAVIS, against the truth). Counts do not depend on the load;
CPU ms do. It never asserts a timing.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "eval"))


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    import cv2

    if a.shape != b.shape:
        a = cv2.resize(a.astype(np.float32), b.shape[::-1], interpolation=cv2.INTER_LINEAR)
    x, y = a >= 0.5, b >= 0.5
    return float((x & y).sum() / max(1, (x | y).sum()))


class _Counted:
    """A preview masker whose landmark runs and detector calls are counted."""

    def __init__(self, info: object) -> None:
        from backdrop.render.maskers import PreviewPersonMasker

        self.masker = PreviewPersonMasker(info)  # type: ignore[arg-type]
        self.crops = self.masker._inner.crops  # type: ignore[attr-defined]  # noqa: SLF001
        self.calls = 0
        inner = self.crops.detector.detect

        def counted(*a: object, **k: object) -> object:
            self.calls += 1
            return inner(*a, **k)

        self.crops.detector.detect = counted

    def __call__(self, frame: np.ndarray, t: float) -> tuple[np.ndarray, int, int, float]:
        """``(mask, landmark runs, detector calls, CPU ms)`` of one frame."""
        runs, calls, cpu = self.crops.runs, self.calls, time.process_time()
        mask = self.masker(frame, t)
        ms = 1000 * (time.process_time() - cpu)
        return mask, self.crops.runs - runs, self.calls - calls, ms


def _report(name: str, rows: list[tuple[int, int, float, float, float | None]]) -> None:
    lm, dc, ms, iou = (np.array([r[i] for r in rows], float) for i in range(4))
    truth = [r[4] for r in rows]
    line = (
        f"{name}: {len(rows)} scrubs; landmark runs/scrub {lm.mean():.2f}; detector calls/scrub "
        f"{dc.mean():.2f} (scrubs with any {int((dc > 0).sum())}); masker CPU ms median "
        f"{np.median(ms):.0f} p95 {np.percentile(ms, 95):.0f} max {ms.max():.0f}; IoU vs "
        f"in-order mean {iou.mean():.3f} min {iou.min():.3f}"
    )
    if truth[0] is not None:
        line += f"; vs truth mean {np.mean(truth):.3f} min {np.min(truth):.3f}"
    print(line)


def sample() -> None:
    from bench_scrub import sequences

    from backdrop.perception.core.media import iter_frames, probe
    from backdrop.render.maskers import PreviewPersonMasker
    from backdrop.render.preview import preview_size

    video = ROOT / "examples" / "sample.mp4"
    info = probe(video)
    size = preview_size(info)
    info = dataclasses.replace(info, width=size[0], height=size[1])
    frames = list(iter_frames(video, size))
    times = np.array([t for t, _ in frames])
    in_order = PreviewPersonMasker(info)
    ref = [in_order(f, t).copy() for t, f in frames]
    for name, seq in sequences(info.duration).items():
        m = _Counted(info)
        m(frames[0][1], frames[0][0])  # processing held at the first frame
        rows = []
        for _ in range(3):
            for ts in seq:
                i = int(np.argmin(np.abs(times - ts)))
                mask, lm, dc, ms = m(frames[i][1], frames[i][0])
                rows.append((lm, dc, ms, _iou(mask, ref[i]), None))
        _report(f"sample {name}", rows)


def davis(seed: int) -> None:
    import davis_person

    from backdrop.perception.core.media import probe

    if not davis_person.DAVIS.exists():
        print("davis: shared media absent, skipped")
        return
    seq = davis_person.load_sequence()
    h, w = seq[0][0].shape[:2]
    info = dataclasses.replace(
        probe(ROOT / "examples" / "sample.mp4"), width=w, height=h, duration=len(seq) / 30
    )
    frames = [(i / 30.0, f) for i, (f, _) in enumerate(seq)]
    in_order = _Counted(info)
    ref = [in_order(f, t)[0].copy() for t, f in frames]
    rng = random.Random(seed)
    m = _Counted(info)
    proc, rows = 0, []
    for _ in range(30):
        m(frames[proc][1], frames[proc][0])  # the processing stream, 200 ms on
        proc = (proc + 6) % len(frames)
        i = rng.randrange(len(frames))
        mask, lm, dc, ms = m(frames[i][1], frames[i][0])
        rows.append((lm, dc, ms, _iou(mask, ref[i]), _iou(mask, seq[i][1].astype(np.float32))))
    _report(f"davis seed {seed} (stream + scrubs)", rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[14, 1, 2])
    args = ap.parse_args()
    sample()
    for seed in args.seeds:
        davis(seed)


if __name__ == "__main__":
    main()
