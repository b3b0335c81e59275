"""The catalogue (all 370 profiles + imaging) on this machine: build, rebuild, memory,
warm ask latency, and each question encoder's speed and hit@k.

    python benchmarks/bench_catalogue.py [--builds 2] [--rebuilds 3] [--rounds 2] [--root DIR]

Every measure runs in a child process (so its peak RSS is its own): `advisor build` of a
fresh data folder (the first one also exports the ONNX encoder; later ones keep it), the
same build after one profile changed (one sentence), then a process that loads the index
and asks every question of eval/*.jsonl (`--rounds` times, the question cache cleared each
round), and one that times the three question encoders on the held-out questions and
scores hit@k with each (careers-dev2 + careers-blind unpinned, imaging holdout pinned, over
the catalogue). `--root` measures another checkout the same way (its encoder rows only
when it has the ONNX encoder). Targets (issue 7): build ≤ 120 s, one changed file ≤ 10 s,
warm ask p95 ≤ 30 ms, answering RSS ≤ 400 MB, build peak RSS ≤ 1 GB.

The machine is shared: each row says the 1-minute load average while it ran and the share
of the wall time the child had a core ("cpu"); read the figures with them. Not a test: it
asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import pct, print_table  # noqa: E402
from corpora import make  # noqa: E402

CHANGED = "ooh-2016/aerospace-engineers.txt"  # a profile no other file duplicates

ASK = r"""
import json, resource, sys, time
from pathlib import Path
from advisor.engine import Advisor
from advisor.settings import Settings
corpus, data, rounds = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
lines = [json.loads(x) for f in sys.argv[4:] for x in Path(f).read_text("utf-8").splitlines() if x.strip()]
t = time.perf_counter()
adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=data, auto_build=False))
load = time.perf_counter() - t
for g in lines[:50]:
    adv.ask(g["question"], history=g.get("history", []), career=g.get("career"))
