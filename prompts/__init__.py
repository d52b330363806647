"""Prompt templates (Jinja2), rendered strictly by `rag.prompting`: missing variables are errors."""
