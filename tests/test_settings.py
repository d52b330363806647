from pathlib import Path

import pytest

from rag.errors import ConfigError
from rag.settings import env_fields, load_settings


def test_defaults_use_bundled_models_and_embedded_store() -> None:
    settings = load_settings({})
    assert settings.embeddings.backend == "minilm"
    assert settings.chroma.url is None
    assert settings.data_dir == Path("rag-data")


def test_file_overrides_defaults_and_environment_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "rag.toml"
    config.write_text('data_dir = "/from/file"\n[chunking]\nsize = 500\noverlap = 50\n')
    settings = load_settings({"RAG_CONFIG": str(config), "RAG_CHUNK_SIZE": "600"})
    assert settings.data_dir == Path("/from/file")
    assert settings.chunking.size == 600  # environment beats the file
    assert settings.chunking.overlap == 50  # the file beats the default


def test_yaml_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "rag.yaml"
    config.write_text("embeddings:\n  backend: hash\n  hash_dim: 64\n")
    settings = load_settings({"RAG_CONFIG": str(config)})
    assert (settings.embeddings.backend, settings.embeddings.hash_dim) == ("hash", 64)


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="RAG_CHUNK_SIZE"):
        load_settings({"RAG_CHUNK_SIZE": "lots"})


def test_unknown_backend_is_rejected_with_the_choices() -> None:
    with pytest.raises(ConfigError, match="minilm, hash, openai"):
        load_settings({"RAG_EMBEDDINGS": "word2vec"})


def test_sentence_transformers_needs_a_path() -> None:
    with pytest.raises(ConfigError, match="local model path"):
        load_settings({"RAG_EMBEDDINGS": "sentence-transformers"})
    spec = load_settings({"RAG_EMBEDDINGS": "sentence-transformers:/models/x"})
    assert spec.embeddings.backend == "sentence-transformers:/models/x"


def test_overlap_must_be_below_size() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        load_settings({"RAG_CHUNK_SIZE": "200", "RAG_CHUNK_OVERLAP": "200"})


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    config = tmp_path / "rag.toml"
    config.write_text("[chunking]\nsise = 10\n")
    with pytest.raises(ConfigError, match="sise"):
        load_settings({"RAG_CONFIG": str(config)})


def test_missing_settings_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="RAG_CONFIG"):
        load_settings({"RAG_CONFIG": str(tmp_path / "absent.toml")})


def test_every_setting_has_a_variable_and_a_description() -> None:
    names = [env for _, env, _ in env_fields()]
    assert len(names) == len(set(names))
    assert all(name.startswith("RAG_") for name in names)
    assert all(info.description for _, _, info in env_fields())
    assert {"RAG_DATA_DIR", "RAG_EMBEDDINGS", "RAG_CHROMA_URL"} <= set(names)
