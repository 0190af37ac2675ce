"""What every library call runs with: the home, the platform settings, the store, the
events callback and the providers (injectable), as one ``Runner``."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpn.engine.events import EventSink, ignore
from dpn.engine.pool import CallPool, read_parallelism
from dpn.engine.retry import RetryPolicy
from dpn.engine.stores import LocalStore, Store
from dpn.providers.base import Provider
from dpn.settings import PlatformSettings

if TYPE_CHECKING:
    from dpn.engine.operations import Engine

ProviderFactory = Callable[[Iterable[str]], dict[str, Provider]]


@dataclass
class Runner:
    """Everything an apply needs besides the blueprint.

    ``events`` receives every ``dpn.api.events`` event of a transaction (the ``on_event``
    of the library calls replaces it for one call); ``cancel``, once set, stops the
    scheduling and rolls back, as SIGINT does on the command line."""

    home: Path
    settings: PlatformSettings = field(default_factory=PlatformSettings)
    events: EventSink = ignore
    parallelism: int = 8
    lock_timeout: float = 0
    cancel: threading.Event = field(default_factory=threading.Event)
    providers: ProviderFactory | None = None   # injectable; default builds from settings
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    store: Store = field(default=None)  # type: ignore[assignment]  # default: LocalStore(home)
    # leave out the Unity Catalog storage-access checks (``dpn.uc_access``): apply even
    # what they expect the workspace to refuse, and let its own answer decide
    skip_access_checks: bool = False

    def __post_init__(self) -> None:
        self.home = Path(self.home)
        if self.store is None:
            self.store = LocalStore(self.home)

    @classmethod
    def open(cls, home: Path | str, settings: PlatformSettings | None = None, *,
             backend: str | None = None, blueprint: Any = None, **options: Any) -> Runner:
        """A runner whose store is ``backend`` (``local`` or ``s3://BUCKET/PREFIX``), else
        the blueprint's ``backend``, else the local home; ``options`` are the other
        fields (``events``, ``parallelism``, ``lock_timeout``...)."""
        settings = settings or PlatformSettings()
        chosen = backend or (blueprint.backend if blueprint is not None else None)
        store = open_backend(Path(home), chosen, settings)
        return cls(home=Path(home), settings=settings, store=store, **options)

    def with_events(self, on_event: EventSink | None) -> Runner:
        """This runner with ``on_event`` as its events callback (the same store and
        cancel flag); itself when ``on_event`` is None."""
        if on_event is None:
            return self
        return dataclasses.replace(self, events=on_event)

    def build_providers(self, types: Iterable[str], region: str) -> dict[str, Provider]:
        if self.providers is not None:
            return self.providers(types)
        from dpn.providers import registry

        return registry.build(self.settings, region=region, home=self.home, types=types)

    def engine(self, providers: dict[str, Provider]) -> Engine:
        """An engine whose calls in flight are bounded by ``parallelism`` (reads included:
        ``find``, read-backs), running twice as many operations: one waiting for its WAL
        record to be durable (an S3 round trip on the S3 backend) holds no call slot, so
        the others' calls fill it."""
        from dpn.engine.operations import Engine

        return Engine(home=self.home, providers=providers, events=self.events,
                      parallelism=2 * self.parallelism, retry=self.retry, cancel=self.cancel,
                      store=self.store, calls=CallPool(self.parallelism))

    def read_pool(self) -> CallPool:
        """The one bound of a plan's reads, both clouds together (``--read-parallelism``),
        retried by the runner's policy."""
        return CallPool(read_parallelism(self.settings.read_parallelism), self.retry)


def sandbox_settings(home: Path | str) -> PlatformSettings:
    """Settings that point both platforms at the local sandbox of ``home`` (started if
    none runs there): its endpoints, region, fake AWS keys and its token."""
    from dpn.sandbox.launcher import ensure

    return ensure(Path(home)).settings()


def open_backend(home: Path, backend: str | None, settings: PlatformSettings | None) -> Store:
    """The store named by ``backend`` (``local``, None, or ``s3://BUCKET/PREFIX``); an S3
    backend gets an object client built from ``settings``, boto3 imported only then."""
    from dpn.engine.stores import open_store

    def connect(bucket: str) -> Any:
        from dpn.providers.aws.objects import S3Objects

        return S3Objects.connect(bucket, settings)

    return open_store(Path(home), backend, objects=connect)
