"""Chat model backends, chosen by name in settings (`RAG_LLM`).

`extractive` has no model at all: `make_llm` returns None and the chains
answer by selecting and citing sentences.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rag.llm.base import LLM, Completion, Message
from rag.settings import Settings


def _llama_cpp(settings: Settings) -> LLM:
    from rag.llm.llama_cpp_llm import LlamaCppLLM
    from rag.llm.model_files import BUNDLED_MODELS, bundled_model_path

    llm = settings.llm
    if llm.model_path is not None:
        path = Path(llm.model_path).expanduser()
        return LlamaCppLLM(lambda: path, path.stem, llm.context_tokens, settings.threads)
    bundled = BUNDLED_MODELS[llm.model]
    return LlamaCppLLM(lambda: bundled_model_path(llm.model, settings.data_dir),
                       Path(bundled.file_name).stem, llm.context_tokens, settings.threads)


def _openai(settings: Settings) -> LLM:
    from rag.llm.openai_llm import OpenAIChatLLM
    from rag.openai_http import OpenAIHttp

    http = OpenAIHttp(settings.openai.base_url, settings.openai.api_key, settings.openai.timeout_s)
    return OpenAIChatLLM(http, settings.openai.model, settings.openai.response_format)


LLMS: dict[str, Callable[[Settings], LLM]] = {"llama-cpp": _llama_cpp, "openai": _openai}


def make_llm(settings: Settings) -> LLM | None:
    """Build (not load) the chat model `settings.llm.backend` names; None for `extractive`."""
    if settings.llm.backend == "extractive":
        return None
    return LLMS[settings.llm.backend](settings)


__all__ = ["LLM", "LLMS", "Completion", "Message", "make_llm"]
