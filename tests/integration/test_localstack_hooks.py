"""localstack/coderev_init/stack.py (the ready.d hook) against moto_server and a Kafka broker.

The hook's resources step (bucket, notification queue + DLQ with its redrive policy, the
S3 -> SQS notification for uploads/) runs against moto_server (S3_ENDPOINT), and its topics
step sends its hand-written CreateTopics request to the Tansu broker (KAFKA_BOOTSTRAP_SERVERS),
read back with kafka-python. LocalStack itself is not run here: localstack-core from PyPI does
not start on this machine (README "The local stack" says why). The deploy step needs
LocalStack's CloudFormation and Lambda: not run here.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote_plus

import boto3
import pytest
import yaml

pytestmark = pytest.mark.integration

HOOK = Path(__file__).resolve().parents[2] / "localstack" / "coderev_init" / "stack.py"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("coderev_localstack_hook", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def hook(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("AWS_ENDPOINT_URL", s3_endpoint)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    yield load_hook()


def aws(service: str, endpoint: str) -> Any:
    return boto3.client(
        service, endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
    )  # fmt: skip


def test_resources_make_the_bucket_queues_and_notification_and_an_upload_arrives(
    hook: ModuleType, s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    bucket = fresh_name("coderev")
    made = hook.create_resources(bucket)
    assert made == {
        "bucket": bucket,
        "queue": "coderev-s3-notifications",
        "dead_letter_queue": "coderev-s3-notifications-dlq",
    }
    again = hook.create_resources(bucket)  # idempotent: a second ready.d run changes nothing
    assert again == made
    s3, sqs = aws("s3", s3_endpoint), aws("sqs", s3_endpoint)
    rules = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert len(rules) == 1
    assert rules[0]["Events"] == ["s3:ObjectCreated:*"]
    assert rules[0]["Filter"]["Key"]["FilterRules"][0]["Value"] == "uploads/"
    queue_url = sqs.get_queue_url(QueueName="coderev-s3-notifications")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"].endswith(":coderev-s3-notifications-dlq")
    assert int(redrive["maxReceiveCount"]) == 5
    assert json.loads(attributes["Policy"])["Statement"][0]["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}
    }

    # what the notification delivers: an upload under uploads/ is on the queue, others are not
    sqs.purge_queue(QueueUrl=queue_url)
    s3.put_object(Bucket=bucket, Key="reports/ignored.json", Body=b"{}")
    s3.put_object(Bucket=bucket, Key="uploads/repo.tar.gz", Body=b"archive")
    keys: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not keys:
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            for record in json.loads(message["Body"]).get("Records", []):
                if record["s3"]["bucket"]["name"] == bucket:
                    # S3 URL-encodes the key (moto encodes its `/` too)
                    keys.append(unquote_plus(record["s3"]["object"]["key"]))
    assert keys == ["uploads/repo.tar.gz"]


def test_the_coderev_serve_worker_can_take_the_queue_over(
    hook: ModuleType, s3_endpoint: str, fresh_name: Callable[[str], str]
) -> None:
    """`coderev serve` points the bucket at the same queue again when it starts: the queue the
    hook made with a redrive policy is accepted (CreateQueue without attributes)."""
    from coderev.adapters.s3 import S3ObjectStore

    bucket = fresh_name("coderev")
    hook.create_resources(bucket)
    store = S3ObjectStore(bucket, endpoint_url=s3_endpoint, region="us-east-1")
    url = store.configure_notifications("coderev-s3-notifications", prefix="uploads/")
    assert url.endswith("/coderev-s3-notifications")
    rules = aws("s3", s3_endpoint).get_bucket_notification_configuration(Bucket=bucket)
    assert len(rules["QueueConfigurations"]) == 1


def test_topics_are_created_once_on_the_broker(
    kafka_bootstrap_servers: str, fresh_name: Callable[[str], str]
) -> None:
    from kafka import KafkaConsumer

    hook = load_hook()
    topics = [fresh_name("coderev.analysis.completed"), fresh_name("coderev.analysis.failed")]
    assert hook.create_topics(kafka_bootstrap_servers, topics) == dict.fromkeys(topics, "created")
    assert hook.create_topics(kafka_bootstrap_servers, topics) == dict.fromkeys(topics, "exists")
    consumer = KafkaConsumer(bootstrap_servers=kafka_bootstrap_servers)
    try:
        assert set(topics) <= consumer.topics()
        assert consumer.partitions_for_topic(topics[0]) == {0, 1, 2}
    finally:
        consumer.close()


def test_the_topic_list_has_every_topic_a_function_of_the_template_consumes() -> None:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    template = yaml.load(TEMPLATE.read_text(), Loader=Loader)
    consumed = {
        topic
        for resource in template["Resources"].values()
        for event in (resource.get("Properties") or {}).get("Events", {}).values()
        if event["Type"] in ("SelfManagedKafka", "MSK")
        for topic in event["Properties"]["Topics"]
    }
    assert consumed
    assert consumed <= set(load_hook().topics_wanted())
    assert all(re.match(r"^coderev\.[a-z_]+\.[a-z_]+$", t) for t in load_hook().topics_wanted())
