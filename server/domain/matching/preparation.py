"""Is the question ready for a 15-minute call? It should say what the person is trying to do,
the background, and what success looks like (seed 001: "clarify your specific question, provide
relevant background information, and determine what success looks like").

A plain heuristic (phrases people use for each part) plus the embeddings: each sentence is
compared with a few example sentences of each part, so "We moved to Kubernetes last month" counts
as background although none of the phrases appear. No remote model.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from server.domain.matching.embeddings import Embedder

# A sentence this close to an example of a part counts as that part.
SIMILAR = 0.5
MAX_SENTENCES = 6

PHRASES = {
    "goal": re.compile(
        r"\b(i'?m trying|i am trying|trying to|i want|i'?d like|i need|we need|we want|"
        r"how (do|can|should|would) (i|we)|what('s| is) the best way|help me|my goal|aim is|"
        r"looking to|should (i|we)|is it (better|worth)|what (can|should) (i|we) do|how to|"
        r"is there a way)\b",
        re.IGNORECASE,
    ),
    "background": re.compile(
        r"\b(i'?ve|i have|we'?ve|we have|tried|currently|right now|so far|at the moment|"
        r"i'?m an?|i am an?|we are|we'?re an?|our (team|app|company|product|code)|"
        r"for \d+ (years|months)|since|using|we use|i use|background|context)\b",
        re.IGNORECASE,
    ),
    "success": re.compile(
        r"\b(success|so that|ideally|would mean|outcome|by the end|end of the call|"
        r"leave (the call|with)|i'?d know|to know whether|a plan|next steps?|deadline|"
        r"by (monday|tuesday|wednesday|thursday|friday|next week|tomorrow)|decide)\b",
        re.IGNORECASE,
    ),
}

EXAMPLES = {
    "goal": [
        "I'm trying to cut our page load time in half.",
        "I want to move from teaching into a data analyst job.",
        "We need to choose a database for the new service.",
    ],
    "background": [
        "I have tried caching and adding indexes already.",
        "We are a team of four and moved to Kubernetes last month.",
        "I have been a nurse for eight years and took an online course.",
    ],
    "success": [
        "By the end of the call I'd like a short list of what to try first.",
        "Success would be knowing which offer to accept.",
        "I want to leave with a plan I can start on Monday.",
    ],
}

NUDGES = {
    "goal": "Say what you're trying to do.",
    "background": "Add a line of background: what you've tried, what you work with.",
    "success": "Say what a good outcome of the call would be.",
}

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


@dataclass(frozen=True)
class Preparation:
    parts: dict[str, bool]

    def as_dict(self) -> dict[str, object]:
        return {
            "parts": self.parts,
            "nudges": [NUDGES[part] for part, present in self.parts.items() if not present],
        }


class Preparer:
    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    async def check(self, question: str) -> Preparation:
        parts = {part: bool(pattern.search(question)) for part, pattern in PHRASES.items()}
        missing = [part for part, present in parts.items() if not present]
        sentences = [s.strip() for s in _SENTENCE.split(question) if len(s.strip()) > 12]
        if missing and sentences:
            vectors = await self._embedder.embed(sentences[:MAX_SENTENCES])
            for part in missing:
                examples = await self._embedder.embed(EXAMPLES[part])
                parts[part] = bool((vectors @ examples.T).max() >= SIMILAR)
        return Preparation(parts)
