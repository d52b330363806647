"""Every endpoint and error code of the HTTP API, in process (FastAPI's TestClient).

The knowledge base is real (hash embedder, embedded Chroma, extractive answers);
the busy-model cases use a chat model that waits until the test lets it go.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import create_app
from rag.cli import main as cli_main
from rag.knowledge_base import KnowledgeBase
from rag.llm.base import LLM, Message, Schema, Usage
from rag.settings import Settings
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.fakes import passage_saying
from tests.test_answer import CONFLICT_Q, ELECTION_Q, WOUNDED_Q, assert_quotes_are_exact

ARTICLE = (b"Ministry reports record wheat harvest\n\nPublished: 2021-06-01\n\n"
           b"The agriculture ministry said on Tuesday that the wheat harvest reached a record "
           b"of 12 million tonnes, helped by late spring rain across the northern provinces.\n")


@pytest.fixture
def client(extractive: KnowledgeBase) -> Iterator[TestClient]:
    with TestClient(create_app(extractive.settings, extractive)) as test_client:
        yield test_client


def events(body: str) -> list[tuple[str, Any]]:
    parsed = []
    for block in body.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        parsed.append((lines["event"], json.loads(lines["data"])))
    return parsed


# -- health --------------------------------------------------------------------------------

def test_health_and_ready(client: TestClient) -> None:
    from rag.client import store_id

    kb = client.app.state.kb  # type: ignore[attr-defined]
    assert client.get("/health").json() == {"status": "ok", "store": store_id(kb.settings)}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"ready": True,
                            "checks": {"store": "ok", "embeddings": "ok", "llm": "ok"}}


def test_not_ready_says_why(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm={"backend": "openai"})  # no RAG_OPENAI_BASE_URL
    with TestClient(create_app(settings)) as test_client:
        response = test_client.get("/ready")
    assert response.status_code == 503
    body = response.json()
    assert body["ready"] is False and body["checks"]["store"] == "ok"
    assert "RAG_OPENAI_BASE_URL" in body["checks"]["llm"]


# -- ask -----------------------------------------------------------------------------------

def test_ask_matches_the_cli_json(client: TestClient, rag: Callable[..., Any],
                                  seeds: Path, extractive: KnowledgeBase,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    over_http = client.post("/ask", json={"question": WOUNDED_Q}).json()
    monkeypatch.setenv("RAG_DATA_DIR", str(extractive.settings.data_dir))
    monkeypatch.setenv("RAG_LLM", "extractive")
    code, from_cli, _ = rag("ask", WOUNDED_Q, "--json")
    assert code == 0
    assert isinstance(over_http["timings"]["prompt_tokens"], int)
    for answer in (over_http, from_cli):
        answer.pop("timings")
    assert over_http == from_cli
    assert "50 American troops" in over_http["answer"]
    assert_quotes_are_exact(over_http, seeds)


def test_cli_reports_the_update_with_both_claims(rag: Callable[..., Any],
                                                 extractive: KnowledgeBase,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_DATA_DIR", str(extractive.settings.data_dir))
    monkeypatch.setenv("RAG_LLM", "extractive")
    monkeypatch.setenv("RAG_CONTEXT_CUTOFF", "0.6")  # as the fixture (hash embeddings)
    code, answer, _ = rag("ask", CONFLICT_Q, "--json")
    assert code == 0
    [update] = answer["conflicts"]
    assert (update["kind"], update["newest"]) == ("update", NEWER_SEED)
    assert [c["published"] for c in update["claims"]] == ["2020-01-16", "2020-01-30"]
    code, text, _ = rag("ask", CONFLICT_Q)
    assert code == 0 and "  update: Update: SpaceWar.com (AFP) (2020-01-16)" in text


def test_ask_conflict_and_refusal(client: TestClient) -> None:
    conflict = client.post("/ask", json={"question": CONFLICT_Q}).json()
    [update] = conflict["conflicts"]
    assert update["kind"] == "update" and update["newest"] == NEWER_SEED
    assert [(c["source"], c["published"]) for c in update["claims"]] == [
        (OLDER_SEED, "2020-01-16"), (NEWER_SEED, "2020-01-30")]
    assert all(c["quote"] for c in update["claims"])
    assert {c["source"] for c in conflict["citations"]} == {OLDER_SEED, NEWER_SEED}
    refused = client.post("/ask", json={"question": ELECTION_Q}).json()
    assert refused["refused"] is True and refused["citations"] == []


def test_ask_as_of_and_sources(client: TestClient) -> None:
    early = client.post("/ask", json={"question": CONFLICT_Q, "as_of": "2020-01-20"}).json()
    assert {c["source"] for c in early["citations"]} == {OLDER_SEED}
    assert early["answer"].startswith("As of 2020-01-20: ") and not early["conflicts"]
    only = client.post("/ask", json={"question": CONFLICT_Q, "sources": [NEWER_SEED]}).json()
    assert {c["source"] for c in only["citations"]} == {NEWER_SEED}


def test_ask_streams_tokens_then_the_answer(client: TestClient) -> None:
    response = client.post("/ask", json={"question": WOUNDED_Q, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    stream = events(response.text)
    kinds = [kind for kind, _ in stream]
    assert kinds[-1] == "answer" and "token" in kinds[:-1]
    final = stream[-1][1]
    assert final["citations"] and set(final) >= {"answer", "refused", "conflicts", "timings"}


@pytest.mark.parametrize(("body", "where"), [
    ({}, "question"),
    ({"question": ""}, "question"),
    ({"question": WOUNDED_Q, "k": 0}, "k"),
    ({"question": WOUNDED_Q, "as_of": "last week"}, "as_of"),
    ({"question": WOUNDED_Q, "colour": "red"}, "colour"),
    ({"question": 42}, "question"),
])
def test_ask_invalid_input_is_422_with_a_message(client: TestClient, body: dict[str, Any],
                                                 where: str) -> None:
    response = client.post("/ask", json=body)
    assert response.status_code == 422
    assert where in response.json()["message"]


def test_unparsable_body_is_422(client: TestClient) -> None:
    response = client.post("/ask", content=b"{not json", headers={"Content-Type":
                                                                   "application/json"})
    assert response.status_code == 422
    assert "JSON" in str(response.json()["detail"])


def test_question_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post("/ask", json={"question": "why " * 600})
    assert response.status_code == 413
    assert "RAG_MAX_QUESTION_CHARS" in response.json()["detail"]


# -- summarize and search ------------------------------------------------------------------

def test_summarize_source_and_topic(client: TestClient) -> None:
    one = client.post("/summarize", json={"source": OLDER_SEED}).json()
    assert one["summary"] and {c["source"] for c in one["citations"]} == {OLDER_SEED}
    topic = client.post("/summarize", json={"topic": "joint operations Iraq coalition"}).json()
    assert {c["source"] for c in topic["citations"]} == {OLDER_SEED, NEWER_SEED}
    several = client.post("/summarize", json={"sources": [OLDER_SEED, NEWER_SEED]}).json()
    assert {c["source"] for c in several["citations"]} == {OLDER_SEED, NEWER_SEED}
    short = client.post("/summarize", json={"source": OLDER_SEED, "form": "bullets",
                                            "sentences": 2}).json()
    assert short["summary"].count("\n- ") == 1 and short["summary"].startswith("- ")
    assert client.post("/summarize", json={"source": OLDER_SEED,
                                           "form": "poem"}).status_code == 422
    brief = client.post("/summarize", json={"sources": [OLDER_SEED, NEWER_SEED],
                                            "words": 40}).json()
    assert 0 < len(re.sub(r"\s*\[\d+\]", "", brief["summary"]).split()) <= 40
    assert client.post("/summarize", json={"source": OLDER_SEED,
                                           "words": 5}).status_code == 422


def test_summarize_errors(client: TestClient) -> None:
    assert client.post("/summarize", json={"source": "missing.txt"}).status_code == 404
    both = client.post("/summarize", json={"source": OLDER_SEED, "topic": "Iraq"})
    assert both.status_code == 422 and "exactly one" in both.json()["message"]
    assert client.post("/summarize", json={}).status_code == 422
    assert client.post("/summarize", json={"sources": []}).status_code == 422
    missing = client.post("/summarize", json={"sources": [OLDER_SEED, "missing.txt"]})
    assert missing.status_code == 404


def test_search(client: TestClient) -> None:
    hits = client.post("/search", json={"query": "Patriot missile defenses", "k": 3}).json()
    assert len(hits["hits"]) == 3
    assert hits["hits"][0]["source"] == NEWER_SEED
    assert client.post("/search", json={"query": "x", "k": 0}).status_code == 422
    assert client.post("/search", json={"query": "x" * 2001}).status_code == 413


# -- documents -----------------------------------------------------------------------------

def test_list_and_read_documents(client: TestClient) -> None:
    listed = client.get("/documents").json()
    assert [d["source"] for d in listed] == [NEWER_SEED, OLDER_SEED]
    older = client.get(f"/documents/{OLDER_SEED}").json()
    assert older["title"] == "Iraq denies resuming joint ops with US-led coalition"
    assert older["published"] == "2020-01-16" and older["outlet"] == "SpaceWar.com (AFP)"
    assert "denied reports" in older["text"]
    missing = client.get("/documents/nope.txt")
    assert missing.status_code == 404 and "nope.txt" in missing.json()["detail"]


def test_upload_sanitizes_names_then_delete_removes_the_file(
        client: TestClient, extractive: KnowledgeBase) -> None:
    response = client.post("/documents", files=[
        ("files", ("../../etc/wheat harvest (1).txt", ARTICLE, "text/plain"))])
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["added"] == 1 and report["sources"] == ["wheat_harvest_1.txt"]
    stored = extractive.upload_dir / "wheat_harvest_1.txt"
    assert stored.read_bytes() == ARTICLE
    hits = client.post("/search", json={"query": "wheat harvest record", "k": 1}).json()
    assert hits["hits"][0]["source"] == "wheat_harvest_1.txt"
    again = client.post("/documents", files=[("files", ("wheat harvest (1).txt", ARTICLE))])
    assert again.json()["unchanged"] == 1

    deleted = client.delete("/documents/wheat_harvest_1.txt").json()
    assert deleted == {"deleted": "wheat_harvest_1.txt", "chunks": 1}
    assert not stored.exists()
    assert client.get("/documents/wheat_harvest_1.txt").status_code == 404
    assert client.delete("/documents/wheat_harvest_1.txt").status_code == 404


def test_upload_over_the_size_limit_is_413_and_stores_nothing(
        make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm={"backend": "extractive"}, ingest={"max_file_bytes": 100})
    kb = KnowledgeBase(settings)
    with TestClient(create_app(settings, kb)) as test_client:
        response = test_client.post("/documents", files=[("files", ("big.txt", ARTICLE))])
        assert response.status_code == 413
        assert "RAG_MAX_FILE_BYTES" in response.json()["detail"]
        assert test_client.get("/documents").json() == []
    assert not kb.upload_dir.exists()


def test_bad_uploads_are_422_and_keep_the_good_file(client: TestClient,
                                                    extractive: KnowledgeBase) -> None:
    client.post("/documents", files=[("files", ("wheat.txt", ARTICLE))])
    for name, raw in [("wheat.txt", b""), ("wheat.exe", b"MZ\x00\x00"),
                      ("wheat.txt", b"\x00\x01binary")]:
        response = client.post("/documents", files=[("files", (name, raw))])
        assert response.status_code == 422, name
        assert "nothing ingested" in response.json()["detail"]
    assert (extractive.upload_dir / "wheat.txt").read_bytes() == ARTICLE
    assert client.get("/documents/wheat.txt").json()["chunks"] == 1


def test_partly_bad_upload_is_207(client: TestClient) -> None:
    response = client.post("/documents", files=[("files", ("good.txt", ARTICLE)),
                                                ("files", ("empty.txt", b"  "))])
    assert response.status_code == 207
    body = response.json()
    assert body["added"] == 1 and body["failed"][0]["path"] == "empty.txt"


def test_upload_without_files_is_422(client: TestClient) -> None:
    assert client.post("/documents").status_code == 422


def test_concurrent_uploads_and_deletes_leave_the_store_consistent(
        client: TestClient, extractive: KnowledgeBase) -> None:
    versions = [ARTICLE, ARTICLE.replace(b"12 million", b"13 million") + b"\nMore rain fell."]

    def act(i: int) -> int:
        if i % 3 == 2:
            return client.delete("/documents/race.txt").status_code
        return client.post("/documents", files=[("files", ("race.txt", versions[i % 2]))]
                           ).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(act, range(30)))
    assert set(codes) <= {200, 404}
    record = extractive.store.sources().get("race.txt")
    path = extractive.upload_dir / "race.txt"
    if record is None:
        assert not path.exists()
    else:
        assert record.complete and path.exists()
        chunks = extractive.store.chunks(where={"source": "race.txt"})
        text = path.read_text()
        assert all(text[c.start:c.end] == c.text for c in chunks)


# -- auth and CORS -------------------------------------------------------------------------

def test_api_key_guards_writes(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm={"backend": "extractive"}, api={"api_key": "s3cret"})
    with TestClient(create_app(settings)) as test_client:
        upload = [("files", ("wheat.txt", ARTICLE))]
        denied = test_client.post("/documents", files=upload)
        assert denied.status_code == 401
        assert denied.headers["WWW-Authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer nope"}
        assert test_client.post("/documents", files=upload, headers=wrong).status_code == 401
        assert test_client.delete("/documents/wheat.txt").status_code == 401
        assert test_client.get("/documents").status_code == 200  # reads stay open
        right = {"Authorization": "Bearer s3cret"}
        assert test_client.post("/documents", files=upload, headers=right).status_code == 200
        assert test_client.delete("/documents/wheat.txt", headers=right).status_code == 200


def test_api_key_on_every_endpoint(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm={"backend": "extractive"},
                             api={"api_key": "s3cret", "auth_all": True})
    with TestClient(create_app(settings)) as test_client:
        assert test_client.get("/documents").status_code == 401
        assert test_client.post("/ask", json={"question": WOUNDED_Q}).status_code == 401
        assert test_client.get("/v1/models").status_code == 401
        assert test_client.get("/health").status_code == 200  # probes stay open
        right = {"Authorization": "Bearer s3cret"}
        assert test_client.get("/documents", headers=right).status_code == 200


def test_cors_allows_only_configured_origins(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(llm={"backend": "extractive"},
                             api={"cors_origins": ["https://news.example"]})
    with TestClient(create_app(settings)) as test_client:
        def preflight(origin: str) -> Any:
            return test_client.options("/ask", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST"})
        allowed = preflight("https://news.example")
        assert allowed.headers["access-control-allow-origin"] == "https://news.example"
        assert "access-control-allow-origin" not in preflight("https://evil.example").headers


# -- OpenAI-compatible ---------------------------------------------------------------------

def test_openai_models(client: TestClient) -> None:
    models = client.get("/v1/models").json()
    assert models["object"] == "list" and models["data"][0]["id"] == "rag-news"


def test_openai_chat_keeps_citations(client: TestClient) -> None:
    reply = client.post("/v1/chat/completions", json={
        "model": "rag-news", "temperature": 0.2,
        "messages": [{"role": "system", "content": "Be brief."},
                     {"role": "user", "content": WOUNDED_Q}]}).json()
    assert reply["object"] == "chat.completion"
    text = reply["choices"][0]["message"]["content"]
    assert "50 American troops" in text
    assert "Sources:" in text and NEWER_SEED in text
    assert reply["citations"][0]["source"] == NEWER_SEED
    assert reply["usage"]["total_tokens"] == 0  # extractive: no model tokens


def test_openai_chat_streams(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", json={
        "stream": True, "messages": [{"role": "user", "content": [
            {"type": "text", "text": WOUNDED_Q}]}]})
    lines = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "[DONE]"
    chunks = [json.loads(line) for line in lines[:-1]]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert "50 American troops" in text and "Sources:" in text
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["citations"]


def test_openai_chat_needs_a_user_message(client: TestClient) -> None:
    response = client.post("/v1/chat/completions", json={
        "messages": [{"role": "system", "content": "hi"}]})
    assert response.status_code == 422
    assert client.post("/v1/chat/completions", json={"messages": []}).status_code == 422


# -- the model gate ------------------------------------------------------------------------

class HeldLLM(LLM):
    """A chat model that drafts "50", citing the passage that says so, once the test releases
    it; its verdicts are "yes" at once."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    @property
    def model_id(self) -> str:
        return "held"

    def _stream(self, messages: list[Message], max_tokens: int, schema: Schema | None = None
                ) -> Generator[str, None, Usage]:
        if schema is not None and schema.get("enum") == ["yes", "no"]:
            yield '"yes"'
            return Usage(10, 1)
        self.started.release()
        assert self.release.wait(30)
        cited = passage_saying(messages[-1]["content"], "wounded 50")
        yield from ('{"answers": [{"sources": [', f'{cited}], "answer": "50"}}]}}')
        return Usage(10, 2)


