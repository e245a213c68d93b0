"""Per-frame CPU cost of the default masker (a plan with one plain "keep the person" rule, or a
person selector) on a clip: median and mean CPU milliseconds per frame over its first 60 frames.

Run: ``PYTHONPATH=<tree> .venv/bin/python benchmarks/bench_people_masker.py CLIP [SELECTOR]`` —
run it with two trees back to back (e.g. ``main`` and a branch) to compare them on one machine.
CPU time (``time.process_time``) is used because the shared machine's wall time is noisy.
"""

from __future__ import annotations

import sys
import time

import numpy as np

from backdrop.perception.core.media import iter_frames, probe
from backdrop.render.maskers import build_masker
from backdrop.render.plan import EditPlan, KeepRule


def main() -> None:
    path = sys.argv[1]
    selector = sys.argv[2] if len(sys.argv) > 2 else None
    info = probe(path)
    rule = KeepRule(subject="person", **({"selector": selector} if selector else {}))
    masker = build_masker(info, EditPlan(keep=[rule]))
    costs = []
    for i, (t, frame) in enumerate(iter_frames(path)):
        if i >= 60:
            break
        t0 = time.process_time()
        masker(frame, t)
        costs.append(time.process_time() - t0)
    print(
        f"{path} {selector or 'person'}: median {1000 * np.median(costs):.1f} ms CPU/frame, "
        f"mean {1000 * np.mean(costs):.1f}"
    )


if __name__ == "__main__":
    main()
