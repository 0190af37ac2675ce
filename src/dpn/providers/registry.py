"""Build the providers a run needs, importing each platform's SDK only when one of its
types is used."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dpn.model import platform_of
from dpn.providers.base import Provider
from dpn.settings import PlatformSettings


def build(settings: PlatformSettings, *, region: str, home: Path | None,
          types: Iterable[str]) -> dict[str, Provider]:
    wanted = set(types)
    out: dict[str, Provider] = {}
    if any(platform_of(t) == "aws" for t in wanted):
        from dpn.providers import aws

        out.update(aws.build(settings, settings.aws_region or region, types=wanted))
    if any(platform_of(t) == "databricks" for t in wanted):
        from dpn.providers import databricks

        out.update(databricks.build(settings, home))
    return out
