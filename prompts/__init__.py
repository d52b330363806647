"""Prompt templates (Jinja2). Rendered strictly by `rag.prompting`: a missing variable is an error."""
