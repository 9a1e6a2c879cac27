"""The analysis state machine of template.yaml run by the local ASL interpreter on the real
handlers: upload over HTTP → ingest → Index → Map(AnalyzeShard) → Architecture → Review →
Finalize, and the Catch → MarkFailed path. The sample step events reference an example id;
this chain builds its own."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from coderev import bootstrap
from coderev.adapters.embedded.state_machines import InProcessStateMachineStarter
from coderev.analyses.model import AnalysisStatus
from coderev.runtime.states import Interpreter, StateMachine, TaskContext, TaskFailedError
from coderev.runtime.template import load_template


class HandlerTasks:
    """Task resources (function ARNs) → the template's handlers, errors as Lambda reports them."""

    def __init__(self, kit: Any) -> None:
        self.template = load_template(kit.root / "template.yaml")
        self.by_arn = {spec.arn: spec for spec in self.template.functions.values()}
        self.kit = kit
        self.modules: dict[str, Any] = {}
        self.calls: list[str] = []

    def invoke(self, resource: str, payload: Any, context: TaskContext) -> Any:
        spec = self.by_arn[resource]
        name = spec.code_dir.name
        if name not in self.modules:
            self.modules[name] = self.kit.load_function(name)
        self.calls.append(name)
        try:
            result = self.modules[name].lambda_handler(payload, self.kit.context(name))
        except Exception as exc:
            cause = {"errorMessage": str(exc), "errorType": type(exc).__name__}
            raise TaskFailedError(type(exc).__name__, json.dumps(cause)) from exc
        return json.loads(json.dumps(result))


@pytest.fixture
def chain(embedded: Any, kit: Any) -> tuple[HandlerTasks, Interpreter, list[Any]]:
    tasks = HandlerTasks(kit)
    interpreter = Interpreter(tasks, sleeper=lambda _s: None, max_workers=2)
    spec = next(iter(tasks.template.state_machines.values()))
    machine = StateMachine.from_definition(spec.load_definition())
    executions: list[Any] = []

    def run(arn: str, _machine: str, task_input: Any) -> None:
        name = arn.rsplit(":", 1)[1]
        executions.append(interpreter.start(machine, task_input, name=name))

    bootstrap.use_state_machine_starter(InProcessStateMachineStarter(run))
    return tasks, interpreter, executions


def _post(invoke: Any, kit: Any, data: bytes) -> dict[str, Any]:
    event = kit.sample("analyses_upload.json")
    event["body"] = base64.b64encode(data).decode()
    response = invoke("analyses", event)
    assert response["statusCode"] == 202, response
    accepted: dict[str, Any] = json.loads(response["body"])
    return accepted


def _notify(invoke: Any, kit: Any, key: str) -> dict[str, Any]:
    info = bootstrap.object_store().head(key)
    assert info is not None
    event = kit.s3_record_event("coderev-123456789012-us-east-1", key, info.etag, info.version_id)
    outcome: dict[str, Any] = invoke("ingest", event)["outcomes"][0]
    return outcome


def test_an_upload_runs_the_whole_chain_to_its_reports(chain, invoke, kit) -> None:
    tasks, _interpreter, executions = chain
    accepted = _post(invoke, kit, kit.zip_archive(kit.shop))

    outcome = _notify(invoke, kit, accepted["upload_key"])

    assert outcome == {**outcome, "analysis_id": accepted["id"], "outcome": "Started"}
    [execution] = executions
    assert execution.status.value == "SUCCEEDED", (execution.error, execution.cause)
    assert tasks.calls[0] == "analysis_index"
    assert tasks.calls[-3:] == ["analysis_architecture", "analysis_review", "analysis_finalize"]
    assert "analysis_shard" in tasks.calls
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None and record.status is AnalysisStatus.SUCCEEDED
    assert record.counts["python_files"] == 3

    status = kit.sample("analyses_status.json")
    status["path"] = accepted["status_url"]
    view = json.loads(invoke("analyses", status)["body"])
    assert view["status"] == "SUCCEEDED"
    assert set(view["reports"]) == {"json", "sarif", "md", "html"}
    report = kit.sample("analyses_report.json")
    report["path"] = view["reports"]["sarif"]
    response = invoke("analyses", report)
    assert response["statusCode"] == 303  # to the presigned download URL of the report
    link = json.loads(response["body"])
    assert (link["content_type"], response["multiValueHeaders"]["Location"]) == (
        "application/sarif+json",
        [link["url"]],
    )
    assert "/_objects/reports/" in link["url"]
    sarif = bootstrap.object_store().get(record.report_keys["sarif"])
    assert json.loads(sarif)["version"] == "2.1.0" and link["size"] == len(sarif)


def test_a_failing_step_is_caught_and_marked_failed(chain, invoke, kit) -> None:
    tasks, _interpreter, executions = chain
    accepted = _post(invoke, kit, kit.zip_archive(kit.shop))
    store = bootstrap.object_store()
    # the upload is replaced between ingest's check and Index: Index refuses other bytes
    original_start = bootstrap.state_machine_starter().start

    def replace_then_start(machine: str, name: str, task_input: Any) -> str:
        store.put(accepted["upload_key"], kit.zip_archive({"other.py": "X = 2\n"}))
        return original_start(machine, name, task_input)

    bootstrap.state_machine_starter().start = replace_then_start  # type: ignore[method-assign]
    _notify(invoke, kit, accepted["upload_key"])

    [execution] = executions
    assert execution.status.value == "FAILED"
    assert execution.error == "ArchiveChangedError"
    assert tasks.calls == ["analysis_index", "analysis_failed"]
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None and record.status is AnalysisStatus.FAILED
    assert record.error == "ArchiveChangedError"
    assert "replaced" in (record.cause or "")


