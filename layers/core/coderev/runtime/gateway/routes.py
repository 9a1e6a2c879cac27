"""API Gateway's route matching for the template's Api events.

A request path is matched against every `Path` template (`/analyses/{id}`,
`/files/{proxy+}`) the way API Gateway REST APIs choose a resource: literal segments
beat path parameters, which beat a greedy `{proxy+}`; the method must then match the
event's `Method` or `ANY`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote

from coderev.runtime.errors import GatewayConfigurationError
from coderev.runtime.template.events import ApiEvent

__all__ = ["Route", "RouteMatch", "RouteTable"]

_PARAMETER = re.compile(r"\{([A-Za-z0-9_.-]+)(\+?)\}")


@dataclass(frozen=True)
class Route:
    """One Api event of one function."""

    function: str
    event: ApiEvent
    pattern: re.Pattern[str]
    rank: tuple[int, ...]

    @classmethod
    def build(cls, function: str, event: ApiEvent) -> Route:
        path = event.path if event.path.startswith("/") else f"/{event.path}"
        segments = [segment for segment in path.split("/") if segment]
        parts: list[str] = []
        rank: list[int] = []
        for position, segment in enumerate(segments):
            parameter = _PARAMETER.fullmatch(segment)
            if parameter is None:
                if "{" in segment or "}" in segment:
                    raise GatewayConfigurationError(
                        f"{function}: path segment {segment!r} of {path!r} is malformed")
                parts.append(re.escape(segment))
                rank.append(0)
            elif parameter.group(2):
                if position != len(segments) - 1:
                    raise GatewayConfigurationError(
                        f"{function}: greedy {segment} must be the last segment of {path!r}")
                parts.append(f"(?P<{_group(parameter.group(1))}>.+)")
                rank.append(2)
            else:
                parts.append(f"(?P<{_group(parameter.group(1))}>[^/]+)")
                rank.append(1)
        pattern = re.compile("/" + "/".join(parts) + "/?" if parts else "/")
        return cls(function, event, pattern, tuple(rank))

    @property
    def parameter_names(self) -> dict[str, str]:
        return {_group(name): name for name, _ in _PARAMETER.findall(self.event.path)}


@dataclass(frozen=True)
class RouteMatch:
    route: Route
    path_parameters: dict[str, str]


class RouteTable:
    """Routes sorted so the first match is the one API Gateway would pick."""

    def __init__(self, routes: Iterable[Route]):
        self.routes = sorted(routes, key=lambda route: (route.rank, route.event.method == "ANY"))
        seen: set[tuple[str, str]] = set()
        for route in self.routes:
            key = (route.event.method, route.event.path.rstrip("/") or "/")
            if key in seen:
                raise GatewayConfigurationError(
                    f"two Api events declare {key[0]} {key[1]} (one is on {route.function})")
            seen.add(key)

    def match(self, method: str, path: str) -> RouteMatch | bool | None:
        """The route API Gateway would pick: the best resource first, then its method.

        False when the resource exists without that method; None when no resource matches.
        """
        for route in self.routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            resource = route.event.path.rstrip("/")
            methods = [r for r in self.routes if r.event.path.rstrip("/") == resource]
            chosen = next((r for r in methods if r.event.method == method), None) or next(
                (r for r in methods if r.event.method == "ANY"), None)
            if chosen is None:
                return False
            names = chosen.parameter_names
            return RouteMatch(chosen, {
                names[group]: unquote(value) for group, value in found.groupdict().items()
            })
        return None

    def __len__(self) -> int:
        return len(self.routes)


def _group(name: str) -> str:
    return re.sub(r"\W", "_", name)
