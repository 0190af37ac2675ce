"""The AWS side of the sandbox: moto's own WSGI app (S3, Glue and the rest of moto),
named per operation for the request log (IAM and other query-protocol services by their
``Action``), with injected faults in each service's real error shape (S3: XML
``<Error>``; Glue: JSON 1.1 with ``__type`` and ``x-amzn-ErrorType``; IAM: XML
``<ErrorResponse><Error>`` with ``Type``, ``Code`` and ``Message``, as botocore's query
parser reads it)."""

from __future__ import annotations

import functools
import io
import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from dpn.sandbox.faults import FaultRule
from dpn.sandbox.middleware import Headers, StartResponse, read_body

# S3 sub-resources (query keys) and the operation name stem they give
_S3_SUBRESOURCES = {
    "versioning": "BucketVersioning", "encryption": "BucketEncryption",
    "tagging": "Tagging", "publicAccessBlock": "PublicAccessBlock", "policy": "BucketPolicy",
    "acl": "Acl", "lifecycle": "BucketLifecycleConfiguration", "location": "BucketLocation",
    "cors": "BucketCors", "website": "BucketWebsite", "logging": "BucketLogging",
    "notification": "BucketNotificationConfiguration",
    "ownershipControls": "BucketOwnershipControls",
    "object-lock": "ObjectLockConfiguration", "replication": "BucketReplication",
    "uploads": "MultipartUploads", "versions": "ObjectVersions",
}
_DEFAULT_GLUE_CODES = {429: "ThrottlingException", 400: "InvalidInputException",
                       404: "EntityNotFoundException", 409: "AlreadyExistsException",
                       500: "InternalServiceException", 503: "ServiceUnavailableException"}
_DEFAULT_S3_CODES = {429: "SlowDown", 503: "SlowDown", 500: "InternalError",
                     400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchBucket",
                     409: "OperationAborted"}


def s3_operation(method: str, path: str, query: str) -> str:
    """A best-effort S3 operation name (``CreateBucket``, ``PutObject``, ...)."""
    parts = [p for p in path.split("/") if p]
    keys = [k for k in parse_qs(query, keep_blank_values=True)]
    if not parts:
        return "ListBuckets"
    on_object = len(parts) > 1
    if "delete" in keys and method == "POST":
        return "DeleteObjects"
    if on_object and "uploadId" in keys:
        return {"PUT": "UploadPart", "POST": "CompleteMultipartUpload",
                "DELETE": "AbortMultipartUpload", "GET": "ListParts"}.get(method, method)
    for key in keys:
        stem = _S3_SUBRESOURCES.get(key)
        if stem is None:
            continue
        if on_object and key == "tagging":
            stem = "ObjectTagging"
        if key in ("uploads", "versions", "location"):
            verb = "Create" if method == "POST" else "List" if key != "location" else "Get"
            if key == "uploads" and method == "POST":
                return "CreateMultipartUpload"
            return f"{verb}{stem}"
        if not on_object and key == "tagging":
            stem = "BucketTagging"
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, method.title())
        return f"{verb}{stem}"
    if on_object:
        return {"GET": "GetObject", "PUT": "PutObject", "DELETE": "DeleteObject",
                "HEAD": "HeadObject", "POST": "PostObject"}.get(method, method)
    if method == "GET":
        return "ListObjectsV2" if "list-type" in keys else "ListObjects"
    return {"PUT": "CreateBucket", "DELETE": "DeleteBucket",
            "HEAD": "HeadBucket"}.get(method, method)