# --- live traffic under an experiment (coderev.experiments.live) ---------------------------


def _stored_report(record: Any) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(bootstrap.object_store().get(record.report_keys["json"]))
    return loaded


def test_an_analysis_in_an_experiment_is_reviewed_by_its_arm(
    chain: Any,
    invoke: Any,
    kit: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from coderev.auth.principal import LOCAL_ADMIN, Principal
    from coderev.experiments.arms import arm_of
    from coderev.experiments.live import AnalysisOwner
    from coderev.experiments.model import ConfigurationSpec, ExperimentPlan, Population

    monkeypatch.setattr(AnalysisOwner, "__call__", lambda self, _id: ("default", "shop"))
    monkeypatch.setenv("CODEREV_FEEDBACK_MIN_VOTES", "2")
    monkeypatch.setenv("CODEREV_FEEDBACK_URL", "http://127.0.0.1:8080/feedback/new")
    service = bootstrap.experiments()
    service.create_configuration(LOCAL_ADMIN, "prod", ConfigurationSpec())
    quiet = ConfigurationSpec(severity_policy={"min_severity": "critical"})
    service.create_configuration(LOCAL_ADMIN, "quiet", quiet)
    exp = service.create(LOCAL_ADMIN, name="quiet", baseline="prod", candidate="quiet",
                         plan=ExperimentPlan("comments_per_kloc", split=50),
                         population=Population(projects=("shop",)))  # fmt: skip
    service.transition(LOCAL_ADMIN, exp.id, "start")
    arm = arm_of(service.get("default", exp.id), "shop")
    for user in ("u-1", "u-2"):  # the project's users dismiss S101
        service.record_feedback(Principal(user, "default", frozenset({"reviewer"}), "user"),
                                analysis_id="earlier", fingerprint="x", verdict="dismissed",
                                rule_id="S101", project="shop")  # fmt: skip

    _tasks, _interpreter, executions = chain
    accepted = _post(invoke, kit, kit.zip_archive(kit.shop))
    _notify(invoke, kit, accepted["upload_key"])
    [execution] = executions
    assert execution.status.value == "SUCCEEDED", (execution.error, execution.cause)
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None
    report = _stored_report(record)
    context = report["review_context"]
    expected = "quiet@1" if arm == "candidate" else "prod@1"
    assert (context["configuration"], context["arm"], context["experiment_id"]) == (
        expected,
        arm,
        exp.id,
    )
    assert context["collapsed_rules"] == ["S101"] and context["acceptance"] == {"S101": 0.0}
    if arm == "candidate":
        assert all(f["severity"] == "critical" for f in report["findings"])
    html = bootstrap.object_store().get(record.report_keys["html"]).decode()
    assert exp.id in html and "shown collapsed" in html
    md = bootstrap.object_store().get(record.report_keys["md"]).decode()
    assert context["feedback_url"] == "http://127.0.0.1:8080/feedback/new"
    if report["findings"]:  # each finding links its verdicts
        assert "http://127.0.0.1:8080/feedback/new?analysis=" in md

    [pair] = service.pairs("default", exp.id, "live")
    assert pair["task"] == accepted["id"]
    quiet_arm, prod_arm = pair["candidate"], pair["baseline"]
    assert quiet_arm["findings"] < prod_arm["findings"]  # the stricter policy reports fewer
    assert quiet_arm["failed"] is False and quiet_arm["comments_per_kloc"][1] > 0


def test_outside_experiments_the_configuration_in_force_reviews(
    chain: Any, invoke: Any, kit: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from coderev.auth.principal import LOCAL_ADMIN
    from coderev.experiments.live import AnalysisOwner
    from coderev.experiments.model import ConfigurationSpec

    monkeypatch.setattr(AnalysisOwner, "__call__", lambda self, _id: ("default", "shop"))
    quiet = bootstrap.experiments().create_configuration(
        LOCAL_ADMIN, "quiet", ConfigurationSpec(severity_policy={"min_severity": "critical"})
    )
    asked: list[tuple[str, str | None]] = []

    def in_force(tenant: str, project: str | None) -> Any:
        asked.append((tenant, project))
        return quiet

    monkeypatch.setattr(bootstrap, "configuration_in_force", lambda: in_force)
    _tasks, _interpreter, executions = chain
    accepted = _post(invoke, kit, kit.zip_archive(kit.shop))
    _notify(invoke, kit, accepted["upload_key"])
    [execution] = executions
    assert execution.status.value == "SUCCEEDED", (execution.error, execution.cause)
    record = bootstrap.analysis_repository().get(accepted["id"])
    assert record is not None
    report = _stored_report(record)
    assert asked == [("default", "shop")]
    assert report["review_context"]["configuration"] == "quiet@1"
    assert report["review_context"]["experiment_id"] is None
    assert all(f["severity"] == "critical" for f in report["findings"])
