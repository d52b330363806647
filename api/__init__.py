"""The HTTP API over `rag` (FastAPI)."""

from api.app import create_app

__all__ = ["create_app"]
