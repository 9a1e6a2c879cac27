"""What GET /analyses/{id} tells a client about a failure: a sentence, never a trace."""

from __future__ import annotations

import json

from coderev.http.failures import MAX_MESSAGE_CHARS, public_failure

TRACE = ["  File \"/var/task/coderev/analysis/ruff_findings.py\", line 90, in run_ruff\n"]


def lambda_cause(error_type: str, message: str) -> str:
    return json.dumps({"errorMessage": message, "errorType": error_type, "stackTrace": TRACE})


def test_an_input_error_keeps_its_name_and_first_line_without_server_paths() -> None:
    cause = lambda_cause("CorruptArchiveError",
                         "pkg/a.py clashes with a directory in /tmp/coderev-ruff-x1/src/pkg/a.py\n"
                         "Traceback (most recent call last): ...")  # fmt: skip

    error, message = public_failure("A1", "CorruptArchiveError", cause)

    assert error == "CorruptArchiveError"
    assert message == "pkg/a.py clashes with a directory in a.py"
    assert "Traceback" not in message and "/tmp" not in message


def test_a_python_exception_is_an_internal_error_naming_the_analysis() -> None:
    cause = lambda_cause("FileExistsError",
                         "[Errno 17] File exists: '/tmp/coderev-ruff-abc/pkg/a.py'")  # fmt: skip

    error, message = public_failure("A2", "FileExistsError", cause)

    assert error == "InternalError"
    assert "A2" in message and "FileExists" not in message and "/tmp" not in message


def test_timeouts_say_what_to_try_and_long_messages_are_capped() -> None:
    assert public_failure("A3", "Sandbox.Timedout", "Task timed out after 120.00 seconds")[0] == (
        "Timeout")
    error, message = public_failure("A4", "ArchiveLimitError", "x" * 5000)
    assert error == "ArchiveLimitError" and len(message) == MAX_MESSAGE_CHARS
