#!/usr/bin/env python3
"""Add lockfile entries for rollup's platform packages that this machine's npm registry lacks.

The registry reachable here serves only the linux-x64/arm64 (glibc) builds of @rollup/rollup-*,
so `npm install` leaves the other platforms' optional entries out of package-lock.json and
`npm ci` then refuses the lock ("Missing: @rollup/rollup-darwin-arm64@ from lock file").
A lock made against the full registry has these entries (with os/cpu/libc, so npm skips them
on other platforms); this writes the same entries. Run after any `npm install` that rewrites
the lock:  python3 scripts/lock-add-platform-optionals.py
"""
import json
import pathlib
import re

lock_path = pathlib.Path(__file__).resolve().parent.parent / "package-lock.json"
lock = json.loads(lock_path.read_text())
pkgs = lock["packages"]

CPU = {"arm": "arm", "arm64": "arm64", "x64": "x64", "ia32": "ia32", "loong64": "loong64",
       "ppc64": "ppc64", "riscv64": "riscv64", "s390x": "s390x"}
added = []
for holder, meta in list(pkgs.items()):
    for dep, ver in (meta.get("optionalDependencies") or {}).items():
        m = re.fullmatch(r"@rollup/rollup-([a-z0-9]+)-([a-z0-9]+)(?:-([a-z]+))?", dep)
        key = f"node_modules/{dep}"
        if not m or key in pkgs:
            continue
        os_, cpu, abi = m.group(1), m.group(2), m.group(3)
        entry = {"version": ver, "cpu": [CPU.get(cpu, cpu)], "dev": meta.get("dev", False)}
        if abi in ("gnu", "gnueabihf"):
            entry["libc"] = ["glibc"]
        elif abi in ("musl", "musleabihf"):
            entry["libc"] = ["musl"]
        entry.update({"license": "MIT", "optional": True, "os": [os_]})
        if not entry["dev"]:
            del entry["dev"]
        pkgs[key] = entry
        added.append(dep)

lock["packages"] = {k: pkgs[k] for k in sorted(pkgs, key=lambda k: (k != "", k))}
lock_path.write_text(json.dumps(lock, indent=2) + "\n")
print(f"added {len(added)} entries: {', '.join(added) or '-'}")
