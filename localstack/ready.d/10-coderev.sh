#!/bin/sh
# LocalStack runs the scripts in ready.d once its services are up. This one makes coderev's
# resources: bucket, notification queue + DLQ, S3 -> SQS notification, Kafka topics, and the
# CloudFormation stack of template.yaml (localstack/coderev_init/stack.py; README "The local
# stack"). A failure here marks the hook ERROR, which the compose healthcheck reports.
set -eu
python=/opt/code/localstack/.venv/bin/python
[ -x "$python" ] || python=python3
exec "$python" /etc/localstack/init/coderev_init/stack.py
