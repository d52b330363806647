# Two entry points for a fresh machine: `make run` (the main job) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)

.PHONY: install llama-native run test lint bench-ingest bench-retrieval bench-answer bench-api bench-verifier \
	bench-disagreement bench-scale bench-copies bench-fetch

# When no llama-cpp-python wheel is found, pip builds it for this CPU (-march=native). On
# x86 without AMX: its tile instructions fault on VMs whose CPUs report them (seen on the
# 2-core reference machine, a Firecracker guest: the first prompt crashed in ldtilecfg).
# Override for bare metal with AMX, or for another target: make install LLAMA_CMAKE_ARGS=...
ifeq ($(shell uname -m),x86_64)
NO_AMX := -mno-amx-tile -mno-amx-int8 -mno-amx-bf16
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=ON "-DCMAKE_C_FLAGS=$(NO_AMX)" "-DCMAKE_CXX_FLAGS=$(NO_AMX)"
else
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=ON
endif
LLAMA_CPP := llama-cpp-python==$(shell sed -n 's/^ *"llama-cpp-python==\([0-9.]*\)".*/\1/p' pyproject.toml)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(BIN)/pip install --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# Rebuild llama-cpp-python from source for this CPU even where a prebuilt wheel was found
# (a portable AVX2 wheel reads prompts at 32 tokens/s per core here; this build at 50).
llama-native: install
	CMAKE_ARGS='$(LLAMA_CMAKE_ARGS)' $(BIN)/pip install --disable-pip-version-check \
	  --force-reinstall --no-deps --no-cache-dir --no-binary llama-cpp-python '$(LLAMA_CPP)'

run: install
	$(BIN)/rag serve --ingest seeds --host 127.0.0.1 --port 8000

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

bench-api: install
	$(BIN)/python eval/benchmarks/api_load.py

# Synthetic archives of 10k, 100k and 1M chunks from the MultiHop corpus: about two hours,
# most of it growing the store (SIZES=10k,100k for a quarter of an hour).
SIZES ?= 10k,100k,1m
bench-scale: install
	$(BIN)/python eval/benchmarks/scale.py --sizes $(SIZES)

# Syndicated-copy grouping on the MultiHop corpus with synthetic copies; under a minute.
bench-copies: install
	$(BIN)/python eval/benchmarks/copies.py

# URL ingest from a local site serving the MultiHop corpus as pages; about 4 minutes.
bench-fetch: install
	$(BIN)/python eval/benchmarks/fetch_speed.py

bench-verifier: install
	$(BIN)/python eval/benchmarks/verifier_accuracy.py

# RGB counterfactual, RAMDocs, ELOQ and RealTimeQA (with and without as-of) from the shared
# benchmark folder; reports under eval/out/. About 90 minutes on 2 cores.
BENCH ?= ../shared/benchdata
bench-disagreement: install
	for set in rgb_fact ramdocs eloq realtimeqa; do \
	  $(BIN)/rag eval --dataset $(BENCH)/$$set/questions.jsonl --out eval/out/$$set || exit 1; \
	done
	$(BIN)/rag eval --dataset $(BENCH)/realtimeqa/questions.jsonl --no-as-of \
	  --out eval/out/realtimeqa-no-as-of
