"""coderev's resources on the local stack, made by LocalStack's ready.d hook (10-coderev.sh).

    python stack.py [resources] [topics] [deploy]     (none: all three, in that order)

- resources: the bucket coderev serve uses (S3_BUCKET), the SQS queue its uploads notify
  (`coderev-s3-notifications`, the queue `coderev serve` polls) with a dead-letter queue
  after 5 receives, the queue policy letting S3 send to it, and the bucket's ObjectCreated
  notification for `uploads/` to that queue;
- topics: the Kafka topics in kafka-topics.txt beside this file, on KAFKA_BOOTSTRAP_SERVERS;
- deploy: template.yaml as the CloudFormation stack `coderev` (`aws cloudformation package`
  then `deploy`, as `sam deploy` does), unless CODEREV_DEPLOY_TEMPLATE=0. A failed deployment
  is printed with the stack's events and does not fail the hook: `coderev serve` does not
  need the stack, and LocalStack stays healthy for it.

Everything is idempotent: a second run changes nothing. It runs in LocalStack's own Python
(boto3 and the AWS CLI are in its venv) and on a developer's machine against moto_server or
LocalStack (tests/integration/test_localstack_hooks.py), so it needs nothing else: the Kafka
topics are created with one CreateTopics request written here with the standard library
(LocalStack's Python has no Kafka client, and this is the whole of what the hook needs).
Endpoint: AWS_ENDPOINT_URL (default http://localhost:4566), credentials test/test.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
NOTIFICATION_QUEUE = "coderev-s3-notifications"
DEAD_LETTER_QUEUE = "coderev-s3-notifications-dlq"
UPLOADS_PREFIX = "uploads/"
MAX_RECEIVES = 5
STACK_NAME = "coderev"
TOPIC_ALREADY_EXISTS = 36


def endpoint() -> str:
    return os.environ.get("AWS_ENDPOINT_URL", "http://localhost:4566")


def region() -> str:
    return os.environ.get("AWS_DEFAULT_REGION", "us-east-1")


def client(service: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint(),
        region_name=region(),
        aws_access_key_id=os.environ.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=os.environ.get("AWS_SECRET_ACCESS_KEY", "test"),
    )


# --- S3 and SQS -----------------------------------------------------------------------------


def create_resources(bucket: str) -> dict[str, str]:
    """The bucket, the notification queue with its DLQ, and the notification; their names."""
    s3, sqs = client("s3"), client("sqs")
    existing = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    if bucket not in existing:
        if region() == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region()}
            )
    dlq_url = sqs.create_queue(QueueName=DEAD_LETTER_QUEUE)["QueueUrl"]
    dlq_arn = queue_arn(sqs, dlq_url)
    queue_url = sqs.create_queue(QueueName=NOTIFICATION_QUEUE)["QueueUrl"]
    arn = queue_arn(sqs, queue_url)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "coderev-s3-notifications",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{bucket}"}},
            }
        ],
    }
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(MAX_RECEIVES)}
    sqs.set_queue_attributes(
        QueueUrl=queue_url,
        Attributes={"Policy": json.dumps(policy), "RedrivePolicy": json.dumps(redrive)},
    )
    current = s3.get_bucket_notification_configuration(Bucket=bucket)
    rules = [r for r in current.get("QueueConfigurations", []) if r["QueueArn"] != arn]
    rules.append(
        {
            "Id": "coderev-uploads",
            "QueueArn": arn,
            "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": UPLOADS_PREFIX}]}},
        }
    )
    configuration = {k: v for k, v in current.items() if k.endswith("Configurations")}
    configuration["QueueConfigurations"] = rules
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=configuration)
    return {"bucket": bucket, "queue": NOTIFICATION_QUEUE, "dead_letter_queue": DEAD_LETTER_QUEUE}


def queue_arn(sqs: Any, url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


# --- Kafka ----------------------------------------------------------------------------------


class KafkaError(RuntimeError):
    """The broker refused a topic, or did not answer as Kafka."""


def topics_wanted() -> list[str]:
    lines = (HERE / "kafka-topics.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def create_topics(
    bootstrap: str, topics: Sequence[str], *, partitions: int = 3, timeout_ms: int = 15000
) -> dict[str, str]:
    """CreateTopics (API 19, version 2) on the first broker; each topic: created or exists."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    body = struct.pack(">i", len(topics))
    for topic in topics:
        name = topic.encode()
        # name, partitions, replication factor 1, no assignments, no configs
        body += struct.pack(">h", len(name)) + name + struct.pack(">ihii", partitions, 1, 0, 0)
    body += struct.pack(">i?", timeout_ms, False)  # timeout, validate_only
    client_id = b"coderev-localstack-init"
    header = struct.pack(">hhih", 19, 2, 1, len(client_id)) + client_id
    request = header + body
    with socket.create_connection((host, int(port)), timeout=timeout_ms / 1000 + 5) as conn:
        conn.sendall(struct.pack(">i", len(request)) + request)
        (size,) = struct.unpack(">i", read_exactly(conn, 4))
        response = read_exactly(conn, size)
    correlation, _throttle, count = struct.unpack(">iii", response[:12])
    if correlation != 1:
        raise KafkaError(f"unexpected correlation id {correlation}")
    results, offset = {}, 12
    for _ in range(count):
        (length,) = struct.unpack(">h", response[offset : offset + 2])
        name = response[offset + 2 : offset + 2 + length].decode()
        offset += 2 + length
        (code,) = struct.unpack(">h", response[offset : offset + 2])
        offset += 2
        (message_length,) = struct.unpack(">h", response[offset : offset + 2])
        offset += 2
        message = ""
        if message_length >= 0:
            message = response[offset : offset + message_length].decode()
            offset += message_length
        if code == 0:
            results[name] = "created"
        elif code == TOPIC_ALREADY_EXISTS:
            results[name] = "exists"
        else:
            raise KafkaError(f"topic {name}: error code {code} {message}".strip())
    return results


