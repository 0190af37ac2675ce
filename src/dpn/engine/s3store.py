"""The S3 backend: a team's runners share each stack's state, WAL and lock in one bucket.

Layout under ``s3://bucket/prefix/``::

    state/<stack>.json                   the state document (as LocalStore writes it)
    wal/<stack>/<tx>/<seq:010d>.json     one object per WAL record (dpn.engine.s3wal)
    locks/<stack>.json                   the lock and its lease (dpn.engine.s3lock)

State writes are conditional: on the ETag of the object holding the serial the new state
follows (``If-Match``), or create-only (``If-None-Match: *``) for a first state, so a
runner that planned from an older state can never overwrite a newer one (StateError).
Every WAL record and state write first checks that this runner still holds the stack's
lease. boto3 is imported here, lazily: only an ``s3://`` backend loads this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dpn.engine.files import check_stack_id
from dpn.engine.state import decode_state, encode_state
from dpn.engine.store import StackLockHandle, Store, WalSink
from dpn.errors import InputError, StateError
from dpn.model import StackState
from dpn.settings import PlatformSettings

PRECONDITION = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict"})
MISSING = frozenset({"NoSuchKey", "404", "NotFound"})


class S3Store(Store):
    """State, WAL and locks of every stack under one S3 prefix."""

    kind = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "", *,
                 home: Path | None = None) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.home = home
        self.held: dict[str, Any] = {}          # stack -> S3Lock this process holds
        self._etags: dict[tuple[str, int], str] = {}   # (stack, serial) -> ETag seen
        self.requests = 0

    @classmethod
    def from_url(cls, url: str, *, home: Path | None = None,
                 settings: PlatformSettings | None = None) -> S3Store:
        """``s3://bucket/prefix`` with a client built from ``settings`` (profile, region,
        endpoint, keys) like the AWS providers' clients."""
        bucket, _, prefix = url.removeprefix("s3://").partition("/")
        if not bucket:
            raise InputError(f"backend {url!r}: expected s3://bucket/prefix")
        return cls(_client(settings or PlatformSettings()), bucket, prefix, home=home)

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    @property
    def url(self) -> str:
        """``s3://bucket/prefix``, as ``--backend`` takes it."""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/")

    def describe(self) -> str:
        return f"s3 {self.url}"

    def command(self, verb: str, stack: str) -> str:
        return f"dpn --backend {self.url} {verb} --stack {stack}"

    # -- object primitives ----------------------------------------------------------------

    def put_if(self, key: str, body: bytes, *, none_match: bool = False,
               match: str | None = None) -> str | None:
        """Put ``body`` if the condition holds; its new ETag, or None when it did not."""
        kwargs: dict[str, Any] = {"IfNoneMatch": "*"} if none_match else {}
        if match is not None:
            kwargs["IfMatch"] = match
        try:
            out = self._call("put_object", key, Key=key, Body=body,
                             ContentType="application/json", **kwargs)
        except _Precondition:
            return None
        return str(out["ETag"])

    def get_object(self, key: str) -> tuple[bytes, str, float] | None:
        """(body, ETag, LastModified as epoch seconds), or None when there is none."""
        try:
            out = self._call("get_object", key, Key=key)
        except _Precondition:  # pragma: no cover - get is unconditional
            return None
        if out is None:
            return None
        return out["Body"].read(), str(out["ETag"]), out["LastModified"].timestamp()

    def delete_if(self, key: str, *, match: str | None = None) -> bool:
        kwargs = {"IfMatch": match} if match else {}
        try:
            self._call("delete_object", key, Key=key, **kwargs)
        except _Precondition:
            return False
        return True

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        for page in self._pages(prefix, delimiter=None):
            keys += [o["Key"] for o in page.get("Contents", [])]
        return sorted(keys)

    def list_prefixes(self, prefix: str) -> list[str]:
        """The names one level below ``prefix`` (which ends with '/')."""
        names: list[str] = []
        for page in self._pages(prefix, delimiter="/"):
            names += [p["Prefix"][len(prefix):].rstrip("/") for p in
                      page.get("CommonPrefixes", [])]
            names += [o["Key"][len(prefix):] for o in page.get("Contents", [])]
        return sorted(names)

    def _pages(self, prefix: str, *, delimiter: str | None) -> list[dict[str, Any]]:
        pages, token = [], None
        while True:
            kwargs: dict[str, Any] = {"Prefix": prefix}
            if delimiter:
                kwargs["Delimiter"] = delimiter
            if token:
                kwargs["ContinuationToken"] = token
            page = self._call("list_objects_v2", prefix, **kwargs)
            pages.append(page)
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return pages

    def _call(self, op: str, target: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        from dpn.providers.aws.errors import error_code, http_status, translate

        self.requests += 1
        try:
            return getattr(self.client, op)(Bucket=self.bucket, **kwargs)
        except ClientError as exc:
            code = error_code(exc) or str(http_status(exc))
            if code in PRECONDITION or http_status(exc) == 412:
                raise _Precondition(code) from exc
            if op == "get_object" and (code in MISSING or http_status(exc) == 404):
                return None
            if op == "put_object" and "IfMatch" in kwargs and code in MISSING:
                raise _Precondition(code) from exc
            raise translate(exc, op=op, target=f"s3://{self.bucket}/{target}") from exc
        except BotoCoreError as exc:
            raise translate(exc, op=op, target=f"s3://{self.bucket}/{target}") from exc

    # -- stacks and state -----------------------------------------------------------------

    def stacks(self) -> list[str]:
        states = [n.removesuffix(".json") for n in self.list_prefixes(self.key("state") + "/")
                  if n.endswith(".json")]
        return sorted(set(states) | set(self.list_prefixes(self.key("wal") + "/")))

    def _state_key(self, stack: str) -> str:
        return self.key("state", f"{check_stack_id(stack)}.json")

    def load_state(self, stack: str) -> StackState | None:
        got = self.get_object(self._state_key(stack))
        if got is None:
            return None
        body, etag, _ = got
        state = decode_state(body, stack, f"s3://{self.bucket}/{self._state_key(stack)}")
        self._etags[(stack, state.serial)] = etag
        return state

    def save_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write serial ``state.serial + 1``, only over the object holding ``state.serial``
        (or only if there is none, for serial 0)."""
        self.check_lease(state.stack)
        written, data = encode_state(state, tx)
        key = self._state_key(state.stack)
        etag = self._etags.get((state.stack, state.serial))
        if etag is None and state.serial > 0:
            current = self.load_state(state.stack)
            etag = self._etags.get((state.stack, state.serial)) if current else None
            if etag is None:
                raise self._moved(state, current.serial if current else None)
        new = (self.put_if(key, data, match=etag) if etag is not None
               else self.put_if(key, data, none_match=True))
        if new is None:
            current = self.load_state(state.stack)
            raise self._moved(state, current.serial if current else None)
        self._etags[(state.stack, written.serial)] = new
        return written

    def create_state(self, state: StackState, *, tx: str | None = None) -> StackState:
        """Write ``state`` with its own serial where the stack has no state yet (migration);
        StateError if it has one."""
        base = StackState(state.stack, state.serial - 1, state.resources)
        written, data = encode_state(base, tx)
        etag = self.put_if(self._state_key(state.stack), data, none_match=True)
        if etag is None:
            current = self.load_state(state.stack)
            raise self._moved(base, current.serial if current else None)
        self._etags[(state.stack, written.serial)] = etag
        return written

    def _moved(self, state: StackState, now: int | None) -> StateError:
        return StateError(
            f"state of stack {state.stack!r} moved: another runner wrote it (expected serial "
            f"{state.serial}, found {now if now is not None else 'none'}); nothing was "
            f"overwritten. Run '{self.command('status', state.stack)}' and "
            f"'{self.command('recover', state.stack)}'")

    def check_lease(self, stack: str) -> None:
        lock = self.held.get(stack)
        if lock is not None:
            lock.check()

    # -- WAL and lock ---------------------------------------------------------------------

    def wal_writer(self, stack: str, tx: str, *, start_seq: int = 0) -> WalSink:
        from dpn.engine.s3wal import S3WalSink

        return S3WalSink(self, check_stack_id(stack), tx, start_seq=start_seq)

    def logs(self, stack: str) -> list[Any]:
        from dpn.engine.s3wal import read_logs

        return read_logs(self, check_stack_id(stack))

    def incomplete(self, stack: str) -> list[Any]:
        from dpn.engine.s3wal import read_logs

        return read_logs(self, check_stack_id(stack), only_incomplete=True)

    def truncate_torn(self, log: Any) -> None:
        from dpn.engine.s3wal import truncate_torn

        truncate_torn(self, log)

    def lock(self, stack: str, *, tx: str = "", timeout: float = 0) -> StackLockHandle:
        from dpn.engine.s3lock import S3Lock

        return S3Lock(self, stack, tx=tx, timeout=timeout)

    def holder(self, stack: str) -> dict[str, Any] | None:
        from dpn.engine.s3lock import current_holder

        return current_holder(self, stack)


class _Precondition(Exception):
    """A conditional request whose condition did not hold (HTTP 412)."""


def _client(settings: PlatformSettings) -> Any:
    import os

    import boto3
    from botocore.exceptions import BotoCoreError

    from dpn.providers.aws import client_config
    from dpn.providers.aws.errors import translate

    endpoint = settings.aws_endpoint_url or None
    try:
        session = boto3.session.Session(
            profile_name=settings.aws_profile or None,
            aws_access_key_id=settings.aws_access_key_id or None,
            aws_secret_access_key=settings.aws_secret_access_key or None,
            region_name=settings.aws_region or None)
        custom = bool(endpoint or os.environ.get("AWS_ENDPOINT_URL")
                      or os.environ.get("AWS_ENDPOINT_URL_S3"))
        return session.client("s3", region_name=session.region_name or "us-east-1",
                              endpoint_url=endpoint,
                              config=client_config(path_style=custom, max_attempts=3))
    except BotoCoreError as exc:
        raise translate(exc, op="connect", target="s3 backend") from exc
