"""template.yaml reading: Globals merge, intrinsics, parameters, events, clear errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from coderev.runtime.errors import FunctionNotFoundError, TemplateError
from coderev.runtime.template import (
    ApiEvent,
    KafkaEvent,
    S3Event,
    ScheduleEvent,
    SQSEvent,
    load_handler,
    load_template,
)
from coderev.runtime.template.intrinsics import StackIdentity, load_template_text

FIXTURES = Path(__file__).parents[2] / "fixtures"
PLATFORM = FIXTURES / "templates" / "platform.yaml"


@pytest.fixture(scope="module")
def platform():
    return load_template(PLATFORM)


def write_template(tmp_path: Path, body: str, *, handler: bool = True) -> Path:
    if handler:
        (tmp_path / "fn").mkdir(exist_ok=True)
        (tmp_path / "fn" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent(body))
    return path


FUNCTION = """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: {runtime}
{extra}
"""


def one_function(tmp_path: Path, *, runtime: str = "python3.12", extra: str = "") -> Path:
    return write_template(tmp_path, FUNCTION.format(runtime=runtime, extra=extra))


def test_short_form_tags_become_the_long_form():
    document = load_template_text(textwrap.dedent("""
        AWSTemplateFormatVersion: 2010-09-09
        A: !Ref Param
        B: !GetAtt Queue.Arn
        C: !Sub "${AWS::Region}-x"
        D: !Join [",", [a, !Ref B]]
        E: !If [Cond, !Select [0, !Split [",", "x,y"]], !ImportValue Shared]
        F: !Equals [!FindInMap [M, k, v], x]
        G: !GetAtt Nested.Attr.Deep
    """))
    assert document["AWSTemplateFormatVersion"] == "2010-09-09"
    assert document["A"] == {"Ref": "Param"}
    assert document["B"] == {"Fn::GetAtt": ["Queue", "Arn"]}
    assert document["C"] == {"Fn::Sub": "${AWS::Region}-x"}
    assert document["D"] == {"Fn::Join": [",", ["a", {"Ref": "B"}]]}
    assert document["E"] == {"Fn::If": ["Cond", {"Fn::Select": [0, {"Fn::Split": [
        ",", "x,y"]}]}, {"Fn::ImportValue": "Shared"}]}
    assert document["F"] == {"Fn::Equals": [{"Fn::FindInMap": ["M", "k", "v"]}, "x"]}
    assert document["G"] == {"Fn::GetAtt": ["Nested", "Attr.Deep"]}


def test_globals_merge_scalars_maps_and_lists(platform):
    ingest = platform.functions["IngestFunction"]
    api = platform.functions["ApiFunction"]
    assert (ingest.runtime, ingest.timeout, ingest.memory) == ("python3.12", 30, 256)
    assert (api.timeout, api.tracing) == (5, "Active")
    assert ingest.environment["STAGE"] == "overridden"
    assert api.environment["STAGE"] == "dev"
    assert ingest.environment["POWERTOOLS_SERVICE_NAME"] == "coderev"
    assert ingest.layers == (
        "arn:aws:lambda:us-east-1:123456789012:layer:coderev-core:1",
        "arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312"
        "-x86_64:7",
    )
    assert api.layers == ("arn:aws:lambda:us-east-1:123456789012:layer:coderev-core:1",)


def test_intrinsics_resolve_for_the_local_stack(platform):
    env = platform.functions["IngestFunction"].environment
    assert env["BUCKET"] == "coderev-uploads-123456789012"
    assert env["DLQ_ARN"] == "arn:aws:sqs:us-east-1:123456789012:coderev-IngestDeadLetters"
    assert env["MODE"] == "lenient"
    assert env["ZONE"] == "us-east-1-b"
    assert env["ORIGINS"] == "http://a.test http://b.test"
    assert env["PARTITION"] == "aws:us-east-1:${Literal}"
    assert env["LOG_LEVEL"] == "DEBUG"
    assert env["ENABLED"] == "true"
    assert "OPTIONAL" not in env


def test_parameter_overrides_and_identity_change_every_dependent_value():
    template = load_template(
        PLATFORM,
        parameter_overrides={"Stage": "prod", "Prefix": "acme"},
        identity=StackIdentity(region="eu-west-1", account_id="210987654321", stack_name="st"),
    )
    ingest = template.functions["IngestFunction"]
    assert ingest.function_name == "st-ingest"
    assert ingest.arn == "arn:aws:lambda:eu-west-1:210987654321:function:st-ingest"
    assert ingest.environment["MODE"] == "strict"
    assert ingest.environment["OPTIONAL"] == "yes-prod"
    assert ingest.environment["LOG_LEVEL"] == "WARNING"
    assert ingest.environment["BUCKET"] == "acme-uploads-210987654321"
    assert template.functions["ApiFunction"].environment["STAGE"] == "prod"
    assert "ProdOnlyQueue" in template.queues
    assert "ProdOnlyQueue" not in load_template(PLATFORM).queues


def test_parameter_errors_are_template_errors(tmp_path):
    with pytest.raises(TemplateError, match="not one of"):
        load_template(PLATFORM, parameter_overrides={"Stage": "qa"})
    with pytest.raises(TemplateError, match="undeclared"):
        load_template(PLATFORM, parameter_overrides={"Nope": "x"})
    path = write_template(tmp_path, FUNCTION.format(runtime="python3.12", extra="")
                          + "Parameters:\n  Needed:\n    Type: String\n")
    with pytest.raises(TemplateError, match="'Needed' has no Default"):
        load_template(path)


def test_each_event_type_is_parsed(platform):
    upload = platform.functions["IngestFunction"].events[0]
    assert upload == S3Event("Upload", bucket="UploadsBucket", events=("s3:ObjectCreated:*",),
                             prefix="uploads/", suffix=".zip")
    assert upload.matches("ObjectCreated:Put", "uploads/a.zip")
    assert not upload.matches("ObjectRemoved:Delete", "uploads/a.zip")
    assert not upload.matches("ObjectCreated:Put", "other/a.zip")
    get_analysis, proxy = platform.functions["ApiFunction"].events
    assert get_analysis == ApiEvent("GetAnalysis", path="/analyses/{id}", method="GET",
                                    authorizer="TokenAuthorizer", stage="v1")
    assert (proxy.path, proxy.method, proxy.authorizer) == ("/files/{proxy+}", "ANY", None)
    audits, managed, jobs = platform.functions["StreamFunction"].events
    assert audits == KafkaEvent("Audits", source="SelfManagedKafka",
                                topics=("coderev.analysis.completed",), batch_size=50,
                                starting_position="LATEST", consumer_group_id="audit-sink",
                                bootstrap_servers=("127.0.0.1:9092",))
    assert isinstance(managed, KafkaEvent) and managed.source == "MSK"
    assert managed.stream == "arn:aws:kafka:us-east-1:123456789012:cluster/c/1"
    assert managed.batch_size == 100
    assert jobs == SQSEvent("Jobs", queue="IngestDeadLetters", batch_size=5)
    hourly, weekdays = platform.functions["HousekeepingFunction"].events
    assert hourly == ScheduleEvent("Hourly", expression="rate(1 hour)",
                                   input={"action": "sweep"},
                                   rule_name="coderev-HousekeepingFunctionHourly")
    assert isinstance(weekdays, ScheduleEvent)
    assert (weekdays.kind, weekdays.enabled, weekdays.timezone) == (
        "ScheduleV2", False, "Europe/Paris")
    assert [f.logical_id for f, _ in platform.events_of(ApiEvent)] == ["ApiFunction"] * 2


def test_dead_letter_targets_and_retry_settings(platform):
    ingest = platform.functions["IngestFunction"]
    assert ingest.dead_letter is not None
    assert (ingest.dead_letter.logical_id, ingest.dead_letter.source) == (
        "IngestDeadLetters", "DeadLetterQueue")
    assert (ingest.maximum_retry_attempts, ingest.maximum_event_age_seconds) == (1, 600)
    assert ingest.reserved_concurrency == 5
    housekeeping = platform.functions["HousekeepingFunction"]
    assert housekeeping.dead_letter is not None
    assert housekeeping.dead_letter.source == "OnFailure"
    assert platform.functions["ApiFunction"].dead_letter is None


def test_state_machine_substitutions_resolve_to_function_arns(platform):
    machine = platform.state_machines["AnalysisStateMachine"]
    assert machine.definition_substitutions["IndexFunctionArn"] == (
        "arn:aws:lambda:us-east-1:123456789012:function:coderev-ingest")
    assert machine.arn.endswith(":stateMachine:coderev-AnalysisStateMachine")
    definition = machine.load_definition()
    task = definition["States"]["Index"]
    assert platform.function(task["Resource"]).logical_id == "IngestFunction"
    assert task["Parameters"] == {"bucket": "coderev-uploads-123456789012",
                                  "unknown": "${NotSubstituted}"}


@pytest.mark.parametrize("reference", [
    "IngestFunction",
    "coderev-ingest",
    "arn:aws:lambda:us-east-1:123456789012:function:coderev-ingest",
    "arn:aws:lambda:us-east-1:123456789012:function:coderev-ingest:$LATEST",
    "${IngestFunction.Arn}",
])
def test_functions_are_found_by_id_name_or_arn(platform, reference):
    assert platform.function(reference).logical_id == "IngestFunction"


def test_an_unknown_function_reference_is_a_typed_error(platform):
    with pytest.raises(FunctionNotFoundError, match="nope"):
        platform.function("arn:aws:lambda:us-east-1:123456789012:function:nope")


@pytest.mark.parametrize(("runtime", "extra", "prop", "message"), [
    ("nodejs20.x", "", "Runtime", "not python3.x"),
    ("python3.12", "      Handler: app.missing_file_handler\n      CodeUri: nowhere/",
     "Handler", "does not exist"),
    ("python3.12", "      Events:\n        Stream:\n          Type: Kinesis\n"
     "          Properties: {Stream: x}", "Events.Stream.Type", "'Kinesis' is not served"),
    ("python3.12", "      Environment:\n        Variables:\n"
     "          X: !If [Unknown, a, b]", "Environment", "condition 'Unknown' is not declared"),
    ("python3.12", "      Timeout: soon", "Timeout", "not a whole number"),
    ("python3.12", "      Environment:\n        Variables:\n"
     "          X: !ImportValue shared-export", "Environment", "no such export"),
    ("python3.12", "      Environment:\n        Variables:\n"
     "          X: !Cidr [10.0.0.0/16, 2, 8]", "Environment", "cannot be evaluated"),
    ("python3.12", "      Environment:\n        Variables:\n"
     "          X: !Ref Missing", "Environment", "no such parameter or resource"),
    ("python3.12", "      Events:\n        Get:\n          Type: Api\n"
     "          Properties: {Path: analyses, Method: get}", "Events.Get.Properties.Path",
     "not an absolute path"),
    ("python3.12", "    Condition: Undeclared", "Condition", "'Undeclared' is not declared"),
])
def test_templates_the_runtime_cannot_run_name_resource_and_property(
    tmp_path, runtime, extra, prop, message
):
    path = one_function(tmp_path, runtime=runtime, extra=extra)
    if "CodeUri: nowhere/" in extra:
        path.write_text(path.read_text().replace("      CodeUri: fn/\n      Handler: "
                                                 "app.handler\n", ""))
    with pytest.raises(TemplateError) as raised:
        load_template(path)
    assert raised.value.resource == "Fn"
    assert raised.value.prop == prop
    assert message in str(raised.value)
    assert "'Fn'" in str(raised.value)


def test_import_values_can_be_given(tmp_path):
    path = one_function(tmp_path, extra="      Environment:\n        Variables:\n"
                                        "          X: !ImportValue shared-export")
    template = load_template(path, imports={"shared-export": "value"})
    assert template.functions["Fn"].environment["X"] == "value"


def test_a_template_without_resources_or_with_bad_yaml_is_rejected(tmp_path):
    with pytest.raises(TemplateError, match="no Resources"):
        load_template(write_template(tmp_path, "Parameters: {}\n"))
    with pytest.raises(TemplateError, match="not valid YAML"):
        load_template(write_template(tmp_path, "Resources: [\n"))
    with pytest.raises(TemplateError, match="cannot read"):
        load_template(tmp_path / "absent.yaml")


def test_two_app_py_handlers_load_as_separate_modules(platform):
    ingest = load_handler(platform.functions["IngestFunction"])
    api = load_handler(platform.functions["ApiFunction"])
    assert ingest.__module__ != api.__module__
    assert ingest.__module__.startswith("coderev_function_IngestFunction_")
