"""The analysis service's use cases behind the functions in `functions/`.

- `ingest`: an upload landed under `uploads/` → validate, record, start the state machine.
- `uploads`: accept an archive over HTTP; read an analysis and its reports.
- `housekeeping`: delete stale uploads and expired records.
- `task_inputs`: the pydantic models of the state machine's task inputs.
- `observability`: Powertools Logger/Metrics/Tracer for the handlers, cheap when not on AWS.
- `errors`: the room's error types; HTTP maps them by type (coderev.http.errors).
"""