lat, cpu = [], []
for _ in range(rounds):
    adv.retriever._cache.clear()
    for g in lines:
        t, c = time.perf_counter(), time.process_time()
        adv.ask(g["question"], history=g.get("history", []), career=g.get("career"))
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
kind = getattr(adv.embedder, "encoder_kind", "numpy")
print(json.dumps({"load": load, "lat": lat, "cpu": cpu, "encoder": kind, "torch": "torch" in sys.modules,
                  "rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

ENCODERS = r"""
import json, statistics, sys, time
from pathlib import Path
from advisor.engine import Advisor
from advisor.evaluation import Line, answer_line, score
from advisor.index.numpy_bert import NumpyBertEncoder
from advisor.settings import Settings
corpus, data, ev = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
adv = Advisor.load(Settings(corpus_dir=corpus, data_dir=data, auto_build=False))
emb = adv.embedder
onnx = emb._onnx_encoder()
numpy_port = NumpyBertEncoder(emb._path)
encoders = {"sentence-transformers": emb.encode_torch, "numpy": numpy_port.encode}
if onnx:
    encoders["onnx"] = onnx.encode
read = lambda name: [json.loads(x) for x in (ev / name).read_text("utf-8").splitlines() if x.strip()]
held_out = [r["question"] for r in read("holdout.jsonl") + read("careers-blind.jsonl")]
sets = [(read("careers-dev2.jsonl"), None), (read("careers-blind.jsonl"), None), (read("holdout.jsonl"), "imaging-technologist")]
sources = {d: doc.text for d, doc in adv.index.documents.items()}
out = {}
for name, encode in encoders.items():
    encode(["warm up"])
    ms = []
    for q in held_out:
        t = time.perf_counter()
        encode([q])
        ms.append((time.perf_counter() - t) * 1000)
    emb.encode_query = encode  # the advisor's questions go through this encoder
    adv.retriever._cache.clear()
    pairs = [(r, answer_line(adv, Line(i + 1, r), pin)) for recs, pin in sets for i, r in enumerate(recs)]
    m = score(pairs, sources)
    ms.sort()
    out[name] = {"p50": statistics.median(ms), "p95": ms[int(len(ms) * 0.95)], "n": len(ms), "hit@1": m["hit@1"], "hit@5": m["hit@5"],
                 "lines": len(pairs), "answers": [p[1].get("answer") for p in pairs]}
print(json.dumps(out))
"""


def child(args: list[str], env: dict[str, str], root: Path) -> tuple[float, float, float, str]:
    """Wall seconds, peak RSS (MB), the cores it used on average, and its stdout. It runs
    in `root`: `python -m`/`-c` put the current folder first on the import path."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.DEVNULL, cwd=root)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        text = out.read()
    if code != 0:
        raise SystemExit(f"{' '.join(args[:4])}… failed with exit {code}")
    return wall, usage.ru_maxrss / 1024, (usage.ru_utime + usage.ru_stime) / wall, text


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def spread(xs: list[float], unit: str = "s") -> str:
    if len(xs) == 1:
        return f"{xs[0]:.1f} {unit}"
    return f"{statistics.median(xs):.1f} {unit} median ({', '.join(f'{x:.1f}' for x in xs)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--builds", type=int, default=2, help="full builds (the first one exports the encoder)")
    ap.add_argument("--rebuilds", type=int, default=3, help="rebuilds after one changed profile")
    ap.add_argument("--rounds", type=int, default=2, help="rounds over the eval questions for the warm ask latency")
    ap.add_argument("--root", type=Path, default=ROOT, help="the checkout to measure (default: this one)")
    ap.add_argument("--profiles", type=Path, default=ROOT.parent / "shared" / "profiles")
    ap.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    a = ap.parse_args()
    work = a.keep or Path(tempfile.mkdtemp(prefix="advisor-bench-catalogue-"))
    corpus, data = work / "corpus", work / "data"
    if make("catalogue", corpus, a.profiles) != 0:
        raise SystemExit(1)
    env = {**os.environ, "PYTHONPATH": str(a.root), "ADVISOR_AUTO_BUILD": "0"}
    env = {k: v for k, v in env.items() if k not in ("ADVISOR_CORPUS", "ADVISOR_DATA", "ADVISOR_MODEL")}
    build = [sys.executable, "-m", "advisor", "build", "--corpus", str(corpus), "--data", str(data)]
    rows: list[tuple[str, str]] = [("machine", f"{os.cpu_count()} cores, load average {load()} at the start (other engineers' tests)")]

    for i in range(a.builds):
        shutil.rmtree(data / "index", ignore_errors=True)
        if i == 0:
            shutil.rmtree(data, ignore_errors=True)
        before = load()
        wall, rss, cpu, _ = child(build, env, a.root)
        what = "full build, fresh data folder" if i == 0 else "full build, data folder kept (its encoder export)"
        rows.append((f"{what} (s)", f"{wall:.1f}  [peak RSS {rss:.0f} MB; {cpu * wall:.0f} CPU-s, {cpu:.2f} cores on average; load {before}→{load()}]"))

    path = corpus / CHANGED
    original = path.read_text("utf-8")
    walls, rsss, cpus = [], [], []
    for i in range(a.rebuilds):
        path.chmod(0o644)
        path.write_text(original.replace(" the ", " a ", 1) if i % 2 == 0 else original, "utf-8")  # one sentence, then back
        before = load()
        wall, rss, cpu, _ = child(build, env, a.root)
        walls.append(wall)
        rsss.append(rss)
        cpus.append(cpu * wall)
    rows.append(("one changed profile, rebuild (s)", f"{spread(walls)}  [peak RSS {max(rsss):.0f} MB; {statistics.median(cpus):.1f} CPU-s; load {before}→{load()}]"))
    path.write_text(original, "utf-8")
    child(build, env, a.root)

    questions = sorted(str(f) for f in (ROOT / "eval").glob("*.jsonl") if not f.name.startswith("splitting"))
    before = load()
    wall, rss, cpu, out = child([sys.executable, "-c", ASK, str(corpus), str(data), str(a.rounds), *questions], env, a.root)
    res = json.loads(out.strip().splitlines()[-1])
    lat = res["lat"]
    rows.append(("answering process peak RSS (MB)", f"{res['rss']:.0f}  [questions encoded by {res['encoder']}; torch imported: {res['torch']}]"))
    rows.append(("Advisor.load of the catalogue (s)", f"{res['load']:.2f}"))
    rows.append((f"warm ask, {len(lat)} asks (ms)", f"p50 {pct(lat, 50):.1f} / p95 {pct(lat, 95):.1f} / p99 {pct(lat, 99):.1f}  "
                 f"[{cpu:.2f} cores on average; load {before}→{load()}]"))
    rows.append(("warm ask, CPU time of the process (ms)", f"p50 {pct(res['cpu'], 50):.1f} / p95 {pct(res['cpu'], 95):.1f} / p99 {pct(res['cpu'], 99):.1f}  "
                 "[what an ask costs, less the waits for a core]"))

    if not (a.root / "advisor" / "index" / "onnx_encoder.py").exists():
        print_table(rows)
        return
    before = load()
    _, _, _, out = child([sys.executable, "-c", ENCODERS, str(corpus), str(data), str(ROOT / "eval")], env, a.root)
    enc = json.loads(out.strip().splitlines()[-1])
    base = enc["sentence-transformers"]["answers"]
    for name, r in enc.items():
        same = sum(x == y for x, y in zip(r["answers"], base, strict=True))
        rows.append((f"encoder {name} (ms a question, {r['n']} held-out)",
                     f"p50 {r['p50']:.1f} / p95 {r['p95']:.1f}; hit@1 {r['hit@1']:.3f}, hit@5 {r['hit@5']:.3f} over {r['lines']} lines; "
                     f"answers as sentence-transformers' {same}/{len(base)}"))
    rows.append(("load average at the end", f"{load()} (encoders measured from {before})"))
    print_table(rows)
    if a.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
