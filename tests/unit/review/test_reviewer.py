"""The reviewer registry: offline by default, AI reviewers plug in by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from coderev.domain.errors import ConfigError
from coderev.domain.review import Review
from coderev.review import registry
from coderev.review.offline import OfflineReviewer
from coderev.review.registry import get_reviewer, register_reviewer, reviewer_names
from coderev.review.reviewer import ReviewInput


class EchoReviewer:
    def __init__(self, name: str) -> None:
        self.name = name

    def review(self, subject: ReviewInput) -> Review:
        return Review(reviewer=self.name, summary=subject.source, comments=())


@pytest.fixture
def clean_registry() -> Iterator[None]:
    saved = dict(registry._FACTORIES)
    yield
    registry._FACTORIES.clear()
    registry._FACTORIES.update(saved)


def test_default_is_the_offline_reviewer() -> None:
    reviewer = get_reviewer()
    assert isinstance(reviewer, OfflineReviewer)
    assert reviewer.name == "offline"
    assert isinstance(get_reviewer(" Offline "), OfflineReviewer)


def test_unknown_name_is_a_config_error_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match=r"unknown reviewer 'gpt'.*offline"):
        get_reviewer("gpt")


def test_registered_provider_serves_its_models(clean_registry: None, build) -> None:
    register_reviewer("echo", EchoReviewer)
    assert "echo" in reviewer_names()
    reviewer = get_reviewer("echo:Some-Model-7B")
    assert reviewer.name == "echo:Some-Model-7B"  # the model keeps its case
    assert reviewer.review(build.subject()).summary == "pkg-1.0"


@pytest.mark.parametrize("bad", ["", "  ", "a:b"])
def test_register_rejects_unusable_names(clean_registry: None, bad: str) -> None:
    with pytest.raises(ConfigError):
        register_reviewer(bad, EchoReviewer)
