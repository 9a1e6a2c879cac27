"""The providers API's routes (Powertools `Router`, included by functions/providers): list,
register, show, update, disable a provider, and rotate its key. Keys go in, never out.

The use cases are `coderev.providers.registry.ProviderRegistry`'s (bootstrap.provider_registry);
while the registry is empty, GET /providers lists the providers the SDKs' environment
variables imply (source "environment"), which cannot be changed here: register one instead.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from coderev import bootstrap
from coderev.http import provider_models as models
from coderev.providers.model import NAME_PATTERN

__all__ = ["router"]

router = Router()  # type: ignore[no-untyped-call]

NAME = Path(pattern=NAME_PATTERN, description="the provider's name")


def _view(name: str) -> models.ProviderView:
    registry = bootstrap.provider_registry()
    record = registry.get(name)
    return models.ProviderView.of(record, registry.repository.health().get(name))


@router.get("/providers", responses=models.LIST_RESPONSES,
            summary="Every provider: registered, else implied by the SDKs' variables")  # fmt: skip
def list_providers() -> models.ProviderList:
    registry = bootstrap.provider_registry()
    health = registry.repository.health()
    records = registry.list()
    if records:
        views = [models.ProviderView.of(r, health.get(r.name)) for r in records]
    else:
        entries = bootstrap.registry_catalog().entries()
        views = [models.ProviderView.implied(e, health.get(e.name)) for e in entries]
    return models.ProviderList(providers=views)


@router.post("/providers", status_code=201, responses=models.CREATE_RESPONSES,
             summary="Register a provider (its API key is sealed, never returned)")  # fmt: skip
def create_provider(
    body: Annotated[models.ProviderCreate, Body()],
) -> Response[models.ProviderView]:
    from coderev.providers.model import NewProvider

    provider = NewProvider(
        name=body.name, kind=body.kind, base_url=body.base_url, enabled=body.enabled,
        timeout_s=body.timeout_s, models=tuple(m.spec() for m in body.models or ()),
    )  # fmt: skip
    record = bootstrap.provider_registry().create(provider, body.api_key)
    view = models.ProviderView.of(record, None)
    return Response(201, "application/json", view, headers={"Location": f"/providers/{view.name}"})


@router.get("/providers/<name>", responses=models.PROVIDER_RESPONSES,
            summary="One registered provider")  # fmt: skip
def get_provider(name: Annotated[str, NAME]) -> models.ProviderView:
    return _view(name)


@router.patch("/providers/<name>", responses=models.PROVIDER_RESPONSES,
              summary="Change a provider's base URL, timeout, models or enabled flag")  # fmt: skip
def update_provider(
    name: Annotated[str, NAME], body: Annotated[models.ProviderUpdate, Body()]
) -> models.ProviderView:
    from coderev.providers.repository import UNCHANGED

    given = body.model_fields_set
    bootstrap.provider_registry().update(
        name,
        base_url=body.base_url if "base_url" in given else UNCHANGED,
        enabled=body.enabled,
        timeout_s=body.timeout_s,
        models=None if body.models is None else tuple(m.spec() for m in body.models),
    )
    return _view(name)


@router.post("/providers/<name>/disable", responses=models.PROVIDER_RESPONSES,
             summary="Disable a provider: the router stops choosing it (PATCH enabled=true "
             "enables it again)")  # fmt: skip
def disable_provider(name: Annotated[str, NAME]) -> models.ProviderView:
    bootstrap.provider_registry().disable(name)
    return _view(name)


@router.put("/providers/<name>/key", responses=models.PROVIDER_RESPONSES,
            summary="Rotate a provider's API key: the new key is sealed as the next version",
            description="Calls already under way finish with the old key; clients built from "
            "then on use the new one (within CODEREV_PROVIDER_CACHE_SECONDS).")  # fmt: skip
def rotate_key(
    name: Annotated[str, NAME], body: Annotated[models.KeyRotation, Body()]
) -> models.ProviderView:
    bootstrap.provider_registry().rotate_key(name, body.api_key)
    return _view(name)
