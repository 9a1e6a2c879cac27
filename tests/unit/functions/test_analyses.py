"""functions/analyses: the HTTP API on its sample API Gateway events."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from coderev import bootstrap
from coderev.analyses.model import AnalysisStatus


def _body(response: dict[str, Any]) -> Any:
    return json.loads(response["body"])


def test_upload_accepts_an_archive_and_records_its_analysis(embedded, invoke, kit) -> None:
    response = invoke("analyses", kit.sample("analyses_upload.json"))

    assert response["statusCode"] == 202
    accepted = _body(response)
    assert accepted["status"] == "QUEUED"
    assert accepted["status_url"] == f"/analyses/{accepted['id']}"
    assert accepted["upload_key"].startswith("uploads/") and accepted["upload_key"].endswith(".zip")
    stored = bootstrap.object_store().get(accepted["upload_key"])
    assert stored == base64.b64decode(kit.sample("analyses_upload.json")["body"])
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None and record.project_id == "default"


def test_status_of_an_uploaded_analysis(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    event = kit.sample("analyses_status.json")
    event["path"] = accepted["status_url"]
    event["pathParameters"] = {"id": accepted["id"]}

    response = invoke("analyses", event)

    assert response["statusCode"] == 200
    view = _body(response)
    assert view["id"] == accepted["id"]
    assert view["status"] == "QUEUED"
    assert view["reports"] == {}


def test_unknown_ids_are_404_by_type(embedded, invoke, kit) -> None:
    for name in ("analyses_status.json", "analyses_report.json"):
        response = invoke("analyses", kit.sample(name))
        assert response["statusCode"] == 404, name
        assert _body(response)["error"] == "AnalysisNotFoundError"


def test_the_report_of_an_unfinished_analysis_is_409(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    event = kit.sample("analyses_report.json")
    event["path"] = f"/analyses/{accepted['id']}/report/md"

    response = invoke("analyses", event)

    assert response["statusCode"] == 409
    assert _body(response)["error"] == "ReportNotReadyError"


def test_a_report_answers_with_a_presigned_download_url(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    store, records = bootstrap.object_store(), bootstrap.analysis_repository()
    store.put(f"reports/{accepted['id']}/report.md", b"# coderev\n")
    records.update_status(accepted["id"], AnalysisStatus.RUNNING)
    records.update_status(accepted["id"], AnalysisStatus.SUCCEEDED,
                          report_keys={"md": f"reports/{accepted['id']}/report.md"})  # fmt: skip
    event = kit.sample("analyses_report.json")
    event["path"] = f"/analyses/{accepted['id']}/report/md"
    event["headers"] = {**event["headers"], "Host": "api.test", "Accept": "*/*"}
    event["multiValueHeaders"] = {name: [value] for name, value in event["headers"].items()}

    response = invoke("analyses", event)  # by default: a redirect
    assert response["statusCode"] == 303
    (location,) = response["multiValueHeaders"]["Location"]
    assert location.startswith(f"https://api.test/_objects/reports/{accepted['id']}/report.md?")
    assert "signature=" in location and "expires=" in location

    event["headers"]["Accept"] = "application/json"
    event["multiValueHeaders"]["Accept"] = ["application/json"]
    response = invoke("analyses", event)
    assert response["statusCode"] == 200
    link = _body(response)
    assert (link["url"], link["size"]) == (location, len(b"# coderev\n"))
    assert link["content_type"] == "text/markdown; charset=utf-8"
    lasts = datetime.fromisoformat(link["expires_at"]) - datetime.now(UTC)
    assert 0 < lasts.total_seconds() <= 300

    event["path"] = f"/analyses/{accepted['id']}/report/html"
    assert invoke("analyses", event)["statusCode"] == 404  # finished, but no html report


def test_an_unknown_report_format_is_a_validation_error(embedded, invoke, kit) -> None:
    event = kit.sample("analyses_report.json")
    event["path"] = event["path"].replace("/sarif", "/pdf")

    assert invoke("analyses", event)["statusCode"] == 422


def test_uploads_that_are_not_archives_are_refused(embedded, invoke, kit) -> None:
    event = kit.sample("analyses_upload.json")
    event["body"] = base64.b64encode(b"just some text").decode()
    response = invoke("analyses", event)
    assert response["statusCode"] == 415
    assert _body(response)["error"] == "UnsupportedUploadError"

    event["body"] = ""
    assert invoke("analyses", event)["statusCode"] == 400
    assert list(bootstrap.object_store().list("uploads/")) == []


def test_openapi_document_lists_the_routes(embedded, invoke, kit) -> None:
    response = invoke("analyses", kit.sample("analyses_openapi.json"))

    assert response["statusCode"] == 200
    document = _body(response)
    assert document["openapi"].startswith("3.")
    assert {"/analyses", "/analyses/{analysis_id}", "/analyses/{analysis_id}/report/{fmt}"} <= set(
        document["paths"]
    )
    upload = document["paths"]["/analyses"]["post"]
    assert {"202", "400", "413", "415", "422", "500"} <= set(upload["responses"])
    assert upload["requestBody"]["content"]["application/zip"]["schema"]["format"] == "binary"
    status = document["paths"]["/analyses/{analysis_id}"]["get"]["responses"]
    assert status["200"]["content"]["application/json"]["schema"]["$ref"].endswith("AnalysisView")
    report = document["paths"]["/analyses/{analysis_id}/report/{fmt}"]["get"]["responses"]
    assert {"200", "303", "404", "409"} <= set(report)
    assert "/analyses/{analysis_id}/rerun" in document["paths"]
    for path, operations in document["paths"].items():  # every error is the one ErrorView
        for method, operation in operations.items():
            for code, response in operation["responses"].items():
                if int(code) >= 400:
                    schema = response["content"]["application/json"]["schema"]["$ref"]
                    assert schema.endswith("/ErrorView"), (method, path, code)
    assert "HTTPValidationError" not in document["components"]["schemas"]


def test_every_error_has_one_shape(embedded, invoke, kit) -> None:
    """422 from Powertools' validation, 404 for an unknown id or route: `{error, message}`."""
    event = kit.sample("analyses_report.json")
    event["path"] = event["path"].replace("/sarif", "/pdf")
    answers = [invoke("analyses", event)]
    event = kit.sample("analyses_upload.json")
    event["queryStringParameters"] = {"lint_config": "mine"}
    event["multiValueQueryStringParameters"] = {"lint_config": ["mine"]}
    answers.append(invoke("analyses", event))
    event = kit.sample("analyses_status.json")
    answers.append(invoke("analyses", event))
    event["path"] = event["resource"] = "/nowhere"
    answers.append(invoke("analyses", event))

    assert [answer["statusCode"] for answer in answers] == [422, 422, 404, 404]
    bodies = [_body(answer) for answer in answers]
    assert all(set(body) == {"error", "message"} for body in bodies), bodies
    assert [body["error"] for body in bodies] == [
        "ValidationError", "ValidationError", "AnalysisNotFoundError", "NotFound"]
    assert bodies[0]["message"].startswith("path parameter fmt: Input should be 'json'")
    assert bodies[1]["message"].startswith("query parameter lint_config: String should match")
    assert bodies[3]["message"] == "no route GET /nowhere"


