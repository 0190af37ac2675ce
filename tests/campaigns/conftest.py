"""Campaign fixtures, and the figures of every campaign test printed at the end of the
session (also under ``pytest -n``: they travel as the tests' user properties)."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from typing import Any

import pytest

from .runner import Ctx, Figures


def campaign_runs(ci: int) -> int:
    """The run count: ``DPN_CAMPAIGN_RUNS`` when set, else the small CI count."""
    return int(os.environ.get("DPN_CAMPAIGN_RUNS") or ci)


def campaign_seed() -> int:
    return int(os.environ.get("DPN_CAMPAIGN_SEED") or random.SystemRandom().randrange(10**6))


@pytest.fixture
def ctx(request: pytest.FixtureRequest, clean_sandbox: Any, s3: Any, glue: Any,
        workspace: Any, tmp_path: Any) -> Iterator[Ctx]:
    """A campaign context on a clean sandbox; its figures are printed at the end and its
    failures fail the test."""
    figures = Figures(campaign=request.node.name, seed=campaign_seed())
    yield Ctx(clean_sandbox, s3, glue, workspace, tmp_path, figures)
    request.node.user_properties.append(("figures", figures.line()))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines: list[str] = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", "") == "teardown":
                lines += [v for k, v in getattr(report, "user_properties", [])
                          if k == "figures" and v not in lines]
    if lines:
        terminalreporter.write_sep("-", "campaign figures")
        for line in lines:
            terminalreporter.write_line(line)
