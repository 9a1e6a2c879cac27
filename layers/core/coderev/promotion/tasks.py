"""The inputs the promotion state machine gives its Task states (promotion.asl.json), checked
by `PromotionTask.from_event`; a malformed one raises InvalidPromotionTaskError, which the
machine's Catch sends to Notify(failed) like any other step error. No pydantic: a few fields."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Self

from coderev.promotion.errors import InvalidPromotionTaskError

if TYPE_CHECKING:
    from coderev.auth.principal import Principal

__all__ = ["PromotionTask", "new_promotion_id", "promotion_input"]

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,79}")


def new_promotion_id() -> str:
    import uuid

    return f"promo-{uuid.uuid4().hex[:20]}"


def promotion_input(promotion_id: str, experiment_id: str, requester: Principal) -> dict[str, Any]:
    """The execution input: which promotion, of which experiment, asked by whom (the
    principal as the authorizer's context: strings only, no credential)."""
    context = requester.to_context()
    context.pop("tokenId", None)
    return {"promotion_id": promotion_id, "experiment_id": experiment_id, "requester": context}


@dataclass(frozen=True, slots=True)
class PromotionTask:
    promotion_id: str
    experiment_id: str | None = None
    requester: Mapping[str, Any] | None = None
    comparison: Mapping[str, Any] | None = None
    expected_version: int = 0
    outcome: Mapping[str, Any] | None = None
    error: str | None = None
    cause: str | None = None

    @classmethod
    def from_event(cls, event: Any) -> Self:
        if not isinstance(event, Mapping):
            raise InvalidPromotionTaskError(
                f"a task input is an object, not {type(event).__name__}"
            )
        promotion_id = event.get("promotion_id")
        if not isinstance(promotion_id, str) or not _ID.fullmatch(promotion_id):
            raise InvalidPromotionTaskError(
                f"promotion_id {promotion_id!r} must be 1-80 of [A-Za-z0-9_.-]"
            )
        experiment_id = event.get("experiment_id")
        if experiment_id is not None and not (isinstance(experiment_id, str)
                                              and _ID.fullmatch(experiment_id)):  # fmt: skip
            raise InvalidPromotionTaskError(f"experiment_id {experiment_id!r} is not an id")
        for name in ("requester", "comparison", "outcome"):
            if event.get(name) is not None and not isinstance(event[name], Mapping):
                raise InvalidPromotionTaskError(f"{name} must be an object")
        for name in ("error", "cause"):
            if event.get(name) is not None and not isinstance(event[name], str):
                raise InvalidPromotionTaskError(f"{name} must be a string")
        expected = event.get("expected_version", 0)
        if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
            raise InvalidPromotionTaskError("expected_version must be an integer >= 0")
        return cls(promotion_id, experiment_id, event.get("requester"), event.get("comparison"),
                   expected, event.get("outcome"), event.get("error"),
                   event.get("cause"))  # fmt: skip

    def need_experiment(self) -> str:
        if self.experiment_id is None:
            raise InvalidPromotionTaskError("this step needs experiment_id")
        return self.experiment_id

    def principal(self) -> Principal:
        """The requester; InvalidPromotionTaskError when missing or malformed."""
        from coderev.auth.errors import AuthenticationError
        from coderev.auth.principal import Principal

        try:
            return Principal.from_context(self.requester or {})
        except AuthenticationError:
            raise InvalidPromotionTaskError("this step needs the requester (a principal)") from None
