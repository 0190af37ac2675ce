"""dpn's one exception tree.

Every error that crosses a module boundary is one of these; foreign errors
(botocore's ``ClientError``, databricks-sdk's ``DatabricksError``, ``OSError``)
are translated at the edge with ``raise ... from exc``.

    DpnError                      exit code
    ├── InputError                2   bad blueprint, bad option, bad file
    │   ├── BlueprintError        2   carries every Diagnostic at once
    │   └── PlanRefused           2   lifecycle.prevent_destroy forbids the plan (carried)
    ├── LockedError               3   another process holds the stack
    ├── RecoveryNeeded            4   an incomplete transaction must be recovered
    ├── StateError                4   state or WAL unreadable (checksum, torn file)
    ├── OwnershipError            1   an object with our name belongs to someone else
    └── ProviderError             1   a platform call failed (permanent)
        ├── NotFound
        ├── AlreadyExists
        ├── NotEmpty               delete refused: bucket, database, catalog, schema has content
        ├── InvalidRequest         the platform rejected the request as malformed
        ├── PermissionDenied  5   credentials or permissions refused
        └── Transient              worth retrying: 5xx, dropped connection, timeout
            ├── Throttled          429 / throttling, with an optional retry_after
            └── PropagationPending a change on one platform not yet seen by the other
"""

from __future__ import annotations

from dataclasses import dataclass


class DpnError(Exception):
    """Root of every error dpn raises on purpose."""

    exit_code = 1


@dataclass(frozen=True)
class Diagnostic:
    """One validation finding, located in the blueprint file."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class InputError(DpnError):
    """Invalid input or usage: nothing was called, nothing changed."""

    exit_code = 2


class BlueprintError(InputError):
    """A blueprint failed validation; ``diagnostics`` holds every finding."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(str(d) for d in self.diagnostics))


class PlanRefused(InputError):
    """A plan the blueprint forbids (``lifecycle.prevent_destroy``), refused before any
    change; ``plan`` is the plan, for showing."""

    def __init__(self, message: str, plan: object) -> None:
        super().__init__(message)
        self.plan = plan


class LockedError(DpnError):
    """The stack is locked by another live process."""

    exit_code = 3

    def __init__(self, stack: str, holder: dict[str, object] | None) -> None:
        self.stack = stack
        self.holder = holder or {}
        who = ", ".join(f"{k}={v}" for k, v in self.holder.items()) or "unknown holder"
        hint = lease_hint(self.holder)
        super().__init__(f"stack {stack!r} is locked by another process ({who})"
                         + (f"; {hint}" if hint else ""))


def lease_hint(holder: dict[str, object], now: float | None = None) -> str:
    """For a lock held as a lease (the S3 backend): when it runs out and how to wait for
    it. Empty for a lock without a lease (the local backend's holder is a live pid)."""
    import calendar
    import time

    ends = holder.get("lease_expires")
    if not isinstance(ends, str):
        return ""
    try:
        end = calendar.timegm(time.strptime(ends, "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return ""
    left = max(0, round(end - (time.time() if now is None else now)))
    return (f"its lease runs out at {ends} (in {left} s) unless that runner renews it; "
            f"if it has stopped, rerun with --lock-timeout {left + 5} to wait for the "
            "lease to run out")


class RecoveryNeeded(DpnError):
    """An incomplete transaction exists; only ``status`` and ``recover`` may run."""

    exit_code = 4


class StateError(DpnError):
    """State or WAL files are unreadable or fail their checksums."""

    exit_code = 4


class OwnershipError(DpnError):
    """An object carrying our name is not tagged as ours: dpn will not touch it."""


class ProviderError(DpnError):
    """A platform call failed. ``platform`` is ``aws`` or ``databricks``."""

    def __init__(self, message: str, *, platform: str = "", code: str = "") -> None:
        self.platform = platform
        self.code = code
        super().__init__(message)


class NotFound(ProviderError):
    """The object does not exist."""


class AlreadyExists(ProviderError):
    """An object with that name already exists."""


class NotEmpty(ProviderError):
    """A container still holds objects; delete it with ``force_empty``."""


class InvalidRequest(ProviderError):
    """The platform rejected the request as invalid: retrying will not help."""


class PermissionDenied(ProviderError):
    """Credentials missing, wrong, or lacking permission."""

    exit_code = 5


class Transient(ProviderError):
    """A failure worth retrying: 5xx, dropped connection, timeout."""

    def __init__(
        self, message: str, *, platform: str = "", code: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, platform=platform, code=code)
        self.retry_after = retry_after


class Throttled(Transient):
    """The platform asked us to slow down (429, ThrottlingException)."""


class PropagationPending(Transient):
    """A change on one platform has not reached the other yet: Unity Catalog validating an
    external location against an IAM role whose trust or policy changed a moment ago
    answers 403 "AWS IAM role does not have READ permissions on url ..." until IAM has
    propagated (terraform-provider-databricks #3069; Terraform users sleep 20-60 s). Worth
    retrying within a bounded wait, which the engine's retry policy shows as it goes; if
    the wait runs out, the role really lacks what Unity Catalog needs."""
