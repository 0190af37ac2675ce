"""The bad-input campaign: generated and mutated blueprints plus hostile values (control
characters and look-alikes in names, 10 MB strings, reference loops, deep nesting, huge
numbers, path traversal in names, ``--home`` and ``--out``). Every one is either valid or
refused with exit 2 and a location, never a traceback; no file is ever written outside
``$DPN_HOME`` or the named output. Mostly in-process (the library and the CLI through
click's runner), with a small subprocess sample."""

from __future__ import annotations

import copy
import json
import os
import random
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from dpn.errors import BlueprintError, InputError

from . import gen
from .runner import Figures

HOSTILE: list[Any] = [
    "", " ", "\x00", "a\x00b", "\x1b[31mred", "line\nbreak", "tab\there", "\r\n",
    "\u202eevil", "zero\u200bwidth", "аcme", "ａcme", "acme\u0301", "\U0001f4a5", "\ud7ff",
    "../../etc/passwd", "..\\..\\windows", "/abs/path", "a/../../b", "${", "${}", "${a.b.c}",
    "${r0_s3_bucket.nope}", "$${x}", "{org}", "%s%n", "' OR 1=1 --", "x" * 300,
    "select", "sys_x", "hive_metastore", "xn--bucket", "192.168.0.1", "DROP",
    -1, 0, 10**30, 1.5, True, None, [], {}, [None], {"": ""}, {"${x}": 1},
]
BIG = "x" * (10 * 1024 * 1024 + 1)
_LOCATED = re.compile(r":\d+:\d+: ")


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


def mutate(rng: random.Random, doc: dict[str, Any]) -> Any:
    """1-4 random edits: set a value (often hostile), delete, rename a key, add a key,
    make a reference loop."""
    doc = copy.deepcopy(doc)
    for _ in range(rng.randint(1, 4)):
        targets = paths(doc)[1:]
        if not targets:
            return rng.choice(HOSTILE)
        path = rng.choice(targets)
        parent: Any = doc
        for part in path[:-1]:
            parent = parent[part]
        last = path[-1]
        op = rng.choice(["set", "set", "delete", "rename", "add", "loop"])
        if op == "set":
            parent[last] = rng.choice(HOSTILE)
        elif op == "delete":
            del parent[last]
        elif op == "rename" and isinstance(parent, dict):
            parent[str(rng.choice(HOSTILE))] = parent.pop(last)
        elif op == "add" and isinstance(parent[last], dict):
            parent[last][str(rng.choice(HOSTILE))] = rng.choice(HOSTILE)
        elif op == "loop" and isinstance(doc.get("resources"), dict) and doc["resources"]:
            keys = list(doc["resources"])
            a, b = rng.choice(keys), rng.choice(keys)
            if isinstance(doc["resources"][a], dict) and isinstance(doc["resources"][b], dict):
                doc["resources"][a]["comment"] = f"${{{b}}}"
                doc["resources"][b]["comment"] = f"${{{a}.name}}"
    return doc


def check_doc(figures: Figures, doc: Any) -> None:
    """The library refuses ``doc`` with located findings, or accepts and plans it."""
    from dpn.blueprint import from_dict
    from dpn.plan import make_plan

    figures.blueprints += 1
    try:
        make_plan(from_dict(doc), None)
        figures.extra["valid"] = figures.extra.get("valid", 0) + 1
    except BlueprintError as exc:
        if not exc.diagnostics or not all(d.message for d in exc.diagnostics):
            figures.fail(f"a BlueprintError without findings for {str(doc)[:200]}")
    except InputError as exc:
        if not str(exc):
            figures.fail("an InputError without a message")
    except Exception as exc:  # anything else would be a traceback at the CLI
        figures.tracebacks += 1
        figures.fail(f"{type(exc).__name__}: {exc} for {str(doc)[:300]}")


def check_file(figures: Figures, path: Path, cli: bool) -> None:
    """``load`` refuses a bad file with FILE:LINE:COL findings; through the CLI,
    ``dpn validate`` exits 0 or 2 and never prints a traceback."""
    from dpn.blueprint import load

    figures.blueprints += 1
    try:
        load(path)
    except BlueprintError as exc:
        if not all(d.line >= 1 and d.col >= 1 for d in exc.diagnostics):
            figures.fail(f"{path.name}: a finding without a line and column: {exc}")
    except InputError:
        pass
    except Exception as exc:
        figures.tracebacks += 1
        figures.fail(f"{path.name}: {type(exc).__name__}: {exc}")
    if cli:
        from click.testing import CliRunner

        from dpn.cli import cli as dpn_cli

        res = CliRunner().invoke(dpn_cli, ["--home", str(path.parent / "home"), "validate",
                                           str(path)])
        out = res.output
        if res.exit_code not in (0, 2) or "Traceback" in out or "internal error" in out:
            figures.tracebacks += "Traceback" in out or res.exception is not None
            figures.fail(f"{path.name}: validate exited {res.exit_code}: {out[-300:]}")
        elif res.exit_code == 2 and not (_LOCATED.search(out) or "error:" in out):
            figures.fail(f"{path.name}: exit 2 without a location: {out[-300:]}")


