"""Load on the HTTP API over loopback: throughput, latency, and shedding when the model is busy.

1. `extractive` backend (MiniLM retrieval, no LLM): N concurrent `/ask` requests
   (default 200). Prints throughput and p50/p95 latency; every request must succeed.
2. Default LLM backend (bundled 1.5B via llama-cpp; 1 slot, a queue of 2): more
   concurrent `/ask` requests than that. Prints how many were turned away with
   503 and how quickly, the admitted ones' latency, and /health latency under load.

    python eval/benchmarks/api_load.py [--requests 200] [--burst 10] [--skip-llm]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import httpx

from eval.metrics import percentile
from eval.servers import rag_serve, running_server

PROJECT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    "Have joint operations between Iraq and the US-led coalition resumed?",
    "How many American troops were wounded in the attack on Ain al-Asad?",
    "What air defense system does the US want to bring into Iraq?",
    "Who won the 2020 US presidential election?",
]


async def timed_ask(client: httpx.AsyncClient, question: str) -> tuple[int, float, str]:
    started = time.perf_counter()
    response = await client.post("/ask", json={"question": question})
    return (response.status_code, time.perf_counter() - started,
            response.headers.get("Retry-After", ""))


async def burst(url: str, count: int) -> tuple[list[tuple[int, float, str]], float]:
    limits = httpx.Limits(max_connections=count, max_keepalive_connections=count)
    async with httpx.AsyncClient(base_url=url, timeout=600, limits=limits) as client:
        started = time.perf_counter()
        results = await asyncio.gather(*(timed_ask(client, QUESTIONS[i % len(QUESTIONS)])
                                         for i in range(count)))
        return list(results), time.perf_counter() - started


async def health_during(url: str, seconds: float) -> list[float]:
    """Poll /health while the model is busy; return each call's latency."""
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            started = time.perf_counter()
            assert (await client.get("/health")).status_code == 200
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(0.5)
    return latencies


def extractive_load(work: Path, requests: int) -> None:
    (work / "extractive").mkdir(parents=True, exist_ok=True)
    command, env, url = rag_serve(work / "extractive", RAG_LLM="extractive")
    with running_server(command, f"{url}/ready", work / "extractive.log", env=env):
        asyncio.run(burst(url, 8))  # warm up
        results, wall = asyncio.run(burst(url, requests))
    ok = [latency for status, latency, _ in results if status == 200]
    print(f"extractive: {requests} concurrent /ask over loopback")
    print(f"  succeeded {len(ok)}/{requests}; wall {wall:.1f} s; "
          f"throughput {requests / wall:.1f} req/s")
    print(f"  latency p50 {percentile(ok, 0.5) * 1000:.0f} ms, "
          f"p95 {percentile(ok, 0.95) * 1000:.0f} ms, max {max(ok) * 1000:.0f} ms")
    if len(ok) != requests:
        raise SystemExit("not every request succeeded")


def llm_overload(work: Path, count: int) -> None:
    (work / "llm").mkdir(parents=True, exist_ok=True)
    command, env, url = rag_serve(work / "llm", RAG_API_CONCURRENCY="1", RAG_API_QUEUE="2",
                               RAG_API_RETRY_AFTER="15")
    with running_server(command, f"{url}/ready", work / "llm.log", env=env, timeout_s=600):
        httpx.post(f"{url}/ask", json={"question": QUESTIONS[1]}, timeout=600)  # load model

        async def both() -> tuple[tuple[list[tuple[int, float, str]], float], list[float]]:
            return await asyncio.gather(burst(url, count), health_during(url, 10))

        (results, wall), health = asyncio.run(both())
        after = httpx.get(f"{url}/health", timeout=10).status_code
    shed = [latency for status, latency, _ in results if status == 503]
    served = [latency for status, latency, _ in results if status == 200]
    other = [status for status, _, _ in results if status not in (200, 503)]
    print(f"llama-cpp (1 slot, queue 2): {count} concurrent /ask")
    print(f"  200: {len(served)} (latency {', '.join(f'{s:.1f}' for s in sorted(served))} s)")
    print(f"  503: {len(shed)} with Retry-After "
          f"{sorted({r for s, _, r in results if s == 503})}, answered in at most "
          f"{max(shed, default=0) * 1000:.0f} ms (median "
          f"{statistics.median(shed) * 1000 if shed else 0:.0f} ms)")
    print(f"  /health while busy: {len(health)} calls, max {max(health) * 1000:.0f} ms; "
          f"after the burst: {after}; other statuses: {other or 'none'}; wall {wall:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--burst", type=int, default=10)
    parser.add_argument("--skip-llm", action="store_true")
    parser.add_argument("--work", type=Path, default=PROJECT / "eval" / "out" / "api-load",
                        help="servers' data folders (the LLM run assembles its model here once)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    extractive_load(args.work, args.requests)
    if not args.skip_llm:
        llm_overload(args.work, args.burst)


if __name__ == "__main__":
    main()
