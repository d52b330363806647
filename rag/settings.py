"""One typed settings tree, built by `load_settings()`.

Precedence: defaults < a settings file (TOML or YAML, path in `RAG_CONFIG`) <
`RAG_*` environment variables. Every field names its environment variable in
`json_schema_extra["env"]`, so `rag settings` and the README table are derived
from this module rather than kept in sync by hand.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rag.errors import ConfigError


def _env(name: str, description: str, default: Any, **kwargs: Any) -> Any:
    return Field(default, description=description, json_schema_extra={"env": name}, **kwargs)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class EmbeddingSettings(_Section):
    backend: str = _env(
        "RAG_EMBEDDINGS",
        "Embedding backend: `minilm` (bundled all-MiniLM-L6-v2), "
        "`sentence-transformers:<local path>`, `openai` (any OpenAI-compatible "
        "/v1/embeddings server) or `hash` (deterministic, for tests).",
        "minilm",
    )
    batch_size: int = _env(
        "RAG_EMBEDDINGS_BATCH_SIZE",
        "Texts a local sentence-transformers model encodes at once; small batches pad short "
        "texts less (on 2 cores 8 beat 32 by 17% on chunks, 35% on sentences).",
        8,
        ge=1,
    )
    hash_dim: int = _env("RAG_HASH_DIM", "Vector size of the `hash` embedder.", 256, ge=8)
    openai_model: str = _env(
        "RAG_OPENAI_EMBEDDINGS_MODEL",
        "Model name sent to the OpenAI-compatible embeddings server.",
        "text-embedding-3-small",
    )

    @field_validator("backend")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        name, _, arg = value.partition(":")
        if name not in {"minilm", "hash", "openai", "sentence-transformers"}:
            raise ValueError(
                f"unknown embeddings backend {value!r}; use minilm, hash, openai "
                "or sentence-transformers:<local path>"
            )
        if name == "sentence-transformers" and not arg:
            raise ValueError("sentence-transformers needs a local model path: "
                             "sentence-transformers:/path/to/model")
        return value


class OpenAISettings(_Section):
    base_url: str | None = _env(
        "RAG_OPENAI_BASE_URL",
        "Base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1.",
        None,
    )
    api_key: str | None = _env("RAG_OPENAI_API_KEY", "API key for that server, if it needs one.",
                               None)
    model: str = _env("RAG_OPENAI_MODEL", "Chat model name on that server.", "gpt-4o-mini")
    timeout_s: float = _env("RAG_OPENAI_TIMEOUT", "Request timeout in seconds.", 120.0, gt=0)
    response_format: Literal["auto", "json_schema", "json_object", "prompt"] = _env(
        "RAG_OPENAI_RESPONSE_FORMAT",
        "How structured replies are asked of the chat server: `json_schema` (OpenAI, vLLM), "
        "`json_object` with a schema (llama-cpp-python's server), `prompt` (in words, then "
        "checked), or `auto`: the first of these the server accepts.",
        "auto",
    )


class LLMSettings(_Section):
    backend: Literal["llama-cpp", "openai", "extractive"] = _env(
        "RAG_LLM",
        "Answer backend: `llama-cpp` (local GGUF), `openai` (any OpenAI-compatible chat "
        "server) or `extractive` (no model: selects and cites sentences).",
        "llama-cpp",
    )
    model: Literal["qwen-1.5b", "qwen-0.5b"] = _env(
        "RAG_LLM_MODEL", "Bundled GGUF model for llama-cpp.", "qwen-1.5b"
    )
    model_path: Path | None = _env(
        "RAG_LLM_MODEL_PATH", "Any other GGUF file for llama-cpp (overrides RAG_LLM_MODEL).", None
    )
    context_tokens: int = _env("RAG_LLM_CONTEXT", "Context window in tokens.", 4096, ge=512)
    max_tokens: int = _env("RAG_LLM_MAX_TOKENS", "Longest reply in tokens.", 160, ge=16)
    verify_threshold: float = _env(
        "RAG_VERIFY_THRESHOLD",
        "How sure the model must be that a passage states a statement (a summary "
        "sentence; its probability of \"yes\" against \"no\") for it to count as supported "
        "(0-1; higher: fewer wrong claims, more refusals).",
        0.7,
        ge=0.0,
        le=1.0,
    )
    verify_answer_threshold: float = _env(
        "RAG_VERIFY_ANSWER_THRESHOLD",
        "The same for an answer to a question (a name, a number, yes or no), checked as the "
        "answer to the question as asked; long compound questions rarely get a confident "
        "yes, right or wrong (0-1).",
        0.5,
        ge=0.0,
        le=1.0,
    )


class RetrievalSettings(_Section):
    candidates: int = _env(
        "RAG_RETRIEVAL_CANDIDATES", "Chunks taken from each of dense and BM25 search.", 40, ge=1
    )
    dense_weight: float = _env(
        "RAG_RETRIEVAL_DENSE_WEIGHT",
        "Weight of the dense (embedding) rankings in rank fusion; BM25's weight is 1.",
        0.5,
        ge=0.0,
    )
    per_source: int = _env(
        "RAG_RETRIEVAL_PER_SOURCE",
        "Most chunks of one source among the top results, for diversity across sources.",
        3,
        ge=1,
    )
    context_sentences: int = _env(
        "RAG_CONTEXT_SENTENCES", "Sentences the model reads for one answer.", 8, ge=1
    )
    context_cutoff: float = _env(
        "RAG_CONTEXT_CUTOFF",
        "Sentences below this share of the best sentence's relevance stay out of the prompt "
        "(0-1; higher: shorter prompts, faster answers).",
        0.75,
        ge=0.0,
        le=1.0,
    )
    min_relevance: float = _env(
        "RAG_MIN_RELEVANCE",
        "Below this relevance of the best passage, the answer is a refusal (0-1).",
        0.35,
        ge=0.0,
        le=1.0,
    )


class ChromaSettings(_Section):
    url: str | None = _env(
        "RAG_CHROMA_URL",
        "When set (e.g. http://127.0.0.1:8001), use this Chroma server instead of "
        "the embedded store under RAG_DATA_DIR.",
        None,
    )
    collection: str = _env("RAG_COLLECTION", "Chroma collection name.", "news")


class ChunkSettings(_Section):
    size: int = _env("RAG_CHUNK_SIZE", "Target chunk length in characters.", 800, ge=100)
    overlap: int = _env("RAG_CHUNK_OVERLAP", "Characters of overlap between chunks.", 150, ge=0)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> ChunkSettings:
        if self.overlap >= self.size:
            raise ValueError(f"overlap ({self.overlap}) must be smaller than size ({self.size})")
        return self


class SummarySettings(_Section):
    sentences: int = _env(
        "RAG_SUMMARY_SENTENCES",
        "Sentences a summary has at most (about 25 words each: 6 reads in under a minute).",
        6, ge=1, le=20,
    )
    words: int | None = _env(
        "RAG_SUMMARY_WORDS",
        "Words a summary has at most (unset: no limit but the sentences'). Given alone, as "
        "it is asked for, it allows as many sentences as it takes to fill it.",
        None, ge=10, le=500,
    )
    form: Literal["auto", "paragraph", "bullets", "timeline"] = _env(
        "RAG_SUMMARY_FORM",
        "`paragraph`, `bullets` (one sentence per line), `timeline` (date order, each "
        "sentence with its date), or `auto`: a timeline for a topic and for articles of "
        "different days, else a paragraph.",
        "auto",
    )


class IngestSettings(_Section):
    max_file_bytes: int = _env(
        "RAG_MAX_FILE_BYTES", "Largest article file accepted, in bytes.", 5_000_000, ge=1
    )
    copy_threshold: float = _env(
        "RAG_COPY_THRESHOLD",
        "Articles whose word-trigram sets overlap at least this much (Jaccard, estimated "
        "with MinHash) are copies of one story (0-1; see `make bench-copies`).",
        0.3, gt=0, le=1,
    )
    batch_chunks: int = _env(
        "RAG_INGEST_BATCH",
        "Chunks embedded and written together; larger batches embed faster, smaller ones "
        "lose less work to an interruption.",
        256,
        ge=1,
    )


class FetchSettings(_Section):
    timeout_s: float = _env(
        "RAG_FETCH_TIMEOUT", "Seconds a page or feed may take to arrive, in all.", 20.0, gt=0
    )
    max_bytes: int = _env(
        "RAG_FETCH_MAX_BYTES", "Largest page or feed read, in bytes.", 5_000_000, ge=1
    )
    max_redirects: int = _env("RAG_FETCH_MAX_REDIRECTS", "Redirects followed per fetch.", 5,
                              ge=0)
    allow_private: bool = _env(
        "RAG_FETCH_ALLOW_PRIVATE",
        "Fetch addresses in private, loopback and link-local ranges (off: a server that "
        "fetches on request cannot be turned against its own network).",
        False,
    )
    user_agent: str = _env("RAG_FETCH_USER_AGENT", "User-Agent sent with each fetch.",
                           "newsrag/0.1 (+self-hosted news reader)")
    feed_every_s: int = _env(
        "RAG_FEED_EVERY", "Default seconds between two polls of a feed.", 900, ge=60
    )
    poll_feeds: bool = _env(
        "RAG_FEED_POLLING", "`rag serve` polls due feeds in the background.", True
    )


class ApiSettings(_Section):
    api_key: str | None = _env(
        "RAG_API_KEY",
        "When set, write endpoints of the HTTP API need `Authorization: Bearer <key>`.",
        None,
    )
    auth_all: bool = _env(
        "RAG_API_AUTH_ALL", "With RAG_API_KEY set, require the key on every endpoint.", False
    )
    cors_origins: list[str] = _env(
        "RAG_CORS_ORIGINS",
        "Comma-separated origins allowed to call the API from a browser (empty: none).",
        [],
    )
    max_question_chars: int = _env(
        "RAG_MAX_QUESTION_CHARS", "Longest question or query accepted, in characters.", 2000,
        ge=1,
    )
    concurrency: int = _env(
        "RAG_API_CONCURRENCY", "Model-backed requests (ask, summarize) run at once.", 1, ge=1
    )
    queue: int = _env(
        "RAG_API_QUEUE",
        "Model-backed requests that may wait for a slot; beyond that the API answers 503.",
        4,
        ge=0,
    )
    retry_after_s: int = _env(
        "RAG_API_RETRY_AFTER", "Seconds a client is told to wait after a 503.", 10, ge=1
    )

    _split = field_validator("cors_origins", mode="before")(lambda value: _comma_list(value))


class EvalSettings(_Section):
    llms: list[Literal["llama-cpp", "openai", "extractive"]] = _env(
        "RAG_EVAL_LLMS", "LLM backends `rag eval --matrix` compares (comma-separated).",
        ["extractive", "llama-cpp"],
    )
    embeddings: list[str] = _env(
        "RAG_EVAL_EMBEDDINGS",
        "Embedding backends `rag eval --matrix` compares (comma-separated).",
        ["minilm", "hash"],
    )

    _split = field_validator("llms", "embeddings", mode="before")(
        lambda value: _comma_list(value))

    @field_validator("embeddings")
    @classmethod
    def _known(cls, values: list[str]) -> list[str]:
        return [EmbeddingSettings._known_backend(value) for value in values]


def _comma_list(value: Any) -> Any:
    """Environment variables hold lists as comma-separated text."""
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(_Section):
    data_dir: Path = _env(
        "RAG_DATA_DIR",
        "Folder for the embedded store, caches and assembled models.",
        Path("rag-data"),
    )
    threads: int = _env(
        "RAG_THREADS", "CPU threads for embedding and generation.", os.cpu_count() or 1, ge=1
    )
    server_url: str | None = _env(
        "RAG_SERVER_URL",
        "A running `rag serve` that `rag ask/search/summarize` send their work to (default: "
        "the local one at http://127.0.0.1:8000 if it serves the same store; `none`: never).",
        None,
    )
    embeddings: EmbeddingSettings = EmbeddingSettings()
    openai: OpenAISettings = OpenAISettings()
    chroma: ChromaSettings = ChromaSettings()
    llm: LLMSettings = LLMSettings()
    retrieval: RetrievalSettings = RetrievalSettings()
    summary: SummarySettings = SummarySettings()
    chunking: ChunkSettings = ChunkSettings()
    ingest: IngestSettings = IngestSettings()
    fetch: FetchSettings = FetchSettings()
    api: ApiSettings = ApiSettings()
    eval: EvalSettings = EvalSettings()


def env_fields(model: type[BaseModel] = Settings, prefix: tuple[str, ...] = ()) -> Iterator[
    tuple[tuple[str, ...], str, Any]
]:
    """Yield (path in the tree, environment variable, field info) for every setting."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from env_fields(annotation, (*prefix, name))
        else:
            extra = info.json_schema_extra or {}
            yield (*prefix, name), str(extra["env"]), info


