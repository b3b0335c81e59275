"""A flooding client, run as its own process by tests and benchmarks:

    python flooder.py HOST PORT SECONDS CONNECTIONS [--cheap]

Closed loop over raw keep-alive HTTP/1.1 connections (asyncio, one process): each
connection posts a question to /api/ask as soon as the last reply is read, speaking for
the address 10.9.9.9 (X-Forwarded-For). By default the question is 500 characters of
misspelt words, about the most expensive question to answer (every word is a typo to
repair); --cheap asks a short one. Prints the reply counts by status, e.g. "200:120 429:6805".
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time

WORDS = ["radiograpy", "sonografer", "mamografy", "technolgist", "certifcation", "salery", "scholl", "degre", "hosptal", "patinets"]


def request(cheap: bool) -> bytes:
    rng = random.Random(7)
    question = "how much do they earn?" if cheap else " ".join(rng.choice(WORDS) for _ in range(60))[:500]
    body = json.dumps({"question": question}).encode()
    head = f"POST /api/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Forwarded-For: 10.9.9.9\r\nContent-Length: {len(body)}\r\n\r\n"
    return head.encode() + body


async def connection(host: str, port: int, end: float, payload: bytes, counts: dict[str, int]) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    while time.time() < end:
        writer.write(payload)
        head = await reader.readuntil(b"\r\n\r\n")
        code = head[9:12].decode()
        length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
        await reader.readexactly(length)
        counts[code] = counts.get(code, 0) + 1
        if b"connection: close" in head.lower():
            writer.close()
            reader, writer = await asyncio.open_connection(host, port)
    writer.close()


async def flood(host: str, port: int, seconds: float, connections: int, cheap: bool) -> dict[str, int]:
    counts: dict[str, int] = {}
    end = time.time() + seconds
    payload = request(cheap)
    await asyncio.gather(*(connection(host, port, end, payload, counts) for _ in range(connections)), return_exceptions=True)
    return counts


if __name__ == "__main__":
    host, port, seconds, conns = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
    result = asyncio.run(flood(host, port, seconds, conns, "--cheap" in sys.argv))
    print(" ".join(f"{k}:{v}" for k, v in sorted(result.items())))
