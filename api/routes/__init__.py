"""Thin routers: parse the request, call `rag`, shape the reply."""
