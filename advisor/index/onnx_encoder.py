"""The sentence encoder as an ONNX graph run by onnxruntime: same vectors, no torch.

`export()` writes the checked model (the transformer, mean pooling and normalisation in one
graph) to `<data>/encoder/model.onnx` with `torch.onnx.export`, once, at build time, and
records the sha256 of the weights it came from in `encoder.json`. `find()` gives the file
only while that record matches the weights in use (and the file its own hash); a missing
or mismatched export is made again by the next build. `OnnxEncoder` tokenises without
padding, sorts texts by length and pads each batch only to its own longest text.

    >>> enc = OnnxEncoder(find(data_dir / "encoder", weights_sha256), model_dir)
    >>> enc.encode(["how long is school?"]).shape
    (1, 384)
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

ENCODER_DIRNAME = "encoder"
MODEL_FILE = "model.onnx"
RECORD_FILE = "encoder.json"
OPSET = 17
# Texts a batch holds when embedding a corpus, and how batches use the cores. Measured on
# this 2-core machine over the catalogue's texts sorted by length (one thread, CPU
# seconds for 1500 texts: batch 4 11.9, 8 11.7, 16 12.5, 32 13.5, 64 14.4). Two batches
# at a time on single-threaded runs beat one batch on two threads: ~225 against ~110
# texts/s (median of 4 interleaved rounds) while other processes share the machine, since
# a two-thread run waits at every operator for a thread that another process holds.
BUILD_BATCH = 8
_PROBES = ("how long is school?", "Radiologic technologists perform diagnostic imaging examinations, such as x rays, on patients.")


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def threads() -> int:
    """Batches embedded at a time: the cores this process may use (2 here)."""
    try:
        n = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        n = os.cpu_count() or 1
    return max(1, min(n, 8))


def find(folder: Path, weights_sha256: str) -> Path | None:
    """The exported graph in `folder` when it was made from these weights and is intact."""
    model, record = folder / MODEL_FILE, folder / RECORD_FILE
    try:
        meta = json.loads(record.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or meta.get("source_weights_sha256") != weights_sha256 or not model.exists():
        return None
    if meta.get("onnx_sha256") != _sha256(model):
        log.warning("the ONNX encoder %s does not match its record (damaged); the next build exports it again", model)
        return None
    return model


def copy(source: Path, folder: Path) -> None:
    """Copy an export (its graph, then its record) into another data folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in (MODEL_FILE, RECORD_FILE):
        tmp = folder / f".{name}.{os.getpid()}.tmp"
        shutil.copyfile(source / name, tmp)
        os.replace(tmp, folder / name)


def export(model_dir: Path, weights_sha256: str, folder: Path, max_seq_length: int) -> Path:
    """Export the model in `model_dir` to `folder/model.onnx` (needs torch and
    transformers, ~10 s); raises on any failure, leaving no half-written file."""
    import torch
    import transformers
    from transformers import AutoModel

    t0 = time.perf_counter()
    transformers.utils.logging.disable_progress_bar()  # "Loading weights: 100%…" is not ours to show
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Pooled(torch.nn.Module):
        """The transformer, then mean pooling over real tokens and L2 normalisation,
        as sentence-transformers does."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            mean = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(mean, p=2, dim=1)

    # a padded example, so that the traced graph is the one that masks padding
    ids = torch.tensor([[101, 2129, 2146, 2003, 2082, 102], [101, 3477, 102, 0, 0, 0]], dtype=torch.long)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob(".model-*.onnx.tmp"):  # of an export killed an hour ago or more
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > 3600:
                stale.unlink()
    tmp = folder / f".model-{os.getpid()}-{time.time_ns()}.onnx.tmp"  # created by the exporter, with the umask's mode
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
            # dynamo=False: the TorchScript exporter needs only torch and onnx (the dynamo
            # one needs onnxscript); torch is pinned, so it stays available
            torch.onnx.export(
                Pooled(bert), (ids, (ids != 0).long()), str(tmp), input_names=["input_ids", "attention_mask"], output_names=["embedding"],
                dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, "embedding": {0: "batch"}},
                opset_version=OPSET, dynamo=False,
            )
        _check(tmp, model_dir, max_seq_length)
        record = {
            "source_weights_sha256": weights_sha256, "onnx_sha256": _sha256(tmp), "opset": OPSET, "max_seq_length": max_seq_length,
            "torch": torch.__version__, "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        os.replace(tmp, folder / MODEL_FILE)
        tmp_record = folder / f".{RECORD_FILE}.{os.getpid()}.tmp"
        tmp_record.write_text(json.dumps(record, indent=2), "utf-8")
        os.replace(tmp_record, folder / RECORD_FILE)
    finally:
        tmp.unlink(missing_ok=True)
    log.info("exported the encoder to %s in %.1f s", folder / MODEL_FILE, time.perf_counter() - t0)
    return folder / MODEL_FILE


def _check(onnx_path: Path, model_dir: Path, max_seq_length: int) -> None:
    """Refuse an export whose vectors are not the model's (the numpy port's, which a test
    holds to sentence-transformers')."""
    from advisor.index.numpy_bert import NumpyBertEncoder

    got = OnnxEncoder(onnx_path, model_dir, max_seq_length, workers=1).encode(list(_PROBES))
    want = NumpyBertEncoder(model_dir, max_seq_length).encode(list(_PROBES))
    cos = (got * want).sum(axis=1)
    if cos.min() < 0.9999:
        raise ValueError(f"the exported encoder's vectors differ from the model's (cosine {cos.min():.5f})")


class OnnxEncoder:
    """Mean-pooled, normalised sentence vectors from the exported graph.

    One session with one thread per run: a question is one short run, and a corpus is
    embedded `workers` batches at a time (onnxruntime runs sessions concurrently and
    releases the GIL), which keeps both cores busy even when another process holds one.
    """

    def __init__(self, onnx_path: Path, model_dir: Path, max_seq_length: int = 256, workers: int | None = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()  # tokenizer.json pads to a fixed length: ten times slower
        self.tokenizer.enable_truncation(max_length=min(max_seq_length, int(config["max_position_embeddings"])))
        self.dim = int(config["hidden_size"])
        self.workers = workers or threads()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])

    def _run(self, batch: list[list[int]]) -> np.ndarray:
        width = max(len(ids) for ids in batch)  # padded to this batch's longest text only
        tokens = np.zeros((len(batch), width), dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for j, ids in enumerate(batch):
            tokens[j, : len(ids)] = ids
            mask[j, : len(ids)] = 1
        return self.session.run(None, {"input_ids": tokens, "attention_mask": mask})[0]

    def encode(self, texts: list[str], batch_size: int = BUILD_BATCH) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        ids = [e.ids for e in self.tokenizer.encode_batch(texts)]
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))  # batches of like lengths pad little
        rows = [order[b : b + batch_size] for b in range(0, len(order), batch_size)]
        batches = [[ids[i] for i in r] for r in rows]
        if len(batches) == 1 or self.workers == 1:
            results = list(map(self._run, batches))
        else:  # threads of this call only: nothing to go stale in a forked child
            with ThreadPoolExecutor(min(self.workers, len(batches)), thread_name_prefix="onnx-encoder") as pool:
                results = list(pool.map(self._run, batches))
        for r, vecs in zip(rows, results, strict=True):
            out[r] = vecs
        return out
