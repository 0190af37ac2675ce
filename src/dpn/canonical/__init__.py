"""The one comparison path: canonical forms and the diff between them. Pure, no I/O.

Providers map what they read into blueprint vocabulary; the planner, drift and import
map what the blueprint asks the same way, and then both sides go through ``canonical``,
so the only comparison dpn makes is between two canonical forms (SPEC section 10).

The per-type rules are data, in ``rules.json`` next to this module; ``docs/user-guide.md``
lists them. A rule node (the type itself, an object field, or each item of a list) may have:

- ``defaults``: ``{field: value}``, filled in when the field is absent: the value dpn sends
  when the blueprint leaves the field out (and the value the service reports then);
- ``aliases``: ``{field: {spelling: canonical}}``, the service's other spellings of a value
  (``null`` as the canonical value means "the platform's choice", as if absent);
- ``case``: ``{field: "upper"|"lower"}`` for values the service compares without case;
- ``trim_slash``: fields whose trailing slashes the service strips (storage paths);
- ``transform``: ``{field: name}``, a named pure function of ``TRANSFORMS`` (SQL types,
  IAM policy documents and lists compared as sets: ``dpn.canonical.policy``);
- ``fields``: ``{field: node}`` rules for a nested object; ``items``: ``{field: node}``
  rules for each object of a list; ``sort_by``: ``{field: key}`` lists the service returns
  sorted by that key;
- ``exclusive``: ``[[winner, loser], ...]``: when ``winner`` is present ``loser`` is dropped
  (a cluster's ``autoscale`` and ``num_workers``);
- ``when_present``: ``{field: node}``, rules merged into this node's when ``field`` is set
  (a job with ``git_source`` takes its tasks' files from Git by default);
- ``computed``: fields the service fills in when the blueprint leaves them out, compared
  only when the blueprint sets them; ``internal``: props outside the schema that the engine
  or the provider fills in (an IAM role's ``trust_external_id``), never asked for by a
  blueprint, so never compared; ``platform_keys``: ``{map field: [prefixes]}``, keys
  the service adds to a map, ignored unless the blueprint sets them (``""`` matches all);
- ``use``: the name of a shared node of the file's ``nodes`` (a cluster specification is
  the same inside a job as on its own), merged under this node's own rules;
- top level only: ``replace`` (fields that cannot change in place, ``"*"`` for all),
  ``directives`` (write-time instructions, sent but never compared: the service does not
  report them), ``update_effects`` (what an in-place update does besides).

Empty values (``None``, ``""``, ``[]``, ``{}``) mean the same as an absent field at every
depth: the platforms leave out, or answer ``{}`` for, fields never set.

The modules: ``ruleset`` (the rules file, a type's node, ``managed_fields``),
``transforms`` (``TRANSFORMS``), ``forms`` (``canonical``, ``of_plain``) and ``compare``
(``Diff``, ``diff``, ``diff_forms``, ``effects``).
"""

from __future__ import annotations

from dpn.canonical.compare import Diff, diff, diff_forms, effects
from dpn.canonical.forms import canonical, of_plain
from dpn.canonical.ruleset import ALL, managed_fields, resolved, rules
from dpn.canonical.transforms import TRANSFORMS, sql_type

__all__ = ["ALL", "TRANSFORMS", "Diff", "canonical", "diff", "diff_forms", "effects",
           "managed_fields", "of_plain", "resolved", "rules", "sql_type"]