class AwsBackend:
    """moto's app as a middleware backend."""

    name = "aws"

    def __init__(self) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            create_backend_app,
        )

        class Dispatcher(DomainDispatcherApplication):
            """moto's dispatcher, remembering which service serves a host: moto works
            it out again for every request by listing its own package directory (some
            180 ``stat`` calls, two fifths of a request's time)."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self.hosts: dict[str | None, Any] = {}

            def get_backend_for_host(self, host: str | None) -> Any:
                if host not in self.hosts:
                    self.hosts[host] = super().get_backend_for_host(host)
                return self.hosts[host]

        self.app = Dispatcher(create_backend_app)
        _remember_action_names()
        _managed_policies_once()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)

    def operation(self, environ: dict[str, Any]) -> str:
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        if target:
            return target.rsplit(".", 1)[-1]
        action = _query_action(environ)
        if action:
            return action
        return s3_operation(environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", ""),
                            environ.get("QUERY_STRING", ""))

    def fault_response(self, rule: FaultRule,
                       environ: dict[str, Any]) -> tuple[int, Headers, bytes]:
        status = int(rule.status or 500)
        request_id = str(uuid.uuid4())
        if environ.get("HTTP_X_AMZ_TARGET"):
            code = rule.error_code or _DEFAULT_GLUE_CODES.get(status, "InternalServiceException")
            body = json.dumps({"__type": code, "message": rule.message or code}).encode()
            return status, [("Content-Type", "application/x-amz-json-1.1"),
                            ("x-amzn-ErrorType", code), ("x-amzn-RequestId", request_id)], body
        code = rule.error_code or _DEFAULT_S3_CODES.get(status, "InternalError")
        if _query_action(environ):  # IAM and the other query-protocol services
            kind = "Sender" if status < 500 else "Receiver"
            body = ('<ErrorResponse><Error><Type>' + kind + '</Type><Code>'
                    f"{escape(code)}</Code><Message>{escape(rule.message or code)}</Message>"
                    f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>").encode()
            return status, [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)], body
        body = b"" if environ.get("REQUEST_METHOD") == "HEAD" else (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
            f"{escape(code)}</Code><Message>{escape(rule.message or code)}</Message>"
            f"<RequestId>{request_id}</RequestId></Error>").encode()
        return status, [("Content-Type", "application/xml"), ("x-amz-request-id", request_id)], body

    def reset(self) -> None:
        from werkzeug.test import EnvironBuilder

        environ = EnvironBuilder(path="/moto-api/reset", method="POST").get_environ()
        result = self.app(environ, lambda *a, **k: (lambda data: None))
        b"".join(result)


def _query_action(environ: dict[str, Any]) -> str:
    """The ``Action`` of a query-protocol request (IAM, STS: a form-encoded POST), which
    names its operation; the body is read once and put back for the backend."""
    if "dpn.query_action" in environ:
        return str(environ["dpn.query_action"])
    action = ""
    content_type = environ.get("CONTENT_TYPE", "")
    if environ.get("REQUEST_METHOD") == "POST" and content_type.startswith(
            "application/x-www-form-urlencoded"):
        body = read_body(environ)
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        values = parse_qs(body.decode("utf-8", "replace")).get("Action")
        action = values[0] if values else ""
    environ["dpn.query_action"] = action
    return action


def _remember_action_names() -> None:
    """Have moto list a response class's methods once: it inspects the class again for
    every request to find the action's handler (a fifth of a request's time), and a
    class's methods do not change while the sandbox runs."""
    import moto.core.responses as responses

    names = responses.method_names_from_class
    if not hasattr(names, "cache_info"):
        responses.method_names_from_class = functools.cache(names)


def _managed_policies_once() -> None:
    """Build the AWS managed policies for the ``aws`` partition only, from their text
    parsed once.

    moto's IAM backend builds all 1,582 of them for each partition's backend, parsing
    their 4.7 MB of JSON again each time (``IAMBackend._init_aws_policies``), and after
    every reset the first request builds the IAM backends of all six partitions, to find
    the caller's account from its access key (``get_account_id_from``): about half a
    second of CPU per reset, most of what the AWS side spends in a test run. The sandbox
    serves ``us-east-1``, of the ``aws`` partition; a role there can attach
    ``arn:aws:iam::aws:policy/...`` as before. The arguments ``from_data`` would give each
    policy (its document as JSON text, its dates) are made once too.
    """
    import moto.iam.models as iam

    if getattr(iam.IAMBackend._init_aws_policies, "dpn_once", False) or not all(
            hasattr(iam, name) for name in ("AWSManagedPolicy", "aws_managed_policies_data",
                                            "load_iam_aws_managed_policies")):
        return  # done already, or another moto's layout: leave it as it is
    made: list[tuple[str, dict[str, Any]]] = []  # AWSManagedPolicy.from_data's arguments

    def init_aws_policies(backend: Any) -> list[Any]:
        if backend.partition != "aws" or not iam.load_iam_aws_managed_policies():
            return []
        if not made:
            made.extend((name, {
                "default_version_id": data.get("DefaultVersionId"), "path": data.get("Path"),
                "document": json.dumps(data.get("Document")),
                "create_date": datetime.fromisoformat(data["CreateDate"]),
                "update_date": datetime.fromisoformat(data["UpdateDate"]),
            }) for name, data in json.loads(iam.aws_managed_policies_data).items())
        policy: Any = iam.AWSManagedPolicy
        return [policy(name, account_id=backend.account_id, region=backend.region_name,
                       **kwargs) for name, kwargs in made]

    init_aws_policies.dpn_once = True  # type: ignore[attr-defined]
    backend: Any = iam.IAMBackend
    backend._init_aws_policies = init_aws_policies
