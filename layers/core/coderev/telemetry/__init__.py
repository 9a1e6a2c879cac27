"""Telemetry: traces, metrics and logs of the platform, off and free unless asked for.

- `tracing`: OpenTelemetry spans — one trace per analysis from the HTTP request or S3 event
  through ingest, every state (Map iterations included), every function invocation and model
  call; the context crosses threads (`carry`), execution inputs and Kafka headers (`carrier`).
- `metrics`: Prometheus in `coderev serve` (`GET /metrics`), EMF on AWS, nothing elsewhere.
- `logs`: JSON log lines with the trace and span ids.

Importing this package imports none of the SDKs, nor its modules (`from coderev.telemetry
import tracing` loads that one only): each SDK is imported when first turned on, so a handler's
cold start does not pay for telemetry nobody receives (measured: `tracing` alone ~2 ms).
"""
