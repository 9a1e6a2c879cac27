"""An experiment's lifecycle: draft -> running -> evaluated -> promoted | quarantined, and
archived from any state but itself. Anything else is refused (IllegalTransitionError, 409).

Each step is a verb; its CloudEvent is `coderev.experiment.<past tense>` (the creation is
`coderev.experiment.created`). Promote and quarantine are the promotion state machine's steps
(coderev.promotion, after the policy decided); the HTTP API offers start, evaluate, archive.
"""

from __future__ import annotations

from coderev.experiments.errors import IllegalTransitionError

__all__ = ["FINAL", "STATES", "TRANSITIONS", "allowed_from", "next_state"]

STATES = ("draft", "running", "evaluated", "promoted", "quarantined", "archived")
FINAL = frozenset({"archived"})

# verb -> (states it may start from, state it leads to, event verb)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "start": (frozenset({"draft"}), "running", "started"),
    "evaluate": (frozenset({"running"}), "evaluated", "evaluated"),
    "promote": (frozenset({"evaluated"}), "promoted", "promoted"),
    "quarantine": (frozenset({"evaluated"}), "quarantined", "quarantined"),
    "archive": (frozenset(STATES) - FINAL, "archived", "archived"),
}


def allowed_from(state: str) -> tuple[str, ...]:
    """The verbs the lifecycle allows from `state`, in lifecycle order."""
    return tuple(verb for verb, (sources, _, _) in TRANSITIONS.items() if state in sources)


def next_state(experiment_id: str, state: str, verb: str) -> tuple[str, str]:
    """(the state `verb` leads to, the event verb); IllegalTransitionError when not allowed."""
    if verb not in TRANSITIONS:
        raise IllegalTransitionError(experiment_id, state, verb, allowed_from(state))
    sources, target, event_verb = TRANSITIONS[verb]
    if state not in sources:
        raise IllegalTransitionError(experiment_id, state, _past(verb), allowed_from(state))
    return target, event_verb


def _past(verb: str) -> str:
    return TRANSITIONS[verb][2]
