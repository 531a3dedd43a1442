"""Argon2id cost per sign-in: median hash and verify time of the parameters the server uses
(``server.api.accounts.ARGON2``) and of pwdlib's recommended ones, from the same run.

    .venv/bin/python -m benchmarks.passwords [--rounds 15]
"""

from __future__ import annotations

import argparse
import statistics
import time

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from server.api.accounts import ARGON2


def measure(hasher: PasswordHash, rounds: int) -> tuple[float, float]:
    hashes, verifies = [], []
    for _ in range(rounds):
        t = time.perf_counter()
        h = hasher.hash("correct horse battery staple")
        hashes.append(time.perf_counter() - t)
        t = time.perf_counter()
        assert hasher.verify("correct horse battery staple", h)
        verifies.append(time.perf_counter() - t)
    return statistics.median(hashes) * 1000, statistics.median(verifies) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    n = ap.parse_args().rounds
    rows = [("server (m=19 MiB, t=2, p=1)", PasswordHash((Argon2Hasher(**ARGON2),))),
            ("pwdlib recommended (m=64 MiB, t=3, p=4)", PasswordHash.recommended())]
    for name, hasher in rows:
        h, v = measure(hasher, n)
        print(f"{name}: hash median {h:.1f} ms, verify median {v:.1f} ms ({n} rounds)")


if __name__ == "__main__":
    main()