def test_a_failed_analysis_is_served_without_its_stack_trace(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    cause = json.dumps({"errorType": "FileExistsError", "stackTrace": ['  File "/var/task/x.py"'],
                        "errorMessage": "[Errno 17] File exists: '/tmp/coderev-ruff-1/a.py'"})
    bootstrap.analysis_repository().update_status(
        accepted["id"], AnalysisStatus.FAILED, error="FileExistsError", cause=cause)
    event = kit.sample("analyses_status.json")
    event["path"] = accepted["status_url"]

    view = _body(invoke("analyses", event))

    assert (view["status"], view["error"]) == ("FAILED", "InternalError")
    assert "/tmp" not in view["cause"] and "File" not in view["cause"]
    assert accepted["id"] in view["cause"]


def _rerun(invoke, kit, analysis_id: str) -> dict[str, Any]:
    event = kit.sample("analyses_rerun.json")
    event["path"] = f"/analyses/{analysis_id}/rerun"
    event["pathParameters"] = {"id": analysis_id}
    return invoke("analyses", event)


def test_a_failed_analysis_reruns_as_a_new_analysis_of_the_same_archive(
    embedded, invoke, kit
) -> None:
    event = kit.sample("analyses_upload.json")
    event["queryStringParameters"] = {"fail_on": "high", "project_id": "default"}
    event["multiValueQueryStringParameters"] = {"fail_on": ["high"], "project_id": ["default"]}
    accepted = _body(invoke("analyses", event))
    store, records = bootstrap.object_store(), bootstrap.analysis_repository()
    assert _rerun(invoke, kit, accepted["id"])["statusCode"] == 409  # QUEUED: still going
    records.update_status(accepted["id"], AnalysisStatus.FAILED, error="RuffError", cause="x")

    response = _rerun(invoke, kit, accepted["id"])

    assert response["statusCode"] == 202
    again = _body(response)
    assert again["id"] != accepted["id"] and again["rerun_of"] == accepted["id"]
    assert again["status"] == "QUEUED" and again["upload_key"] != accepted["upload_key"]
    assert store.get(again["upload_key"]) == store.get(accepted["upload_key"])
    copied, original = store.head(again["upload_key"]), store.head(accepted["upload_key"])
    assert copied is not None and original is not None
    assert copied.metadata["coderev-request"] == original.metadata["coderev-request"]
    assert copied.metadata["coderev-rerun-of"] == accepted["id"]
    new = records.get(again["id"])
    assert new is not None and new.project_id == "default"
    old = records.get(accepted["id"])
    assert old is not None and old.status is AnalysisStatus.FAILED  # kept as it was


def test_a_rerun_needs_the_archive_as_it_was_analysed(embedded, invoke, kit) -> None:
    accepted = _body(invoke("analyses", kit.sample("analyses_upload.json")))
    bootstrap.analysis_repository().update_status(accepted["id"], AnalysisStatus.FAILED)
    bootstrap.object_store().delete(accepted["upload_key"])  # swept by housekeeping

    response = _rerun(invoke, kit, accepted["id"])

    assert (response["statusCode"], _body(response)["error"]) == (409, "UploadGoneError")
    assert _rerun(invoke, kit, "no-such-analysis")["statusCode"] == 404
