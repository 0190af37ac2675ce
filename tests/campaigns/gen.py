"""Random valid blueprints for the campaigns: 1 to 40 resources of all 8 types, random
dependencies (parents, ``${...}`` references to earlier resources), and a per-run unique
``project`` so that stacks never collide. Every name carries the project, so the stack's
objects can also be found by name."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

TYPES = ("aws.s3_bucket", "aws.glue_database", "aws.glue_table", "dbx.cluster", "dbx.job",
         "dbx.catalog", "dbx.schema", "dbx.table")
LAYERS = ("landing", "raw", "bronze", "silver", "gold", "curated")
PATTERNS = {  # the project in every top-level name: a stack's objects are findable by name
    "aws.glue_database": "{env}_{project}_{domain}_{layer}",
    "dbx.catalog": "{project}_{domain}",
    "dbx.schema": "{layer}_{purpose}",
}
PARENT = {"aws.glue_table": "aws.glue_database", "dbx.schema": "dbx.catalog",
          "dbx.table": "dbx.schema"}


def project_id(rng: random.Random) -> str:
    return "r" + "".join(rng.choice("0123456789abcdef") for _ in range(10))


def stack_of(doc: dict[str, Any]) -> str:
    m = doc["metadata"]
    return f"{m['org']}-{m['env']}-{m['project']}"


def _refs(rng: random.Random, keys: list[str], n: int) -> list[str]:
    return rng.sample(keys, min(n, len(keys))) if keys else []


def _resource(rng: random.Random, rtype: str, i: int, made: dict[str, str]) -> dict[str, Any]:
    earlier = list(made)
    of = {t: [k for k, v in made.items() if v == t] for t in TYPES}
    buckets = of["aws.s3_bucket"]
    loc = (f"s3://${{{rng.choice(buckets)}.name}}/p{i}/" if buckets and rng.random() < 0.7
           else f"s3://campaign-external/p{i}/")
    if rtype == "aws.s3_bucket":
        r: dict[str, Any] = {"layer": rng.choice(LAYERS), "purpose": f"b{i}",
                             "versioning": rng.random() < 0.5}
        if rng.random() < 0.3:
            r["tags"] = {"team": rng.choice(["a", "b", "c"])}
    elif rtype == "aws.glue_database":
        r = {"domain": f"d{i}", "layer": rng.choice(LAYERS),
             "description": f"db {i}", "location_uri": loc}
    elif rtype == "aws.glue_table":
        r = {"database": "${" + rng.choice(of["aws.glue_database"]) + "}", "entity": f"t{i}",
             "columns": [{"name": f"c{j}", "type": rng.choice(["bigint", "string", "double"])}
                         for j in range(rng.randint(1, 4))],
             "format": rng.choice(["parquet", "orc", "csv", "json"]), "location": loc}
        if rng.random() < 0.5:
            r["partition_keys"] = [{"name": "dt", "type": "string"}]
    elif rtype == "dbx.cluster":
        r = {"purpose": f"c{i}", "spark_version": "15.4.x-scala2.12",
             "node_type_id": rng.choice(["i3.xlarge", "m5d.large"]),
             "autotermination_minutes": rng.choice([0, 10, 30, 60])}
        if rng.random() < 0.5:
            r["num_workers"] = rng.randint(0, 4)
        else:
            lo = rng.randint(1, 3)
            r["autoscale"] = {"min_workers": lo, "max_workers": lo + rng.randint(0, 4)}
    elif rtype == "dbx.job":
        clusters = of["dbx.cluster"]
        params = {f"p{j}": f"${{{k}.name}}" for j, k in enumerate(_refs(rng, earlier, 2))}
        notebook: dict[str, Any] = {"notebook_path": f"/Shared/n{i}"}
        if params:
            notebook["base_parameters"] = params
        task: dict[str, Any] = {"task_key": "main", "notebook_task": notebook}
        if clusters:
            task["existing_cluster_id"] = "${" + rng.choice(clusters) + ".id}"
        else:
            task["existing_cluster_id"] = "0000-000000-campaign"
        r = {"purpose": f"j{i}", "tasks": [task], "max_concurrent_runs": rng.randint(1, 3)}
    elif rtype == "dbx.catalog":
        r = {"domain": f"d{i}", "comment": f"catalog {i}"}
        if buckets and rng.random() < 0.3:
            r["storage_root"] = loc
    elif rtype == "dbx.schema":
        r = {"catalog": "${" + rng.choice(of["dbx.catalog"]) + "}",
             "layer": rng.choice(LAYERS), "purpose": f"s{i}", "comment": f"schema {i}"}
    else:
        r = {"schema": "${" + rng.choice(of["dbx.schema"]) + "}", "entity": f"t{i}",
             "columns": [{"name": f"c{j}", "type": rng.choice(["BIGINT", "STRING"])}
                         for j in range(rng.randint(1, 3))],
             "storage_location": loc.rstrip("/") + f"/uc{i}/", "comment": f"table {i}"}
    return {"type": rtype, **r}


def blueprint(rng: random.Random, n: int | None = None, project: str | None = None,
              types: tuple[str, ...] = TYPES) -> dict[str, Any]:
    """A random valid blueprint of ``n`` resources (1-40 when None). With ``n >= 8`` every
    type appears at least once."""
    n = n if n is not None else rng.randint(1, 40)
    wanted = list(types) if n >= len(types) else []
    wanted += [rng.choice(types) for _ in range(n - len(wanted))]
    rng.shuffle(wanted)
    resources: dict[str, Any] = {}
    made: dict[str, str] = {}
    queue = list(wanted)
    i = 0
    while queue and len(resources) < n:
        rtype = queue.pop(0)
        parent = PARENT.get(rtype)
        if parent and parent not in made.values():
            rtype = parent  # a child needs a parent first: make the parent now
            queue.append(wanted[0] if wanted else parent)
            if parent in PARENT and PARENT[parent] not in made.values():
                rtype = PARENT[parent]
        key = f"r{i}_{rtype.split('.')[1]}"
        resources[key] = _resource(rng, rtype, i, made)
        made[key] = rtype
        i += 1
    return {"version": 1,
            "metadata": {"org": "acme", "env": rng.choice(["dev", "tst", "stg", "prd"]),
                         "project": project or project_id(rng), "region": "us-east-1",
                         "owner": "campaign", "tags": {"campaign": "crash"}},
            "naming": {"patterns": dict(PATTERNS)},
            "resources": resources}


def mutate(rng: random.Random, doc: dict[str, Any]) -> dict[str, Any]:
    """A valid next version of ``doc`` for ``dpn update``: some properties changed, some
    resources removed (those nothing depends on), some added."""
    new = copy.deepcopy(doc)
    res = new["resources"]
    for r in list(res.values()):
        roll = rng.random()
        if roll < 0.3:
            for field in ("comment", "description"):
                if field in r:
                    r[field] = f"{r[field]} v2"
            if r["type"] == "aws.s3_bucket":
                r["versioning"] = not r.get("versioning", True)
            if r["type"] == "dbx.cluster" and "num_workers" in r:
                r["num_workers"] = (r["num_workers"] + 1) % 5
            if r["type"] == "dbx.job":
                r["max_concurrent_runs"] = r.get("max_concurrent_runs", 1) % 3 + 1
    text = repr(res)
    for key in list(res):
        if rng.random() < 0.15 and f"${{{key}" not in text.replace(repr(res[key]), ""):
            del res[key]
            text = repr(res)
    if not res or rng.random() < 0.5:
        extra = blueprint(rng, rng.randint(1, 4), new["metadata"]["project"])["resources"]
        suffix = f"x{rng.randrange(10**6)}"
        for key, r in extra.items():
            new_key = f"{key}_{suffix}"
            body = json.dumps(r)
            for old in extra:  # references inside the extra block follow the renaming
                body = body.replace("${" + old + "}", "${" + f"{old}_{suffix}" + "}")
                body = body.replace("${" + old + ".", "${" + f"{old}_{suffix}" + ".")
            r = json.loads(body)
            for field in ("purpose", "domain", "entity"):
                if field in r:
                    r[field] = f"{r[field]}{suffix}"
            res[new_key] = r
    return new
