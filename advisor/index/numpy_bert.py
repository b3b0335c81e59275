"""A numpy forward pass of BERT-family sentence-transformers models (mean pooling,
normalised), for answering questions without importing torch.

Importing sentence-transformers costs ~5 s on this 2-core machine; this encoder loads
in well under a second and embeds a short question in ~7-12 ms. It reads the same weight
file and tokenizer as the sentence-transformers model, and a test checks that both give
the same vectors (cosine > 0.9999). Questions go through the ONNX export of the model
(`onnx_encoder.py`, ~3-4 ms) when the data folder has one; this port is the fallback
when it has none (the export failed, or the index was built before exports existed), and
the check of a fresh export.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np


def supported(model_dir: Path) -> bool:
    """True for a BERT model with mean pooling and a tokenizer.json (all-MiniLM-L6-v2)."""
    try:
        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text("utf-8"))
        modules = json.loads((model_dir / "modules.json").read_text("utf-8"))
    except (OSError, ValueError):
        return False
    kinds = [m.get("type", "").rsplit(".", 1)[-1] for m in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and pooling.get("pooling_mode_mean_tokens") is True
        and not any(pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens"))
        and kinds[:2] == ["Transformer", "Pooling"]
        and set(kinds[2:]) <= {"Normalize"}
        and (model_dir / "tokenizer.json").exists()
        and (model_dir / "model.safetensors").exists()
    )


def _erf(x: np.ndarray) -> np.ndarray:
    # Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): exact GELU without scipy.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    y = 1.0 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * np.exp(-a * a)
    return sign * y


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _erf(x / np.sqrt(2.0).astype(np.float32)))


def _layer_norm(x: np.ndarray, g: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + eps) * g + b


class NumpyBertEncoder:
    """Mean-pooled, L2-normalised BERT sentence embeddings in numpy."""

    def __init__(self, model_dir: Path, max_seq_length: int | None = None) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text("utf-8"))
        if max_seq_length is None:
            try:
                st = json.loads((model_dir / "sentence_bert_config.json").read_text("utf-8"))
                max_seq_length = int(st.get("max_seq_length", 256))
            except (OSError, ValueError):
                max_seq_length = 256
        self.heads = int(config["num_attention_heads"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length=min(max_seq_length, int(config["max_position_embeddings"])))
        w: dict[str, Any] = load_file(str(model_dir / "model.safetensors"))
        w = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in w.items()}
        self.word = w["embeddings.word_embeddings.weight"]
        self.pos = w["embeddings.position_embeddings.weight"]
        self.type0 = w["embeddings.token_type_embeddings.weight"][0]
        self.ln0 = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in ("query", "key", "value")]).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in ("query", "key", "value")])
            self.layers.append(
                (
                    qkv_w, qkv_b,
                    w[p + "attention.output.dense.weight"].T.copy(), w[p + "attention.output.dense.bias"],
                    w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"],
                    w[p + "intermediate.dense.weight"].T.copy(), w[p + "intermediate.dense.bias"],
                    w[p + "output.dense.weight"].T.copy(), w[p + "output.dense.bias"],
                    w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"],
                )
            )
        self.dim = self.word.shape[1]

    def _one(self, ids: np.ndarray) -> np.ndarray:
        n = len(ids)
        x = self.word[ids] + self.pos[:n] + self.type0
        x = _layer_norm(x, *self.ln0, self.eps)
        h = self.heads
        d = self.dim // h
        scale = np.float32(1.0 / np.sqrt(d))
        for qkv_w, qkv_b, ow, ob, g1, b1, iw, ib, o2w, o2b, g2, b2 in self.layers:
            qkv = x @ qkv_w + qkv_b
            q, k, v = (qkv[:, j * self.dim : (j + 1) * self.dim].reshape(n, h, d).transpose(1, 0, 2) for j in range(3))
            s = (q @ k.transpose(0, 2, 1)) * scale
            s = np.exp(s - s.max(-1, keepdims=True))
            s /= s.sum(-1, keepdims=True)
            ctx = (s @ v).transpose(1, 0, 2).reshape(n, self.dim)
            x = _layer_norm(x + ctx @ ow + ob, g1, b1, self.eps)
            x = _layer_norm(x + _gelu(x @ iw + ib) @ o2w + o2b, g2, b2, self.eps)
        v_ = x.mean(0)
        norm = float(np.linalg.norm(v_))
        return (v_ / norm if norm else v_).astype(np.float32)

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        encs = self.tokenizer.encode_batch(texts)
        return np.stack([self._one(np.asarray(e.ids, dtype=np.int64)) for e in encs])