def corrupt_text(rng: random.Random, text: str) -> bytes:
    data = text.encode()
    kind = rng.randrange(6)
    at = rng.randrange(len(data))
    if kind == 0:
        return data[:at]
    if kind == 1:
        return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[at:]
    if kind == 2:  # a duplicated key
        return data.replace(b'"version": 1,', b'"version": 1, "version": 1,', 1)
    if kind == 3:
        return b"\xef\xbb\xbf" + data
    if kind == 4:
        return data.replace(b"1", b"1" + b"0" * rng.choice([10, 5000]), 1)
    return data[:at] + b"[" * rng.choice([65, 5000]) + data[at:]


def campaign(figures: Figures, rng: random.Random, n: int, workdir: Path) -> None:
    """``n`` blueprints in all: mutated documents, corrupted files (1 in 10), some through
    the CLI (1 in 50), and the fixed hostile cases."""
    workdir.mkdir(parents=True, exist_ok=True)
    bases = [gen.blueprint(rng, rng.randint(1, 12)) for _ in range(20)]
    hostile_cases(figures, workdir)
    while figures.blueprints < n:
        i = figures.blueprints
        base = rng.choice(bases)
        if i % 10 == 0:
            path = workdir / f"bp{i % 100}.json"
            path.write_bytes(corrupt_text(rng, json.dumps(mutate(rng, base), indent=1,
                                                          ensure_ascii=False)))
            check_file(figures, path, cli=i % 50 == 0)
        else:
            check_doc(figures, mutate(rng, base))


def hostile_cases(figures: Figures, workdir: Path) -> None:
    base = gen.blueprint(random.Random(1), 6)
    key = next(iter(base["resources"]))
    docs: list[Any] = [None, [], "x", 5, {}, {"version": 1}]
    for field in ("org", "env", "project", "region", "owner"):
        for value in ("ac\x00me", "аcme", "../../x", "a\nb", "\u202eacme", BIG):
            d = copy.deepcopy(base)
            d["metadata"][field] = value
            docs.append(d)
    for value in (BIG, "\x00" * 100, "${" + key + "}", "${" * 1000):
        d = copy.deepcopy(base)
        d["resources"][key]["comment"] = value
        docs.append(d)
    d = copy.deepcopy(base)
    d["resources"]["../../etc"] = d["resources"][key]
    docs.append(d)
    nested: Any = 1
    for _ in range(5000):
        nested = [nested]
    d = copy.deepcopy(base)
    d["resources"][key]["comment"] = nested
    docs.append(d)
    docs.append({**base, "version": float("nan")})
    for doc in docs:
        check_doc(figures, doc)
    big = workdir / "big.json"
    big.write_text(json.dumps(base)[:-1] + ', "x": "' + BIG + '"}')
    check_file(figures, big, cli=True)
    for raw in (b"", b"   ", b"\xff\xfe\x00", b"null", b"[]" * 10, b'{"version": 1}'):
        path = workdir / "raw.json"
        path.write_bytes(raw)
        check_file(figures, path, cli=True)


def traversal_sample(figures: Figures, workdir: Path, env: dict[str, str]) -> None:
    """Subprocesses with ``..`` in ``--home`` and ``--out``: files appear only under the
    home and at the named output; hostile blueprints exit 2 with a location."""
    deep = workdir / "a" / "b" / "c"
    deep.mkdir(parents=True, exist_ok=True)
    good = gen.blueprint(random.Random(2), 5)
    (deep / "bp.json").write_text(json.dumps(good))
    evil = copy.deepcopy(good)
    evil["metadata"]["project"] = "../../../../tmp/evil"
    (deep / "evil.json").write_text(json.dumps(evil))
    before = {p for p in workdir.rglob("*")}
    cases = [
        (["--home", "../../h1", "plan", "--offline", "bp.json", "--out", "../../out.json"], 0),
        (["--home", "../../h2", "plan", "--offline", "evil.json", "--out", "../x.json"], 2),
        (["--home", "../../../../../../../../tmp/../" + str(workdir / "h3"), "validate",
          "evil.json"], 2),
        (["--home", "h\x1b[31m", "validate", "../../../nope.json"], 2),
        (["--home", "../../h4", "create", "--dry-run", "evil.json"], 2),
        (["--home", "../../h5", "plan", "--offline", "bp.json", "--out", "../../../"], 2),
    ]
    allowed = {(workdir / "a" / "out.json").resolve()}
    for args, want in cases:
        figures.processes += 1
        figures.blueprints += 1
        done = subprocess.run([sys.executable, "-m", "dpn", *args], cwd=deep, env=env,
                              capture_output=True, text=True, timeout=60)
        text = done.stdout + done.stderr
        if done.returncode != want or "Traceback" in text:
            figures.tracebacks += "Traceback" in text
            figures.fail(f"dpn {' '.join(args)} exited {done.returncode} (want {want}): "
                         f"{text[-300:]}")
        elif want == 2 and not (_LOCATED.search(text) or "error" in text.lower()):
            figures.fail(f"dpn {' '.join(args)}: exit 2 without a message: {text[-300:]}")
    homes = [(deep / h).resolve() for h in ("../../h1", "../../h2", "../../h4", "../../h5")]
    for path in set(workdir.rglob("*")) - before:
        real = path.resolve()
        inside = real in allowed or any(real == h or h in real.parents for h in homes)
        if not inside and not real.is_dir():
            figures.fail(f"a file was written outside the home and the output: {path}")
    if (Path("/tmp") / "evil").exists() or not (workdir / "a" / "out.json").exists():
        figures.fail("plan --out did not write where it was told, or wrote elsewhere")
    _ = os  # (kept for callers that pass os.environ copies)
