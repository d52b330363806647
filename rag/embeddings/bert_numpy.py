"""A BERT sentence encoder in numpy, for embedding one question without loading torch.

Reads a sentence-transformers folder (`config.json`, `model.safetensors`,
`tokenizer.json`) of a plain BERT with mean pooling, such as all-MiniLM-L6-v2,
and computes what `SentenceTransformer.encode(..., normalize_embeddings=True)`
computes. Importing torch and sentence-transformers and building the model
takes seconds on a small machine; this takes a fraction of one, which is what
a search started from a shell waits for. Batches of documents still go
through sentence-transformers, which is faster per text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import ConfigError


def readable(path: Path) -> bool:
    """Whether `path` holds a model this encoder computes exactly: BERT, mean pooling."""
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((path / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    modules = (path / "modules.json").read_text(encoding="utf-8") \
        if (path / "modules.json").exists() else ""
    return (config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
            and config.get("position_embedding_type", "absolute") == "absolute"
            and pooling.get("pooling_mode_mean_tokens") is True
            and not any(value for key, value in pooling.items()
                        if key.startswith("pooling_mode") and key != "pooling_mode_mean_tokens")
            and "Normalize" in modules
            and (path / "model.safetensors").exists() and (path / "tokenizer.json").exists())


class BertEncoder:
    def __init__(self, path: Path) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        if not readable(path):
            raise ConfigError(f"{path} is not a BERT mean-pooling sentence model")
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        settings = json.loads((path / "sentence_bert_config.json").read_text(encoding="utf-8")) \
            if (path / "sentence_bert_config.json").exists() else {}
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.weights: dict[str, Any] = load_file(str(path / "model.safetensors"))
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(settings.get("max_seq_length", 512)))
        self.tokenizer.no_padding()

    def encode(self, text: str) -> np.ndarray:
        """The L2-normalized mean of the last layer's token vectors."""
        ids = np.asarray(self.tokenizer.encode(text).ids)
        w = self.weights
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][: len(ids)]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        for n in range(self.layers):
            x = self._layer(x, f"encoder.layer.{n}.")
        pooled = x.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def _layer(self, x: np.ndarray, prefix: str) -> np.ndarray:
        length, width = x.shape
        size = width // self.heads

        def heads(name: str) -> np.ndarray:
            projected = self._linear(x, f"{prefix}attention.self.{name}")
            return projected.reshape(length, self.heads, size).transpose(1, 0, 2)

        q, k, v = heads("query"), heads("key"), heads("value")
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(length, width)
        x = self._norm(self._linear(context, f"{prefix}attention.output.dense") + x,
                       f"{prefix}attention.output.LayerNorm")
        inner = _gelu(self._linear(x, f"{prefix}intermediate.dense"))
        return self._norm(self._linear(inner, f"{prefix}output.dense") + x,
                          f"{prefix}output.LayerNorm")

    def _linear(self, x: np.ndarray, name: str) -> np.ndarray:
        return x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]

    def _norm(self, x: np.ndarray, name: str) -> np.ndarray:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        return ((x - mean) / np.sqrt(variance + self.eps) * self.weights[f"{name}.weight"]
                + self.weights[f"{name}.bias"])


_ERF = np.vectorize(math.erf, otypes=[np.float64])


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU as BERT defines it (with erf, not the tanh approximation)."""
    return (0.5 * x * (1.0 + _ERF(x / math.sqrt(2.0)))).astype(x.dtype)
