"""The databricks-sdk client the providers share: the SDK's own API classes over one
``ApiClient``, loaded without running the SDK package's ``__init__``.

``import databricks.sdk`` (or of anything under it) first runs
``databricks/sdk/__init__.py``, which imports every service module of the SDK to build
``WorkspaceClient``: over thirty modules of generated dataclasses, about 1.2 s of CPU in
databricks-sdk 0.162 on every ``dpn`` command that touches Databricks. dpn calls eleven
APIs from four of them (catalog, compute, jobs, iam). So, when nothing has imported the
SDK yet, :func:`load_sdk` registers the package without running its ``__init__``; the
first lookup of one of the package's own names (``from databricks.sdk import
WorkspaceClient`` in a program that also uses dpn as a library) runs it then, so the
package stays whole for everyone else. Submodules import as usual.

:class:`Workspace` offers the attributes of ``WorkspaceClient`` that the providers use,
built the way ``WorkspaceClient.__init__`` builds them (``ClustersExt`` and ``JobsExt``
where it uses those), so a ``WorkspaceClient`` can stand in for it.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from typing import Any

PACKAGE = "databricks.sdk"
_RUN = threading.RLock()  # the package's __init__ runs once
_LOAD = threading.Lock()  # the package is registered once


def load_sdk() -> None:
    """Make ``databricks.sdk`` importable without its ``__init__`` having run (a no-op
    when it is imported already)."""
    with _LOAD:
        if PACKAGE not in sys.modules:
            _register()


def _register() -> None:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.loader is None:  # not installed: the import below says so
        return
    package = importlib.util.module_from_spec(spec)
    ran: list[bool] = []

    def __getattr__(name: str) -> Any:
        if (name.startswith("__") and name != "__all__"
                or importlib.util.find_spec(f"{PACKAGE}.{name}")):
            raise AttributeError(name)  # a submodule: the import system loads it
        with _RUN:  # another thread waits for the whole package; __init__ itself does not
            if not ran:
                ran.append(True)
                assert spec.loader is not None
                spec.loader.exec_module(package)  # the whole package, for its own name
                package.__dict__.pop("__getattr__", None)
        try:
            return package.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from None

    package.__dict__["__getattr__"] = __getattr__
    sys.modules[PACKAGE] = package


#: ``WorkspaceClient``'s attribute -> the module and class it builds for it.
APIS: dict[str, tuple[str, str]] = {
    **{name: ("databricks.sdk.service.catalog", cls) for name, cls in (
        ("catalogs", "CatalogsAPI"), ("schemas", "SchemasAPI"), ("tables", "TablesAPI"),
        ("volumes", "VolumesAPI"), ("grants", "GrantsAPI"), ("metastores", "MetastoresAPI"),
        ("storage_credentials", "StorageCredentialsAPI"),
        ("external_locations", "ExternalLocationsAPI"))},
    "clusters": ("databricks.sdk.mixins.compute", "ClustersExt"),
    "jobs": ("databricks.sdk.mixins.jobs", "JobsExt"),
    "current_user": ("databricks.sdk.service.iam", "CurrentUserAPI"),
}


class Workspace:
    """The APIs of one workspace that dpn calls, over one ``ApiClient``; each API's module
    is imported when the API is first used (a blueprint without jobs never loads the
    jobs service). Where an SDK release has moved a class, the one ``WorkspaceClient``
    uses for that attribute is taken instead."""

    def __init__(self, config: Any) -> None:
        # ``config`` is a databricks.sdk Config: the package is registered (or whole) by now
        from databricks.sdk.core import ApiClient

        self.config = config
        self.api_client = ApiClient(config)
        _reuse_environment(self.api_client, config.host)

    def __getattr__(self, name: str) -> Any:
        if name not in APIS:
            raise AttributeError(name)
        module, cls = APIS[name]
        try:
            made = getattr(importlib.import_module(module), cls)
        except (ImportError, AttributeError):  # an SDK laid out otherwise: ask its client
            from databricks.sdk import WorkspaceClient

            made = type(getattr(WorkspaceClient(config=self.config), name))
        api = made(self.api_client)
        setattr(self, name, api)  # later lookups find it without coming here
        return api


def _reuse_environment(api: Any, host: str) -> None:
    """Read the environment's proxies and CA bundle once, not on every request.

    A ``requests.Session`` that trusts the environment looks up ``*_PROXY``,
    ``NO_PROXY`` and ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` for each request it sends
    (``Session.merge_environment_settings``), about a quarter of the client's CPU per
    call; the host is fixed, so the answers are too. Plain-HTTP hosts (the sandbox) get
    the SDK's HTTPS connection pool as well, so that parallel calls keep their
    connections instead of overflowing requests' default pool of ten.
    """
    import requests

    session = getattr(getattr(api, "_api_client", None), "_session", None)
    if not isinstance(session, requests.Session):
        return  # another SDK layout: keep its own behaviour
    session.proxies.update(requests.utils.get_environ_proxies(host))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle and session.verify is True:
        session.verify = bundle
    session.trust_env = False
    session.mount("http://", session.get_adapter("https://"))


__all__ = ["APIS", "Workspace", "load_sdk"]
