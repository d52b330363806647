"""The project's error hierarchy.

Messages say what to do. The CLI and the HTTP layer translate these into exit
codes and status codes; nothing in between catches them.
"""


class RagError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(RagError):
    """A setting is missing, malformed or contradicts another."""


class BackendUnavailableError(RagError):
    """A backend's optional package is not installed or its server cannot be reached."""


class ArticleError(RagError):
    """One input file cannot be ingested (empty, binary, undecodable, unsupported)."""


class EmbeddingMismatchError(RagError):
    """The collection was indexed with a different embedding model than the configured one."""


class SourceNotFoundError(RagError):
    """No ingested source has that name."""

    def __init__(self, source: str) -> None:
        super().__init__(f"no ingested source named {source!r}; see `rag documents`")
        self.source = source


class StoreError(RagError):
    """The vector store cannot be opened or answered with an error."""


class ModelIntegrityError(RagError):
    """A model file does not have the digest it must have; it is never loaded."""


class MalformedReplyError(RagError):
    """A model's reply does not have the structure it was asked for."""


class RequestRejectedError(RagError):
    """A server refused a request as malformed or unsupported (HTTP 400 or 422, or a 500
    naming the field it refused)."""


class FetchError(ArticleError):
    """A page or feed could not be fetched (timeout, size, status, type, redirects)."""


class ForbiddenAddressError(FetchError):
    """A URL names an address the service does not fetch from (a private, loopback or
    link-local range while RAG_FETCH_ALLOW_PRIVATE is off, or a scheme other than http(s))."""


class HostNotFoundError(FetchError):
    """An address's host name does not resolve (now: DNS may answer later)."""
