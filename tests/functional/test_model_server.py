"""`coderev model-server`: a scripted model a user points the SDKs at. It answers coderev's
own review prompt with comments that pass coderev's reply checks, and plays a script's faults
first."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from coderev.domain.errors import ProviderRateLimited
from coderev.domain.findings import Category, Finding, Severity
from coderev.domain.roles import FileRole
from coderev.ports import ChatMessage, CompletionRequest
from coderev.providers.sdk import build_provider
from coderev.review.ai.chunks import Chunk, ChunkFile, render_chunk
from coderev.review.ai.prompt import load_prompt
from coderev.review.ai.replies import check_comments, parse_reply

FILE = ChunkFile(
    "src/shop/orders.py", FileRole.SOURCE, 10, 12,
    ("def pay(db, id):", '    db.execute(f"update orders set paid = 1 where id = {id}")', ""),
    ("module shop.orders",),
)  # fmt: skip
FINDING = Finding("S608", Severity.HIGH, Category.SECURITY, "src/shop/orders.py", 11,
                  "Possible SQL injection vector", "", "fp-1")  # fmt: skip


@pytest.fixture
def model_server(tmp_path: Path) -> Iterator[str]:
    script = tmp_path / "script.json"
    script.write_text(json.dumps([{"fault": "rate_limit", "retry_after": 5}]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "coderev.cli", "model-server", "--port", "0", "--script",
         str(script)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ),
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("coderev model-server on http://127.0.0.1:"), (
            first + proc.stderr.read() if proc.poll() is not None else first)  # fmt: skip
        yield first.split()[3]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=10)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
def test_it_answers_coderevs_review_prompt_after_its_scripted_fault(model_server: str, kind: str):
    prompt = load_prompt()
    request = CompletionRequest(
        model="demo", system=prompt.system,
        messages=(ChatMessage("user", render_chunk(prompt, [FILE], [FINDING])),),
    )  # fmt: skip
    base = f"{model_server}/v1" if kind == "openai" else model_server
    provider = build_provider(kind, api_key="any", base_url=base)
    with pytest.raises(ProviderRateLimited) as caught:  # the script's one step
        provider.complete(request)
    assert caught.value.retry_after == 5.0
    done = provider.complete(request)
    kept, dropped = check_comments(
        parse_reply(done.text, prompt), Chunk(0, (FILE,), (FINDING,), 900), prompt, "demo"
    )
    assert kept and not dropped
    assert kept[0].line == 11 and kept[0].category is Category.SECURITY
