"""S3 lifecycle rules <-> blueprint vocabulary. Pure: no boto3, no I/O.

A blueprint rule is ``{id, prefix, enabled, expiration_days, noncurrent_expiration_days,
transitions: [{days, storage_class}], abort_incomplete_multipart_days}``; ``rule_in`` makes
the ``PutBucketLifecycleConfiguration`` rule, ``rule_out`` maps a
``GetBucketLifecycleConfiguration`` rule back.

``PutBucketLifecycleConfiguration`` replaces the whole configuration, so ``rules_in`` is a
read-modify-write: a live rule with the same ID keeps what dpn's vocabulary does not
cover (tag and object-size filters, noncurrent-version transitions, ``NewerNoncurrentVersions``,
an ``ExpiredObjectDeleteMarker`` or date expiration when the blueprint sets no
``expiration_days``, date transitions when it sets no ``transitions``). Live rules whose ID
the blueprint does not list are removed: the list is the blueprint's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SIZE_KEYS = ("ObjectSizeGreaterThan", "ObjectSizeLessThan")


def _filter(prefix: str, live: Mapping[str, Any]) -> dict[str, Any]:
    """The rule's ``Filter``: the prefix, plus the live filter's tag and size conditions."""
    live_filter = live.get("Filter") or {}
    both = live_filter.get("And") or {}
    tags = [*(both.get("Tags") or []), *([live_filter["Tag"]] if live_filter.get("Tag") else [])]
    sizes = {k: src[k] for src in (live_filter, both) for k in SIZE_KEYS if k in src}
    if len(tags) + len(sizes) + (1 if prefix else 0) > 1:
        both_out: dict[str, Any] = {}
        if prefix:
            both_out["Prefix"] = prefix
        if tags:
            both_out["Tags"] = tags
        both_out.update(sizes)
        return {"And": both_out}
    if tags:
        return {"Tag": tags[0]}
    if sizes:
        return dict(sizes)
    return {"Prefix": prefix}


def rule_in(rule: Mapping[str, Any], live: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The S3 rule for a blueprint ``rule``, keeping what ``live`` (the rule with the same
    ID on the bucket, if any) sets outside dpn's vocabulary."""
    live = live or {}
    out: dict[str, Any] = {
        "ID": str(rule["id"]),
        "Status": "Enabled" if rule.get("enabled", True) else "Disabled",
        "Filter": _filter(str(rule.get("prefix") or ""), live),
    }
    live_exp = live.get("Expiration") or {}
    if rule.get("expiration_days"):
        out["Expiration"] = {"Days": int(rule["expiration_days"])}
    elif "Date" in live_exp or live_exp.get("ExpiredObjectDeleteMarker") is not None:
        out["Expiration"] = {k: v for k, v in live_exp.items() if k != "Days"}
    transitions = rule.get("transitions") or []
    if transitions:
        out["Transitions"] = [{"Days": int(t["days"]), "StorageClass": str(t["storage_class"])}
                              for t in transitions]
    else:
        dated = [t for t in live.get("Transitions") or [] if "Date" in t]
        if dated:
            out["Transitions"] = dated
    if live.get("NoncurrentVersionTransitions"):
        out["NoncurrentVersionTransitions"] = live["NoncurrentVersionTransitions"]
    if rule.get("noncurrent_expiration_days"):
        nve: dict[str, Any] = {"NoncurrentDays": int(rule["noncurrent_expiration_days"])}
        newer = (live.get("NoncurrentVersionExpiration") or {}).get("NewerNoncurrentVersions")
        if newer is not None:
            nve["NewerNoncurrentVersions"] = newer
        out["NoncurrentVersionExpiration"] = nve
    if rule.get("abort_incomplete_multipart_days"):
        out["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["abort_incomplete_multipart_days"])}
    return out


def rules_in(rules: Sequence[Mapping[str, Any]],
             live: Sequence[Mapping[str, Any]] = ()) -> list[dict[str, Any]]:
    """The S3 rules for the blueprint's ``rules``, read-modify-write against ``live``."""
    by_id = {str(r.get("ID")): r for r in live if r.get("ID") is not None}
    return [rule_in(r, by_id.get(str(r["id"]))) for r in rules]


def rule_out(rule: Mapping[str, Any]) -> dict[str, Any]:
    """Blueprint vocabulary of one S3 rule (empty fields left out; what the vocabulary
    does not cover is not reported)."""
    live_filter = rule.get("Filter") or {}
    prefix = (live_filter.get("Prefix") or (live_filter.get("And") or {}).get("Prefix")
              or rule.get("Prefix") or "")
    transitions = [{"days": t["Days"], "storage_class": t.get("StorageClass")}
                   for t in rule.get("Transitions") or [] if t.get("Days") is not None]
    out = {
        "id": rule.get("ID"),
        "prefix": prefix,
        "enabled": rule.get("Status") == "Enabled",
        "expiration_days": (rule.get("Expiration") or {}).get("Days"),
        "noncurrent_expiration_days":
            (rule.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays"),
        "transitions": transitions,
        "abort_incomplete_multipart_days":
            (rule.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation"),
    }
    return {k: v for k, v in out.items() if v is not None and v != "" and v != []}


def rules_out(rules: Sequence[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [rule_out(r) for r in rules or []]
