"""The ONNX export of the real model: its vectors are sentence-transformers', it is kept in
the data folder with the hash of the weights it came from, answering with it never imports
torch, and without it questions fall back to the numpy port with one log line."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from core_support import REAL_CORPUS, ROOT

from advisor.engine import Advisor
from advisor.index import onnx_encoder
from advisor.index.embedder import DEFAULT_MODEL_SHA256, SentenceTransformerEmbedder, sha256_file

pytestmark = pytest.mark.model

TEXTS = [
    "how long is the associate degree?",
    "Stress Level: Moderate",
    "do u need bls",
    "¿Cuánto gana un técnico de radiología? 放射技师",
    "Imaging Technologist — Education › Programs: Associate degree programs are most common, typically lasting 18 to 24 months, "
    "and prepare students for certification exams.",
    "word " * 400,  # longer than the model's 256-token window: both truncate
    "",
]


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    assert a.shape == b.shape == (len(TEXTS), 384) and a.dtype == np.float32
    return (a * b).sum(axis=1)


def test_onnx_vectors_are_sentence_transformers_vectors(real_advisor: Advisor) -> None:
    embedder = real_advisor.embedder
    assert isinstance(embedder, SentenceTransformerEmbedder) and embedder.encoder_kind == "onnx"
    reference = embedder.encode_torch(TEXTS)  # sentence-transformers on torch
    batched = embedder.encode_query(TEXTS)  # one batch, each padded to the longest
    alone = np.stack([embedder.encode_query([t])[0] for t in TEXTS])  # no padding at all
    passages = embedder.encode(TEXTS)  # what a build stores
    for vecs in (batched, alone, passages):
        np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
        cos = _cosines(vecs, reference)
        assert cos.min() >= 0.9999, cos


def test_the_export_is_kept_with_the_hash_of_its_weights(real_advisor: Advisor) -> None:
    folder = real_advisor.settings.data_dir / onnx_encoder.ENCODER_DIRNAME
    record = json.loads((folder / onnx_encoder.RECORD_FILE).read_text("utf-8"))
    assert record["source_weights_sha256"] == DEFAULT_MODEL_SHA256 and record["opset"] == 17
    assert record["onnx_sha256"] == sha256_file(folder / onnx_encoder.MODEL_FILE)
    assert onnx_encoder.find(folder, DEFAULT_MODEL_SHA256) == folder / onnx_encoder.MODEL_FILE
    assert onnx_encoder.find(folder, "0" * 64) is None  # made from other weights: not used


def test_a_mismatched_or_damaged_export_is_made_again(real_advisor: Advisor, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    made = real_advisor.settings.data_dir / onnx_encoder.ENCODER_DIRNAME
    folder = tmp_path / onnx_encoder.ENCODER_DIRNAME
    onnx_encoder.copy(made, folder)
    record = json.loads((folder / onnx_encoder.RECORD_FILE).read_text("utf-8"))
    (folder / onnx_encoder.RECORD_FILE).write_text(json.dumps({**record, "source_weights_sha256": "1" * 64}), "utf-8")
    embedder = SentenceTransformerEmbedder(data_dir=tmp_path)
    said: list[str] = []
    embedder.prepare(tmp_path, said.append)  # exported again, from the weights in use
    assert len(said) == 2 and said[0].startswith("Exporting all-MiniLM-L6-v2 to ONNX") and said[1].startswith("Exported in ")
    assert json.loads((folder / onnx_encoder.RECORD_FILE).read_text("utf-8"))["source_weights_sha256"] == DEFAULT_MODEL_SHA256
    assert embedder.encoder_kind == "onnx"

    with (folder / onnx_encoder.MODEL_FILE).open("r+b") as fh:  # one byte changed
        fh.seek(1000)
        byte = fh.read(1)
        fh.seek(1000)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with caplog.at_level(logging.WARNING, logger="advisor.index"):
        assert onnx_encoder.find(folder, DEFAULT_MODEL_SHA256) is None
    assert "damaged" in caplog.text
    SentenceTransformerEmbedder(data_dir=tmp_path).prepare(tmp_path)
    assert onnx_encoder.find(folder, DEFAULT_MODEL_SHA256) == folder / onnx_encoder.MODEL_FILE


def test_answering_never_imports_torch(real_advisor: Advisor) -> None:
    code = (
        "import json, sys\n"
        "from pathlib import Path\n"
        "from advisor.engine import Advisor\n"
        "from advisor.settings import Settings\n"
        "advisor = Advisor.load(Settings(corpus_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), auto_build=False))\n"
        "answer = advisor.ask('how long is the associate degree?')\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'sentence_transformers', 'transformers'))\n"
        "print(json.dumps({'encoder': advisor.embedder.encoder_kind, 'text': answer.text, 'heavy': heavy}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("ADVISOR_")}
    done = subprocess.run([sys.executable, "-c", code, str(REAL_CORPUS), str(real_advisor.settings.data_dir)],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["encoder"] == "onnx"
    assert "18 to 24 months" in out["text"]
    assert out["heavy"] == []


def test_without_an_export_questions_use_the_numpy_port_after_one_log_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    from advisor.index.numpy_bert import NumpyBertEncoder

    def no_onnx(*args: object, **kwargs: object) -> Path:
        raise ImportError("No module named 'onnx'")

    monkeypatch.setattr(onnx_encoder, "export", no_onnx)
    embedder = SentenceTransformerEmbedder(data_dir=tmp_path)
    with caplog.at_level(logging.INFO, logger="advisor.index"):
        embedder.prepare(tmp_path)
        kind = embedder.encoder_kind
        vecs = embedder.encode_query(TEXTS[:3])
    mine = [r for r in caplog.records if r.name.startswith("advisor.index.") and "encoder" in r.getMessage()]
    assert len(mine) == 1 and mine[0].levelno == logging.WARNING, [r.getMessage() for r in mine]
    assert "No module named 'onnx'" in mine[0].getMessage() and "numpy encoder" in mine[0].getMessage()
    assert kind == "numpy" and not (tmp_path / onnx_encoder.ENCODER_DIRNAME / onnx_encoder.MODEL_FILE).exists()
    assert embedder._path is not None
    np.testing.assert_allclose(vecs, NumpyBertEncoder(embedder._path).encode(TEXTS[:3]), atol=1e-6)