@pytest.fixture
def held(make_settings: Callable[..., Settings], seeds: Path) -> tuple[KnowledgeBase, HeldLLM]:
    settings = make_settings(llm={"backend": "openai"},
                             api={"concurrency": 1, "queue": 1, "retry_after_s": 7})
    kb = KnowledgeBase(settings)
    kb.ingest([seeds])
    llm = HeldLLM()
    kb.__dict__["llm"] = llm  # the chat model this knowledge base uses
    return kb, llm


def test_beyond_capacity_is_a_quick_503(held: tuple[KnowledgeBase, HeldLLM]) -> None:
    kb, llm = held
    with TestClient(create_app(kb.settings, kb)) as test_client, ThreadPoolExecutor(2) as pool:
        running = pool.submit(test_client.post, "/ask", json={"question": WOUNDED_Q})
        assert llm.started.acquire(timeout=30)
        queued = pool.submit(test_client.post, "/ask", json={"question": WOUNDED_Q})
        deadline = time.monotonic() + 10
        while kb_gate(test_client).admitted < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.perf_counter()
        refused = test_client.post("/ask", json={"question": WOUNDED_Q})
        elapsed = time.perf_counter() - started
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "7"
        assert elapsed < 2
        chat = test_client.post("/v1/chat/completions",
                                json={"messages": [{"role": "user", "content": WOUNDED_Q}]})
        assert chat.status_code == 503
        assert test_client.get("/health").status_code == 200
        llm.release.set()
        assert running.result().status_code == 200
        assert queued.result().json()["answer"].startswith("50 [")
        assert kb_gate(test_client).admitted == 0


