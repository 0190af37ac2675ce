"""Desired (blueprint) vs recorded (state) vs live (providers' reads) -> changes. Pure.

``make_plan(blueprint, state, live=None)``:

- a resource not in state is created; one in state is compared, after resolving its
  references, with what was read live (``live[key].props``) when ``live`` has the key,
  else with the state's props, both in canonical form (``dpn.canonical``, the one
  comparison path): a new name or a replace-forcing field means replace, other
  differing fields update, nothing no-op. ``after`` is the canonical desired form, the
  documented defaults of fields the blueprint leaves out included. A key in state whose
  ``live[key]`` is None was deleted outside dpn: it is created again, with a warning. A
  key whose type changed is an ``InputError`` (a new type needs a new key);
- keys in state but not in the blueprint are deleted;
- order: creates, updates, replaces and no-ops in dependency batches, then deletes in
  reverse dependency order (from the state's ``depends_on``);
- values known only after apply (a new cluster's id) show as ``dpn.model.UNKNOWN``;
- drift (with ``live``): a change whose live props differ from the recorded ones lists
  those fields in ``drift``; one whose object is gone has ``deleted_outside`` set;
- an update that does more than change settings (an edit restarts a running cluster)
  says so in ``effects``, from the live status (or "if it is running" offline).
  ``Plan.drift_report()`` lists both, for ``dpn drift``;
- ``Plan.serial`` is the state serial the plan was made against and ``Plan.digest`` a
  fingerprint of the blueprint's resources: ``dpn update --plan`` refuses a saved plan
  when either moved;
- ``moved`` (``dpn.moved``): the state is planned with the blueprint's moves applied;
  ``Plan.moved`` lists the renames, a renamed change has ``moved_from``, and an object
  still tagged with its old key is compared as such (no update just to retag it);
- ``lifecycle`` (``dpn.lifecycle``): ignored paths are compared as they are live, and a
  drifted field whose difference lies only there is listed in ``ignored`` as well;
- ``Plan.selection``: what ``--only``/``--exclude`` chose (``dpn.selection``), set by
  the engine when it keeps only the selected changes.
"""

from __future__ import annotations

from dpn.planning.changes import Action, Change, Plan
from dpn.planning.digest import blueprint_digest
from dpn.planning.make import make_plan

__all__ = ["Action", "Change", "Plan", "blueprint_digest", "make_plan"]
