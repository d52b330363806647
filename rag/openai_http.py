"""A small client for OpenAI-compatible servers, shared by the embedder and the chat LLM."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx

from rag.errors import BackendUnavailableError, ConfigError, RagError, RequestRejectedError

_RETRY_STATUS = {408, 429, 500, 502, 503, 504}


class OpenAIHttp:
    """Holds the server address and key; opens its connection pool on first request."""

    def __init__(self, base_url: str | None, api_key: str | None, timeout_s: float = 120.0,
                 retries: int = 2) -> None:
        self.base_url = base_url
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.retries = retries
        self._client: httpx.Client | None = None

    def _http(self) -> httpx.Client:
        if not self.base_url:
            raise ConfigError("the openai backend needs a server: set RAG_OPENAI_BASE_URL "
                              "(e.g. http://127.0.0.1:8080/v1)")
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            self._client = httpx.Client(base_url=self.base_url.rstrip("/"), headers=headers,
                                        timeout=self.timeout_s)
        return self._client

    def get(self, path: str) -> dict[str, Any]:
        """GET and decode JSON; one attempt (used for readiness checks)."""
        try:
            return self._decode(self._http().get(path))
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"cannot reach the OpenAI-compatible server at {self.base_url}: {exc}; "
                "check RAG_OPENAI_BASE_URL") from None

    def post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        """POST JSON, retrying transient failures; return the decoded reply."""
        for attempt in range(self.retries + 1):
            try:
                response = self._http().post(path, json=payload)
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise BackendUnavailableError(
                        f"cannot reach the OpenAI-compatible server at {self.base_url}: {exc}; "
                        "check RAG_OPENAI_BASE_URL") from None
            else:
                if response.status_code not in _RETRY_STATUS or attempt == self.retries:
                    return self._decode(response)
            time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    def stream(self, path: str, payload: dict[str, Any]) -> Iterator[str]:
        """POST with server-sent events; yield each `data:` payload until `[DONE]`."""
        try:
            with self._http().stream("POST", path, json=payload) as response:
                if response.status_code >= 400:
                    response.read()
                    self._decode(response)
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        data = line[5:].strip()
                        if data == "[DONE]":
                            return
                        yield data
        except httpx.TransportError as exc:
            raise BackendUnavailableError(
                f"cannot reach the OpenAI-compatible server at {self.base_url}: {exc}") from None

    def _decode(self, response: httpx.Response) -> dict[str, Any]:
        # llama-cpp-python's server reports a response_format it does not take as a 500.
        if response.status_code in (400, 422) or (
                response.status_code == 500 and "response_format" in response.text):
            raise RequestRejectedError(f"{self.base_url} refused the request "
                                       f"({response.status_code}): {response.text[:300]}")
        if response.status_code >= 400:
            raise RagError(f"{self.base_url} answered {response.status_code}: "
                           f"{response.text[:300]}")
        try:
            return response.json()
        except ValueError:
            raise RagError(f"{self.base_url} did not answer JSON: {response.text[:200]}") from None
