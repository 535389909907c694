"""suggest_latency / suggest_model_memory: what understanding the question costs.

Latency: ``POST /api/skills/suggest`` through a real server, one question at a time (what a
person typing causes), over the labelled questions of ``tests/data/suggest_questions.json``:
the embedding of the question (all-MiniLM-L6-v2 int8 on ONNX Runtime, one thread), the skill
scores and the preparation check, plus HTTP on loopback.

Memory: the resident memory a fresh Python process gains by loading the model and embedding
the catalog and a hundred questions (``psutil``-free: ``/proc/self/statm``), the price each
server process (each ``--workers`` child) pays once.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import aiohttp

from bench.harness import figure, progress, server_process

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "tests" / "data" / "suggest_questions.json"

MEASURE_MEMORY = """
import asyncio, json, os
page = os.sysconf("SC_PAGE_SIZE")
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * page
import server.app.factory
before = rss()
from server.domain.matching.embeddings import Embedder
from server.domain.matching.skillmodel import SkillModel
from server.domain.matching.catalog import SkillCatalog
embedder = Embedder()
model = SkillModel(SkillCatalog.load(None), embedder)
asyncio.run(embedder.load(model.build))
data = json.load(open(%r))
questions = [q for _, q in data["tune"] + data["held_out"]] + data["off_catalog"]
for q in questions:
    embedder.embed_now([q])
print((rss() - before) / 2**20)
"""


async def run(quick: bool = False, out: str | None = None) -> list[str]:
    data = json.loads(QUESTIONS.read_text())
    questions = [q for _, q in data["tune"] + data["held_out"]] + data["off_catalog"]
    rounds = 1 if quick else 6
    latency: list[float] = []
    async with server_process() as node, aiohttp.ClientSession() as http:
        for question in questions[:10]:  # warm up: connections, caches of the process
            async with http.post(f"{node.url}/api/skills/suggest", json={"question": question}):
                pass
        for r in range(rounds):
            progress(f"suggest round {r + 1}/{rounds}")
            for question in questions:
                # a fresh text each round, so no cached vector answers it
                body = {"question": f"{question} ({r})" if r else question}
                started = time.perf_counter()
                async with http.post(f"{node.url}/api/skills/suggest", json=body) as response:
                    await response.read()
                    assert response.status == 200, response.status
                latency.append((time.perf_counter() - started) * 1000)
    memory = []
    for _ in range(1 if quick else 3):
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            MEASURE_MEMORY % str(QUESTIONS),
            stdout=asyncio.subprocess.PIPE,
            cwd=ROOT,
        )
        printed, _ = await child.communicate()
        assert child.returncode == 0, child.returncode
        memory.append(float(printed.decode().strip().splitlines()[-1]))
    return [
        figure(
            "suggest_latency",
            latency,
            "ms",
            f"POST /api/skills/suggest, {len(questions)} labelled questions x {rounds}, one at a time",
            target="p99 <= 50 ms",
        ),
        figure(
            "suggest_model_memory",
            memory,
            "MiB",
            "resident memory a process gains loading the model, the catalog and 100 questions",
        ),
    ]
