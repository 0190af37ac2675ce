"""The planner, by what each part does (``dpn.plan`` is its public face and says what a
plan decides):

- ``changes``: ``Action``, ``Change``, ``Plan`` and their JSON forms;
- ``make``: ``make_plan``, desired vs recorded vs live, pure;
- ``cascade``: the stack's objects inside a replaced container, replaced with it;
- ``digest``: ``blueprint_digest``, the fingerprint a saved plan carries.
"""