def kb_gate(test_client: TestClient) -> Any:
    return test_client.app.state.gate  # type: ignore[attr-defined]


def test_stream_holds_its_slot_until_the_model_finishes(
        held: tuple[KnowledgeBase, HeldLLM]) -> None:
    kb, llm = held
    with TestClient(create_app(kb.settings, kb)) as test_client, ThreadPoolExecutor(1) as pool:
        streamed = pool.submit(test_client.post, "/ask",
                               json={"question": WOUNDED_Q, "stream": True})
        assert llm.started.acquire(timeout=30)
        assert kb_gate(test_client).admitted == 1
        llm.release.set()
        stream = events(streamed.result().text)
        # The answer is streamed once verified: a draft the verifier rejects never shows.
        assert [kind for kind, _ in stream] == ["token", "answer"]
        assert stream[0][1] == {"text": stream[-1][1]["answer"]}
        assert stream[-1][1]["citations"][0]["source"] == NEWER_SEED
        assert kb_gate(test_client).admitted == 0


def test_backend_failure_is_503_not_500(make_settings: Callable[..., Settings],
                                        seeds: Path) -> None:
    settings = make_settings(llm={"backend": "openai"},
                             openai={"base_url": "http://127.0.0.1:9", "timeout_s": 2})
    kb = KnowledgeBase(settings)
    kb.ingest([seeds])
    with TestClient(create_app(settings, kb)) as test_client:
        response = test_client.post("/ask", json={"question": WOUNDED_Q})
        assert response.status_code == 503
        assert "cannot reach" in response.json()["detail"]
        streamed = events(test_client.post("/ask", json={"question": WOUNDED_Q,
                                                         "stream": True}).text)
        assert streamed[-1][0] == "error" and streamed[-1][1]["status"] == 503


def test_page_and_docs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and 'id="question"' in page.text
    assert client.get("/static/app.js").status_code == 200
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "Answer a question" in schema["paths"]["/ask"]["post"]["description"]


def test_serve_command_is_wired(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli_main(["serve", "--help"])
    assert exit_info.value.code == 0
    assert "--ingest" in capsys.readouterr().out
