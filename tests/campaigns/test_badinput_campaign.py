"""Bad-input campaign (SPEC 5 and 9): generated and mutated blueprints and hostile values
give exit 2 with a location, never a traceback, and never a file outside ``$DPN_HOME`` or
the named output. CI checks 2,000 blueprints; ``DPN_CAMPAIGN_RUNS`` sets the count."""

from __future__ import annotations

import os
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from . import gen
from .badinput import HOSTILE, campaign, check_doc, mutate, traversal_sample
from .conftest import campaign_runs
from .runner import Figures

BASE = gen.blueprint(random.Random(7), 12)
_FIGURES = Figures(campaign="hypothesis")


def test_random_and_hostile_blueprints(tmp_path, record_property):
    figures = Figures(campaign="badinput", seed=random.SystemRandom().randrange(10**6))
    campaign(figures, random.Random(figures.seed), campaign_runs(2000), tmp_path)
    record_property("figures", figures.line())
    print(figures.line())
    assert figures.blueprints >= 2000 and figures.tracebacks == 0
    assert not figures.failures, "\n".join(figures.failures[:10])


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False), st.lists(st.sampled_from(HOSTILE), max_size=3),
       st.text(max_size=20))
def test_hypothesis_mutations(rnd, values, text):
    doc = mutate(rnd, BASE)
    if isinstance(doc, dict) and isinstance(doc.get("resources"), dict) and doc["resources"]:
        key = rnd.choice(list(doc["resources"]))
        if isinstance(doc["resources"][key], dict):
            doc["resources"][key]["purpose"] = text
            doc["resources"][key].update({f"x{i}": v for i, v in enumerate(values)})
    check_doc(_FIGURES, doc)
    assert not _FIGURES.failures, _FIGURES.failures


def test_path_traversal_in_home_and_out(tmp_path):
    figures = Figures(campaign="traversal")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DPN_", "DATABRICKS_"))}
    traversal_sample(figures, tmp_path, env)
    assert not figures.failures, "\n".join(figures.failures)
