# Two entry points for a fresh machine: `make run` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install run test lint bench-ingest bench-retrieval bench-answer

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

run: install
	$(BIN)/rag ingest seeds
	$(BIN)/rag documents
	$(BIN)/rag ask "Have joint operations between Iraq and the US-led coalition resumed?"
	$(BIN)/rag search "Patriot missile defenses" --k 3

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check rag api eval tests

bench-ingest: install
	$(BIN)/python eval/benchmarks/ingest_speed.py

bench-retrieval: install
	$(BIN)/python eval/benchmarks/retrieval_quality.py

bench-answer: install
	$(BIN)/python eval/benchmarks/answer_latency.py