def read_exactly(conn: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = conn.recv(size - len(data))
        if not chunk:
            raise KafkaError("the broker closed the connection")
        data += chunk
    return data


# --- the template ---------------------------------------------------------------------------


def deploy_template(template: Path, bucket: str, parameters: dict[str, str]) -> int:
    """`aws cloudformation package` + `deploy` of `template`; the CLI's exit status."""
    s3 = client("s3")
    if bucket not in {b["Name"] for b in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint(), "AWS_DEFAULT_REGION": region()}
    env.setdefault("AWS_ACCESS_KEY_ID", "test")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "test")
    aws = [sys.executable, "-m", "awscli"]
    with tempfile.TemporaryDirectory() as work:
        packaged = Path(work) / "packaged.yaml"
        package = [
            *aws, "cloudformation", "package", "--template-file", str(template),
            "--s3-bucket", bucket, "--output-template-file", str(packaged),
        ]  # fmt: skip
        status = subprocess.run(package, env=env, cwd=template.parent).returncode
        if status != 0:
            return status
        deploy = [
            *aws, "cloudformation", "deploy", "--template-file", str(packaged),
            "--stack-name", STACK_NAME, "--no-fail-on-empty-changeset",
            "--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND",
            "--parameter-overrides", *(f"{k}={v}" for k, v in parameters.items()),
        ]  # fmt: skip
        status = subprocess.run(deploy, env=env).returncode
    if status != 0:
        events = client("cloudformation").describe_stack_events(StackName=STACK_NAME)
        for event in events["StackEvents"][:20]:
            reason = event.get("ResourceStatusReason", "")
            print(f"  {event['LogicalResourceId']}: {event['ResourceStatus']} {reason}")
    return status


def main(argv: Sequence[str]) -> int:
    steps = list(argv) or ["resources", "topics", "deploy"]
    unknown = set(steps) - {"resources", "topics", "deploy"}
    if unknown:
        print(f"unknown step(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if "resources" in steps:
        made = create_resources(os.environ.get("S3_BUCKET", "coderev"))
        queues = f"queue {made['queue']} (DLQ {made['dead_letter_queue']})"
        print(f"coderev: bucket {made['bucket']}, {queues}")
    if "topics" in steps:
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
        for topic, state in create_topics(bootstrap, topics_wanted()).items():
            print(f"coderev: kafka topic {topic} {state}")
    if "deploy" in steps and os.environ.get("CODEREV_DEPLOY_TEMPLATE", "1") != "0":
        template = Path(os.environ.get("CODEREV_TEMPLATE", "/opt/coderev/template.yaml"))
        parameters = {
            "KafkaBootstrapServers": os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
        }
        status = deploy_template(template, "coderev-deploy", parameters)
        if status != 0:
            print(f"coderev: deploying {template} failed (exit {status}); the stack runs on")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
