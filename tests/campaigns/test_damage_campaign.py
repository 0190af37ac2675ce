"""Damaged WAL and state files (SPEC 6): a torn last WAL line, a WAL cut at a random byte
of the record being written, a state file that fails its checksum."""

from __future__ import annotations

import random

import pytest

from .conftest import campaign_runs
from .damage import SCENARIOS, damage_run

pytestmark = [pytest.mark.crash, pytest.mark.integration]


@pytest.mark.parametrize("scenario", ["torn_tail", "cut_wal", "bad_state"])
def test_damaged_files_ci(ctx, scenario):
    rng = random.Random(ctx.figures.seed)
    print(f"seed {ctx.figures.seed}")
    damage_run(ctx, rng, 0, scenario)
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures)


@pytest.mark.slow
def test_damaged_files_long(ctx):
    rng = random.Random(ctx.figures.seed)
    for i in range(campaign_runs(40)):
        damage_run(ctx, rng, i, sorted(SCENARIOS)[i % len(SCENARIOS)])
    assert not ctx.figures.failures, "\n".join(ctx.figures.failures[:10])
