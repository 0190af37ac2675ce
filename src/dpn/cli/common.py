"""What every command shares: the app context, platform options, and the one decorator
that turns dpn errors into messages and exit codes (``--debug`` re-raises)."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import click

from dpn.errors import BlueprintError, DpnError, LockedError
from dpn.settings import PlatformSettings

F = TypeVar("F", bound=Callable[..., Any])


@dataclass
class App:
    home: Path
    debug: bool
    color: bool
    backend: str | None = None

    def store(self, settings: PlatformSettings | None = None, blueprint: Any = None, *,
              backend: str | None = None) -> Any:
        """The state/WAL/lock backend: ``backend`` if given, else ``--backend`` (or
        ``DPN_BACKEND``), else the blueprint's ``backend``, else the local home. An S3
        backend gets an object client built from ``settings``."""
        from dpn.api.runner import open_backend

        chosen = backend or self.backend or (blueprint.backend if blueprint is not None
                                             else None)
        return open_backend(self.home, chosen, settings)

    def err(self, message: str) -> None:
        click.secho(message, fg="red" if self.color else None, err=True)


pass_app = click.make_pass_decorator(App)


def handle_errors(func: F) -> F:
    """Map DpnError to its exit code and a message on stderr; never a traceback unless
    ``--debug``."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        app = ctx.find_object(App)
        debug = bool(app and app.debug)
        try:
            return func(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except BlueprintError as exc:
            if debug:
                raise
            for diag in exc.diagnostics:
                click.echo(str(diag), err=True)
            click.echo(f"{len(exc.diagnostics)} error(s)", err=True)
            sys.exit(exc.exit_code)
        except LockedError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except DpnError as exc:
            if debug:
                raise
            click.echo(f"error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            if debug:
                raise
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug: say so plainly, still no traceback
            if debug:
                raise
            click.echo(
                f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for details)",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def platform_options(func: F) -> F:
    """Add the platform options of SPEC section 5; the command receives ``settings``
    (a PlatformSettings) and ``sandbox`` (bool)."""

    opts = [
        click.option("--aws-profile", envvar="AWS_PROFILE", default=None, help="AWS profile."),
        click.option("--aws-region", default=None, help="AWS region (default: blueprint's)."),
        click.option("--aws-endpoint-url", default=None,
                     help="AWS endpoint (boto3 also honours AWS_ENDPOINT_URL)."),
        click.option("--dbx-host", default=None, help="Databricks workspace URL."),
        click.option("--dbx-token", default=None, 
                     help="Databricks token (prefer DATABRICKS_TOKEN)."),
        click.option("--dbx-profile", default=None, help="Profile in ~/.databrickscfg."),
        click.option("--refresh-cache", is_flag=True,
                     help="Fetch the workspace's Spark versions and node types afresh."),
        click.option("--sandbox", is_flag=True, 
                     help="Use (and if needed start) the local sandbox."),
        click.option("--read-parallelism", type=click.IntRange(1, 64),
                     envvar="DPN_READ_PARALLELISM", default=None, show_default="16",
                     help="Platform reads in flight at once while reading the live state "
                          "and checking names (both clouds share them)."),
    ]

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        settings = PlatformSettings(
            aws_profile=kwargs.pop("aws_profile"),
            aws_region=kwargs.pop("aws_region"),
            aws_endpoint_url=kwargs.pop("aws_endpoint_url"),
            dbx_host=kwargs.pop("dbx_host"),
            dbx_token=kwargs.pop("dbx_token"),
            dbx_profile=kwargs.pop("dbx_profile"),
            refresh_cache=kwargs.pop("refresh_cache"),
            read_parallelism=kwargs.pop("read_parallelism"),
        )
        return func(*args, settings=settings, **kwargs)

    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]


def default_home() -> str:
    return os.environ.get("DPN_HOME") or str(Path.home() / ".dpn")


def resolve_settings(app: App, settings: PlatformSettings, sandbox: bool) -> PlatformSettings:
    """With ``--sandbox``, the local sandbox's endpoints (started if none runs)."""
    if not sandbox:
        return settings
    from dpn.api import sandbox_settings

    return dataclasses.replace(sandbox_settings(app.home),
                               refresh_cache=settings.refresh_cache,
                               read_parallelism=settings.read_parallelism)


def env_option(help: str = "The blueprint's environment NAME (its overrides, its own "
                                 "stack).") -> Callable[[F], F]:
    """``--env NAME`` (also ``DPN_ENV``): the environment of a blueprint with
    ``environments`` (required there), or ``metadata.env`` of one without."""
    return click.option("--env", "env", envvar="DPN_ENV", default=None, metavar="NAME",
                        help=help)


def selection_options() -> list[Callable[[F], F]]:
    """``--only KEY...`` and ``--exclude KEY...`` (each may be repeated, or take keys
    separated by commas)."""
    def keys(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
             ) -> tuple[str, ...]:
        del ctx, param
        return tuple(k.strip() for v in value for k in v.split(",") if k.strip())

    return [
        click.option("--only", multiple=True, metavar="KEY", callback=keys,
                     help="Only these resources' changes, with the creates and updates they "
                          "need (shown as pulled in). Repeat it, or separate keys by commas."),
        click.option("--exclude", multiple=True, metavar="KEY", callback=keys,
                     help="Leave these resources' changes out, with every change that needs "
                          "them (shown as left out)."),
    ]


def skip_access_checks_option() -> Callable[[F], F]:
    """``--skip-access-checks`` (also ``DPN_SKIP_ACCESS_CHECKS=1``): plan and apply without
    the Unity Catalog storage-access checks, so the workspace's own answer decides (and a
    refusal rolls the apply back)."""
    return click.option(
        "--skip-access-checks", is_flag=True, envvar="DPN_SKIP_ACCESS_CHECKS",
        help="Leave out the plan-time checks of external locations, EXTERNAL USE grants and "
             "root storage; the workspace's own answer decides.")
