"""Request and response bodies. Responses mirror the CLI's `--json` output field for field."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AskRequest(_Request):
    question: str = Field(min_length=1, description="The question, in plain language.",
                          examples=["Have joint operations between Iraq and the US-led "
                                    "coalition resumed?"])
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve (default 8).")
    as_of: date | None = Field(None, description="Answer only from articles published on or "
                               "before this date (YYYY-MM-DD).")
    sources: list[str] | None = Field(None, max_length=100,
                                      description="Answer only from these sources.")
    stream: bool = Field(False, description="Answer as Server-Sent Events: `token` events, "
                         "then one `answer` event carrying the whole answer.")


MAX_SUMMARY_SOURCES = 20


class SummarizeRequest(_Request):
    source: str | None = Field(None, min_length=1, description="One source to summarize.")
    sources: list[str] | None = Field(
        None, min_length=1, max_length=MAX_SUMMARY_SOURCES,
        description="Sources to summarize as one story: what several say is said once, "
                    "and a timeline when they span days.")
    topic: str | None = Field(None, min_length=1,
                              description="A topic to summarize across sources, as a timeline.")
    as_of: date | None = Field(None, description="With `topic`: only articles published on "
                               "or before this date.")
    form: Literal["auto", "paragraph", "bullets", "timeline"] | None = Field(
        None, description="`paragraph`, `bullets`, `timeline`, or `auto` (a timeline for a "
                          "topic and for articles of different days); default RAG_SUMMARY_FORM.")
    sentences: int | None = Field(None, ge=1, le=20, description="At most this many "
                                  "sentences; default RAG_SUMMARY_SENTENCES.")
    words: int | None = Field(None, ge=10, le=500, description="At most this many words; "
                              "default RAG_SUMMARY_WORDS. Given alone, as many sentences as it "
                              "takes to fill it.")

    @model_validator(mode="after")
    def _one_of(self) -> SummarizeRequest:
        if sum(value is not None for value in (self.source, self.sources, self.topic)) != 1:
            raise ValueError("give exactly one of `source`, `sources` or `topic`")
        return self


class SearchRequest(_Request):
    query: str = Field(min_length=1, examples=["Patriot missile defenses"])
    k: int = Field(5, ge=1, le=100, description="How many passages to return.")


class CarrierOut(BaseModel):
    source: str
    outlet: str | None
    url: str | None


class CitationOut(BaseModel):
    n: int
    source: str
    title: str
    outlet: str | None
    published: str | None
    quote: str
    start: int
    end: int
    supported: bool
    copies: list[CarrierOut] = Field(
        default_factory=list,
        description="Other sources that carried the same article (syndicated copies).")


class ClaimOut(BaseModel):
    n: int
    source: str
    published: str | None
    outlet: str | None
    quote: str
    value: str | None


class ConflictOut(BaseModel):
    summary: str
    sources: list[str]
    kind: Literal["contradiction", "update", "same_name"]
    claims: list[ClaimOut]
    newest: str | None


class Backend(BaseModel):
    llm: str
    embeddings: str


class AnswerOut(BaseModel):
    answer: str
    refused: bool
    citations: list[CitationOut]
    conflicts: list[ConflictOut]
    backend: Backend
    timings: dict[str, int | float]


class ReportOut(BaseModel):
    source: str
    title: str
    outlet: str | None
    published: str | None
    url: str | None
    cited: list[int] = Field(description="Numbers of the citations that quote this report.")


class SummaryOut(BaseModel):
    summary: str
    refused: bool
    citations: list[CitationOut]
    reports: list[ReportOut] = Field(
        default_factory=list,
        description="Of a topic or several articles: the reports in date order.")
    conflicts: list[ConflictOut] = Field(
        default_factory=list,
        description="Of a topic or several articles: where a later report updates an "
                    "earlier one, or reports contradict each other.")
    backend: Backend
    timings: dict[str, int | float]


class HitOut(BaseModel):
    source: str
    title: str
    published: str | None
    outlet: str | None
    chunk: int
    start: int
    end: int
    score: float
    text: str
    url: str | None = None


class SearchOut(BaseModel):
    hits: list[HitOut]


class DocumentSummary(BaseModel):
    source: str
    title: str
    published: str | None
    outlet: str | None
    chunks: int
    sha256: str
    url: str | None = Field(None, description="The address a fetched page came from.")
    copies: list[str] = Field(default_factory=list,
                              description="Other sources holding the same article (copies).")


class DocumentOut(DocumentSummary):
    path: str
    text: str | None = Field(description="The cleaned article text; null if the file is gone.")


class Deleted(BaseModel):
    deleted: str
    chunks: int


class UploadOut(BaseModel):
    added: int
    updated: int
    unchanged: int
    deleted: int
    chunks_added: int
    failed: list[dict[str, str]]
    skipped: list[str]
    sources: list[str] = Field(description="Source names the files were stored under.")


class UrlIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://\S+$",
                     description="An http(s) address of a news page.")


class FeedIn(BaseModel):
    url: str = Field(min_length=8, max_length=2048, pattern=r"^https?://\S+$",
                     description="The feed's http(s) address (RSS or Atom).")
    every: str | None = Field(None, max_length=16,
                              description="How often to poll: 15m, 2h, 1d (default "
                                          "RAG_FEED_EVERY).")


class FeedOut(BaseModel):
    id: int
    url: str
    every_s: int
    title: str | None
    last_poll: str | None
    next_poll: str | None
    last_error: str | None = Field(description="Why the last poll failed, in words.")
    polls: int
    added: int
    updated: int


class PollOut(BaseModel):
    feed: str
    status: Literal["polled", "not modified", "failed", "busy"]
    entries: int
    added: int
    updated: int
    unchanged: int
    duplicates: int = Field(description="Entries whose text another entry already holds.")
    failed: list[dict[str, str]]
    error: str | None


class Health(BaseModel):
    status: Literal["ok"]
    store: str = Field(description="An opaque name of the store this process serves: the "
                       "`rag` CLI sends its work here only when it names the CLI's store.")


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str] = Field(description='Each part: "ok", or why it is not ready.')


class Error(BaseModel):
    detail: Any = Field(description="What went wrong, in words (a list of field errors for 422).")


# -- OpenAI-compatible chat ------------------------------------------------------------------

class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content
                            if part.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """The OpenAI chat request; fields we do not use (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False

    def question(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user" and message.text().strip():
                return message.text().strip()
        raise ValueError("no user message with text")


class ChatChoice(BaseModel):
    index: int
    message: dict[str, str]
    finish_reason: str


class ChatResponse(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChatChoice]
    usage: dict[str, int]
    citations: list[CitationOut]
    conflicts: list[ConflictOut]
    refused: bool


class ModelCard(BaseModel):
    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelList(BaseModel):
    object: Literal["list"]
    data: list[ModelCard]
