"""An in-memory platform behind the Provider interface, for engine tests.

It is a test double of the *platforms*, not of the engine: the engine under test runs
unmodified against it. Failures are injected per key and operation.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from dpn.engine.retry import RetryPolicy
from dpn.errors import AlreadyExists, InvalidRequest, NotEmpty, Transient
from dpn.model import TAG_FIELD, UNTAGGED, freeze, thaw
from dpn.providers.base import SERIAL, Fanout, Observed, Provider, Spec


class FakePlatform:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], dict[str, Any]] = {}
        self.fail: dict[tuple[str, str], Exception] = {}   # (key, op) -> error to raise
        # (key, "create") -> error raised after the object was made (a failed read-back)
        self.fail_after: dict[tuple[str, str], Exception] = {}
        self.transient: dict[tuple[str, str], int] = {}    # (key, op) -> failures left
        self.calls: list[tuple[str, str, str]] = []
        self.lock = threading.Lock()
        self.ids = itertools.count(1000)

    def providers(self, types: Any = None) -> dict[str, Provider]:
        return {t: FakeProvider(self, t) for t in (*TAG_FIELD, *sorted(UNTAGGED))}


class FakeProvider(Provider):
    def __init__(self, platform: FakePlatform, rtype: str) -> None:
        self.p = platform
        self.type = rtype

    def _check(self, key: str, op: str) -> None:
        with self.p.lock:
            self.p.calls.append((self.type, key, op))
            left = self.p.transient.get((key, op), 0)
            if left:
                self.p.transient[(key, op)] = left - 1
                raise Transient(f"injected transient on {key} {op}", retry_after=0)
        err = self.p.fail.get((key, op))
        if err is not None:
            raise err

    access_scope = "fake"

    def check_access(self) -> None:
        self._check("*", "access")

    def physical_id(self, spec: Spec) -> str | None:
        return None if self.type in ("dbx.cluster", "dbx.job") else spec.name

    def _observed(self, id_: str, obj: Mapping[str, Any]) -> Observed:
        props = freeze(obj["props"])
        return Observed(id=id_, name=obj["name"], props=props,
                        attrs={"id": id_, "name": obj["name"]},
                        tags=dict(props.get(TAG_FIELD.get(self.type, "")) or {}))

    def read(self, id: str) -> Observed | None:
        obj = self.p.objects.get((self.type, id))
        return None if obj is None else self._observed(id, obj)

    def find(self, spec: Spec) -> Observed | None:
        err = self.p.fail.get((spec.key, "find"))
        if err is not None:
            raise err
        return self._named(spec)

    def find_many(self, specs: Sequence[Spec], fan: Fanout = SERIAL
                  ) -> dict[str, Observed | None]:
        """A listing: the plan's name check, apart from ``find``'s injected failures."""
        return {s.key: self._named(s) for s in specs}

    def _named(self, spec: Spec) -> Observed | None:
        for (rtype, id_), obj in list(self.p.objects.items()):
            if rtype == self.type and obj["name"] == spec.name:
                return self._observed(id_, obj)
        return None

    def create(self, spec: Spec) -> Observed:
        self._check(spec.key, "create")
        id_ = self.physical_id(spec) or str(next(self.p.ids))
        with self.p.lock:
            if self._named(spec) is not None:
                raise AlreadyExists(f"{spec.name} exists")
            self.p.objects[(self.type, id_)] = {"name": spec.name, "props": thaw(spec.props),
                                                "children": 0}
        err = self.p.fail_after.get((spec.key, "create"))
        if err is not None:
            raise err
        return self.read(id_)  # type: ignore[return-value]

    def update(self, id: str, spec: Spec) -> Observed:
        self._check(spec.key, "update")
        obj = self.p.objects.get((self.type, id))
        if obj is None:
            raise InvalidRequest(f"{id} missing")
        obj["props"] = thaw(spec.props)
        return self._observed(id, obj)

    def delete(self, id: str, *, force_empty: bool = False) -> None:
        obj = self.p.objects.get((self.type, id))
        tags = (obj or {}).get("props", {}).get(TAG_FIELD.get(self.type, ""), {})
        key = tags.get("dpn:key", "")
        self._check(key, "delete")
        if obj is None:
            return
        if obj["children"] and not force_empty:
            raise NotEmpty(f"{id} is not empty")
        del self.p.objects[(self.type, id)]


class FakeClock:
    """Time that passes only when the code under test sleeps: retries wait no real time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def fake_retry(clock: FakeClock | None = None) -> RetryPolicy:
    """The engine's retry policy on a fake clock: the same backoff and deadline, no waits."""
    clock = clock or FakeClock()
    return RetryPolicy(base=0.001, deadline=2, clock=clock, sleep=clock.sleep)
