"""functions/analyses: presigned uploads, file names and the analysis request, on API Gateway
events (the samples, changed where a case needs it)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from coderev import bootstrap
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.analyses.model import AnalysisStatus
from coderev.domain.lint import LintConfigMode
from coderev.pipeline.request import METADATA_KEY, ReviewRequest

BUCKET = "coderev-123456789012-us-east-1"


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def _with_query(event: dict[str, Any], **params: str | list[str]) -> dict[str, Any]:
    multi = {name: value if isinstance(value, list) else [value] for name, value in params.items()}
    event["multiValueQueryStringParameters"] = multi
    event["queryStringParameters"] = {name: values[-1] for name, values in multi.items()}
    return event


def _header(event: dict[str, Any], name: str, value: str) -> dict[str, Any]:
    event["headers"][name] = value
    event["multiValueHeaders"][name] = [value]
    return event


def _succeeded(records: Any, store: Any, kit: Any, invoke: Any) -> str:
    """An analysis that finished with a report.json (what a baseline must have)."""
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    key = f"reports/{accepted['id']}/report.json"
    store.put(key, b"{}")
    records.update_status(accepted["id"], AnalysisStatus.RUNNING)
    records.update_status(accepted["id"], AnalysisStatus.SUCCEEDED, report_keys={"json": key})
    return str(accepted["id"])


# --- POST /analyses/uploads ---------------------------------------------------------------------


def test_presigning_reserves_the_analysis_and_says_how_to_upload(embedded, invoke, kit) -> None:
    response = invoke("analyses", kit.sample("analyses_presign.json"))

    assert response["statusCode"] == 201
    ticket = _body(response)
    assert response["multiValueHeaders"]["Location"] == [ticket["status_url"]]
    assert ticket["status_url"] == f"/analyses/{ticket['id']}"
    assert (ticket["status"], ticket["awaiting_upload"]) == ("QUEUED", True)
    assert ticket["upload_key"].startswith("uploads/")
    assert ticket["upload_key"].endswith("/shop.zip")
    upload = ticket["upload"]
    assert upload["method"] == "PUT"
    # the embedded store's URL is made absolute on the host the client called
    assert upload["url"].startswith(
        "https://abc123defg.execute-api.us-east-1.amazonaws.com/_objects/uploads/"
    )
    assert set(parse_qs(urlsplit(upload["url"]).query)) == {"expires", "signature"}
    request = ReviewRequest.from_metadata(
        {METADATA_KEY: upload["headers"]["x-amz-meta-" + METADATA_KEY]}
    )
    assert (request.fail_on, request.exclude) == ("high", ("docs/*", "tests/*"))
    record = bootstrap.analysis_repository().get(ticket["id"])
    assert record is not None and record.awaiting_upload and record.project_id == "default"
    assert bootstrap.object_store().head(ticket["upload_key"]) is None  # nothing stored yet

    status = kit.sample("analyses_status.json")
    status["path"] = ticket["status_url"]
    view = _body(invoke("analyses", status))
    assert (view["status"], view["awaiting_upload"], view["source"]) == ("QUEUED", True, "shop.zip")


def test_the_upload_claims_the_reserved_analysis_at_ingest(embedded, invoke, kit) -> None:
    starter = InProcessStateMachineStarter()
    bootstrap.use_state_machine_starter(starter)
    ticket = _body(invoke("analyses", kit.sample("analyses_presign.json")))
    store = bootstrap.object_store()
    metadata = {
        name.removeprefix("x-amz-meta-"): value
        for name, value in ticket["upload"]["headers"].items()
    }
    # what the gateway (or S3) does with the PUT, then the notification it causes
    info = store.put(ticket["upload_key"], kit.zip_archive(kit.shop), metadata=metadata)
    event = kit.s3_record_event(BUCKET, ticket["upload_key"], info.etag, info.version_id)

    first = invoke("ingest", event)["outcomes"][0]
    again = invoke("ingest", event)["outcomes"][0]

    assert (first["outcome"], first["analysis_id"]) == ("Started", ticket["id"])
    assert (again["outcome"], again["analysis_id"]) == ("Duplicate", ticket["id"])
    assert len(starter.started) == 1
    status = kit.sample("analyses_status.json")
    status["path"] = ticket["status_url"]
    view = _body(invoke("analyses", status))
    assert (view["id"], view["awaiting_upload"]) == (ticket["id"], False)
    assert len(bootstrap.analysis_repository().list()) == 1


def test_presigning_without_a_file_name_keys_the_upload_by_its_id(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_presign.json"))

    ticket = _body(invoke("analyses", event))

    assert ticket["upload_key"].count("/") == 1  # uploads/<uuid>
    assert ticket["upload"]["headers"] == {}  # no request: nothing to send but the body


# --- file names ---------------------------------------------------------------------------------


def test_a_file_name_names_the_upload_and_the_reports_source(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"), filename="../../My Shop v2.zip")

    accepted = _body(invoke("analyses", event))

    assert accepted["upload_key"].startswith("uploads/")
    assert accepted["upload_key"].endswith("/My_Shop_v2.zip")
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None and record.source_name == "My_Shop_v2.zip"


def test_content_disposition_names_the_upload_too(embedded, invoke, kit) -> None:
    event = _header(kit.sample("analyses_upload.json"), "Content-Disposition",
                    "attachment; filename*=UTF-8''caf%C3%A9.tar.gz")  # fmt: skip

    accepted = _body(invoke("analyses", event))

    assert accepted["upload_key"].endswith("/café.tar.gz")


def test_without_a_name_the_key_is_as_before(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    assert accepted["upload_key"].count("/") == 1 and accepted["upload_key"].endswith(".zip")


def test_a_file_name_with_nothing_usable_is_422(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"), filename="../..")

    response = invoke("analyses", event)

    assert response["statusCode"] == 422
    assert _body(response)["error"] == "InvalidFilenameError"
    assert list(bootstrap.object_store().list("uploads/")) == []


# --- the analysis request -----------------------------------------------------------------------


def test_the_request_travels_as_the_uploads_metadata(embedded, invoke, kit) -> None:
    records, store = bootstrap.analysis_repository(), bootstrap.object_store()
    baseline = _succeeded(records, store, kit, invoke)
    event = _with_query(kit.sample("analyses_upload.json"), baseline=baseline,
                        fail_on="new-high", exclude=["docs/*", "vendor/**"])  # fmt: skip

    accepted = _body(invoke("analyses", event))

    info = store.head(accepted["upload_key"])
    assert info is not None
    request = ReviewRequest.from_metadata(info.metadata)
    assert request.baseline_key == f"reports/{baseline}/report.json"
    assert (request.fail_on, request.exclude) == ("new-high", ("docs/*", "vendor/**"))
    assert "uploaded-at" in info.metadata


def test_allowing_unsupported_contracts_travels_with_the_upload(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"), fail_on="architecture",
                        allow_unsupported_contracts="true")  # fmt: skip
    accepted = _body(invoke("analyses", event))
    info = bootstrap.object_store().head(accepted["upload_key"])
    assert info is not None
    request = ReviewRequest.from_metadata(info.metadata)
    assert (request.fail_on, request.allow_unsupported_contracts) == ("architecture", True)
    assert ReviewRequest.parse(request.as_json()) == request


def test_the_lint_configuration_choice_travels_too(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"), lint_config="isolated")
    info = bootstrap.object_store().head(_body(invoke("analyses", event))["upload_key"])
    assert info is not None
    assert ReviewRequest.from_metadata(info.metadata).lint_config is LintConfigMode.ISOLATED

    event = _with_query(kit.sample("analyses_presign.json"), lint_config="isolated")
    headers = _body(invoke("analyses", event))["upload"]["headers"]
    request = ReviewRequest.from_metadata({METADATA_KEY: headers["x-amz-meta-" + METADATA_KEY]})
    assert request.lint_config is LintConfigMode.ISOLATED


@pytest.mark.parametrize("sample", ["analyses_upload.json", "analyses_presign.json"])
def test_an_unknown_lint_configuration_is_422(embedded, invoke, kit, sample) -> None:
    response = invoke("analyses", _with_query(kit.sample(sample), lint_config="everything"))

    assert response["statusCode"] == 422
    assert bootstrap.analysis_repository().list() == []


def test_the_reviewer_travels_with_the_upload(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"), reviewer="anthropic:claude-sonnet-4-0")
    info = bootstrap.object_store().head(_body(invoke("analyses", event))["upload_key"])
    assert info is not None
    assert ReviewRequest.from_metadata(info.metadata).reviewer == "anthropic:claude-sonnet-4-0"


@pytest.mark.parametrize("reviewer", ["gpt-4.1", "openai:", "mistral:large"])
def test_an_unknown_reviewer_is_422(embedded, invoke, kit, reviewer: str) -> None:
    response = invoke("analyses", _with_query(kit.sample("analyses_upload.json"),
                                              reviewer=reviewer))  # fmt: skip
    assert response["statusCode"] == 422
    assert bootstrap.analysis_repository().list() == []


def test_no_request_means_no_request_metadata(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    info = bootstrap.object_store().head(accepted["upload_key"])
    assert info is not None and METADATA_KEY not in info.metadata


@pytest.mark.parametrize("sample", ["analyses_upload.json", "analyses_presign.json"])
def test_a_malformed_gate_is_422_and_nothing_is_recorded(embedded, invoke, kit, sample) -> None:
    event = _with_query(kit.sample(sample), fail_on="catastrophic")

    response = invoke("analyses", event)

    assert response["statusCode"] == 422
    assert _body(response)["error"] == "RequestError"
    assert "catastrophic" in _body(response)["message"]
    assert bootstrap.analysis_repository().list() == []


@pytest.mark.parametrize("sample", ["analyses_upload.json", "analyses_presign.json"])
def test_a_baseline_without_a_report_is_422(embedded, invoke, kit, sample) -> None:
    unknown = invoke("analyses", _with_query(kit.sample(sample), baseline="no-such-analysis"))
    assert unknown["statusCode"] == 422
    assert _body(unknown)["error"] == "BaselineUnavailableError"
    assert "does not exist" in _body(unknown)["message"]

    queued = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    unfinished = invoke("analyses", _with_query(kit.sample(sample), baseline=queued["id"]))
    assert unfinished["statusCode"] == 422
    assert "QUEUED and has no report.json" in _body(unfinished)["message"]


def test_a_request_too_large_for_object_metadata_is_422(embedded, invoke, kit) -> None:
    event = _with_query(kit.sample("analyses_upload.json"),
                        exclude=[f"generated/module_{n:04d}/**" for n in range(120)])  # fmt: skip

    response = invoke("analyses", event)

    assert response["statusCode"] == 422
    assert "2048" in _body(response)["message"]


# --- the OpenAPI document and Swagger UI --------------------------------------------------------


def test_the_openapi_document_describes_presigned_uploads(embedded, invoke, kit) -> None:
    document = _body(invoke("analyses", kit.sample("analyses_openapi.json")))

    presign = document["paths"]["/analyses/uploads"]["post"]
    assert {"201", "422"} <= set(presign["responses"])
    assert {p["name"] for p in presign["parameters"]} == {
        "project_id", "filename", "baseline", "fail_on", "exclude",
        "allow_unsupported_contracts", "lint_config", "reviewer"}  # fmt: skip
    exclude = next(p for p in presign["parameters"] if p["name"] == "exclude")
    assert exclude["schema"]["anyOf"][0]["type"] == "array"
    upload = document["paths"]["/analyses"]["post"]
    assert {"202", "415", "422"} <= set(upload["responses"])
    assert "UploadTicket" in document["components"]["schemas"]


def test_swagger_ui_shows_the_document(embedded, invoke, kit) -> None:
    event = kit.sample("analyses_openapi.json")
    event["path"] = "/swagger"

    page = invoke("analyses", event)
    assert page["statusCode"] == 200
    assert page["multiValueHeaders"]["Content-Type"] == ["text/html"]
    assert "SwaggerUIBundle" in page["body"] and "/analyses/uploads" in page["body"]

    as_json = invoke("analyses", _with_query(event, format="json"))
    assert _body(as_json)["paths"].keys() >= {"/analyses", "/analyses/uploads"}


# --- cold start ---------------------------------------------------------------------------------


def test_the_cold_import_leaves_what_only_some_requests_need(kit) -> None:
    """Use cases, the error table, backends and Powertools' OpenAPI models are imported by
    the request that needs them, not by the import every cold start pays for."""
    handler = str(kit.root / "functions" / "analyses" / "app.py")
    probe = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('cold', {handler!r})\n"
        "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    loaded = set(
        subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, check=True
        ).stdout.split()
    )

    for module in ("coderev.http.errors", "coderev.service.uploads", "coderev.config",
                   "coderev.pipeline.request", "sqlalchemy", "boto3",
                   "aws_lambda_powertools.event_handler.openapi.models",
                   "aws_lambda_powertools.event_handler.openapi.swagger_ui"):  # fmt: skip
        assert module not in loaded, module
    assert "coderev.http.models" in loaded  # the response models: every route returns one