def _read_file(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read settings file {path} (RAG_CONFIG): {exc}") from exc
    try:
        data = tomllib.loads(raw) if path.suffix == ".toml" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"settings file {path} is not valid TOML/YAML: {exc}") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"settings file {path} must hold a table of settings")
    return data


def _set_path(tree: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for key in path[:-1]:
        node = tree.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"setting {'.'.join(path)}: {key} must be a table")
        tree = node
    tree[path[-1]] = value


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Build the settings tree from defaults, the `RAG_CONFIG` file and `RAG_*` variables.

    `overrides` are applied last, as nested dicts (`embeddings={"backend": "hash"}`).
    """
    environ = os.environ if environ is None else environ
    tree: dict[str, Any] = {}
    if config_path := environ.get("RAG_CONFIG"):
        tree = _read_file(Path(config_path))
    for path, env_name, _ in env_fields():
        if env_name in environ and environ[env_name] != "":
            _set_path(tree, path, environ[env_name])
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(tree.get(key), dict):
            tree[key] = {**tree[key], **value}
        else:
            tree[key] = value
    try:
        return Settings.model_validate(tree)
    except ValidationError as exc:
        raise ConfigError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    env_by_path = {".".join(path): env for path, env, _ in env_fields()}
    lines = ["invalid settings:"]
    for error in exc.errors():
        dotted = ".".join(str(part) for part in error["loc"])
        env = env_by_path.get(dotted)
        where = f"{dotted} ({env})" if env else dotted
        lines.append(f"  {where}: {error['msg']}")
    return "\n".join(lines)
