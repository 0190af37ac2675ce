"""What the three AWS providers share: tag helpers, the resolution of a create whose
outcome an error left unknown, and the cut of a read answer to an input shape for
read-modify-write."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from dpn.errors import NotFound, ProviderError, Transient
from dpn.providers.aws.errors import PLATFORM, aws_errors, translate, unknown_outcome
from dpn.providers.base import Provider


def compact(props: Mapping[str, Any]) -> dict[str, Any]:
    """``props`` without empty values (None, "", [], {}): read results leave out what is
    not set, as a blueprint does, so a spec that omits a field diffs clean against it."""
    return {k: v for k, v in props.items() if v is not None and v != "" and v != [] and v != {}}


def str_map(value: Any) -> dict[str, str]:
    """A ``{str: str}`` copy of a tags/parameters mapping (None -> empty)."""
    return {str(k): str(v) for k, v in (value or {}).items()}


def failed_create(
    exc: BaseException, *, op: str, target: str,
    probe: Callable[[], bool], remove: Callable[[], None],
) -> ProviderError:
    """The error to raise for a create call that failed with ``exc``.

    When ``exc`` leaves the outcome unknown (a 5xx or a dropped connection after botocore's
    retries), ``probe`` says whether the object now exists as ours; if so ``remove`` deletes
    it, so the create contract holds (a raised create created nothing). If that check or
    removal itself fails, the outcome stays unknown and the error is ``Transient``: the
    engine then resolves it with ``find`` and the ownership tags.
    """
    err = translate(exc, op=op, target=target)
    if not unknown_outcome(exc):
        return err
    try:
        if probe():
            remove()
    except NotFound:
        pass
    except ProviderError as again:
        return Transient(
            f"{err} (outcome unknown; check failed: {again})", platform=PLATFORM, code=err.code,
        )
    return err


def undone(exc: ProviderError, remove: Callable[[], None], what: str) -> ProviderError:
    """The error to raise when a create failed after its object was made: ``exc`` once
    ``remove`` deleted the object again (a create that raises created nothing), or, if the
    removal failed too, ``Transient``: the outcome is unknown and the engine settles it
    with ``find``."""
    try:
        remove()
    except ProviderError as again:
        return Transient(f"{what}: {exc}; removing the half-made object failed too: {again}",
                         platform=exc.platform, code=exc.code)
    return exc


class GlueProvider(Provider):
    """Base of the Glue providers: the shared client, the account learnt from reads."""

    access_scope = "aws.glue"

    def __init__(self, glue: Any, region: str) -> None:
        self._glue = glue
        self._region = region
        self._catalog_id: str | None = None  # the account, learnt from the first read

    def check_access(self) -> None:
        """GetDatabases (one page of one): the credentials work for Glue."""
        with aws_errors("GetDatabases", "*"):
            self._glue.get_databases(MaxResults=1)



def fit(value: Any, shape: Any) -> Any:
    """``value`` (an answer from a Get call) cut to a botocore input ``shape``: only the
    members the shape has, at every depth. Used for read-modify-write, where an update
    replaces the whole object and must send back what dpn does not manage."""
    kind = getattr(shape, "type_name", None)
    if kind == "structure" and isinstance(value, Mapping):
        members = shape.members
        return {k: fit(v, members[k]) for k, v in value.items() if k in members}
    if kind == "list" and isinstance(value, list):
        return [fit(v, shape.member) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: fit(v, shape.value) for k, v in value.items()}
    return value


def as_input(client: Any, shape_name: str, value: Mapping[str, Any]) -> dict[str, Any]:
    """``value`` cut to the client's input shape ``shape_name`` (``TableInput``...)."""
    shape = client.meta.service_model.shape_for(shape_name)
    return dict(fit(value, shape))
