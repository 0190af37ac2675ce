"""Follow-up updates: a create that makes a value another resource of the stack needs, where
that resource must exist first (so a reference would be a cycle).

One today (SPEC section 11): an IAM role that Unity Catalog assumes must trust the storage
credential's ``external_id``, which exists only once the credential does, and the
credential names the role. So the role is created with a placeholder external id, the
credential after it, and then, inside the same transaction, the role is updated with the
credential's external id: an update with its before-image, undone on rollback. The plan
shows it on the credential's create. Terraform users break the same loop with a
constructed ARN, a second apply or a sleep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from dpn import model
from dpn.blueprint.refs import references


@dataclass(frozen=True)
class FollowUp:
    """After a create of ``after``, set ``prop`` of the resource its ``via`` field refers
    to (of type ``target``, when its props match ``when``) to the new object's ``attr``."""

    after: str
    via: str
    target: str
    when: Mapping[str, Any]
    prop: str
    attr: str
    says: str   # the plan's note on the create, with {target} for the target's key


FOLLOW_UPS: tuple[FollowUp, ...] = (
    FollowUp(after="dbx.storage_credential", via="aws_iam_role", target="aws.iam_role",
             when=MappingProxyType({"trust": "unity_catalog"}), prop="trust_external_id",
             attr="external_id",
             says="then writes its external id into the trust policy of {target}"),
)


def targets(blueprint: model.Blueprint, key: str) -> list[tuple[FollowUp, str]]:
    """The follow-ups a create of ``key`` triggers, with the key of the resource each
    updates."""
    res = blueprint.resources.get(key)
    if res is None:
        return []
    out = []
    for follow in FOLLOW_UPS:
        if follow.after != res.type:
            continue
        for ref_key, _attr in references(res.props.get(follow.via)):
            target = blueprint.resources.get(ref_key)
            if target is not None and target.type == follow.target and all(
                    target.props.get(k) == v for k, v in follow.when.items()):
                out.append((follow, ref_key))
    return out


def node(target_key: str, key: str) -> str:
    """The name of a follow-up among a transaction's nodes and done entries."""
    return f"{target_key}#after:{key}"
