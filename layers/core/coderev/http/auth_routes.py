"""The auth API's routes (Powertools `Router`, included by functions/auth): register, login,
refresh, logout, whoami, members, API keys. The use cases are coderev.auth's
(bootstrap.auth_service, bootstrap.api_keys).

Public: register, login, refresh. The others need a caller: the Principal the gateway's
authorizer put in `requestContext.authorizer` (API Gateway's REQUEST authorizer), else the
`Authorization: Bearer` header verified here (a direct invocation, `coderev invoke`).
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Response, Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Path

from coderev import bootstrap
from coderev.auth.principal import Principal
from coderev.http import auth_models as models

__all__ = ["PUBLIC", "router"]

router = Router()  # type: ignore[no-untyped-call]

PUBLIC = frozenset({"/auth/register", "/auth/login", "/auth/refresh", "/auth/openapi.json"})
KEY_ID = Path(pattern=r"^[0-9a-f]{32}$", description="the API key's id")


def _bearer() -> str:
    headers = router.current_event.headers or {}
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    if not value:
        from coderev.auth.errors import AuthenticationError

        raise AuthenticationError("no bearer token")
    return str(value)


def caller() -> Principal:
    """The request's Principal: the authorizer's, else the verified bearer header."""
    request_context = router.current_event.raw_event.get("requestContext") or {}
    context = request_context.get("authorizer") if isinstance(request_context, dict) else None
    if isinstance(context, dict) and (context.get("subject") or context.get("principalId")):
        return Principal.from_context(context)
    from coderev.auth.verify import verify_bearer
    from coderev.config import get_settings

    return verify_bearer(_bearer(), get_settings())


@router.post(
    "/auth/register",
    status_code=201,
    responses=models.REGISTER_RESPONSES,
    summary="Create an organization; its first user becomes its admin",
)
def register(body: Annotated[models.Register, Body()]) -> Response[models.TokenView]:
    pair = bootstrap.auth_service().register(
        body.email, body.password.get_secret_value(), body.organization
    )
    return Response(
        201, "application/json", models.TokenView.of(pair), headers={"Cache-Control": "no-store"}
    )


@router.post(
    "/auth/login",
    responses=models.TOKEN_RESPONSES,
    summary="An access token and a refresh token for a user",
)
def login(body: Annotated[models.Login, Body()]) -> Response[models.TokenView]:
    pair = bootstrap.auth_service().login(
        body.email, body.password.get_secret_value(), body.organization
    )
    return Response(
        200, "application/json", models.TokenView.of(pair), headers={"Cache-Control": "no-store"}
    )


@router.post(
    "/auth/refresh",
    responses=models.TOKEN_RESPONSES,
    summary="Rotate a refresh token (a replayed one revokes its session)",
)
def refresh(body: Annotated[models.RefreshRequest, Body()]) -> Response[models.TokenView]:
    pair = bootstrap.auth_service().refresh(body.refresh_token.get_secret_value())
    return Response(
        200, "application/json", models.TokenView.of(pair), headers={"Cache-Control": "no-store"}
    )


@router.post(
    "/auth/logout",
    status_code=204,
    responses=models.LOGOUT_RESPONSES,
    summary="End the session of the bearer access token",
)
def logout(body: Annotated[models.LogoutRequest | None, Body()] = None) -> Response[str]:
    from coderev.auth.verify import _bare

    refresh_token = body.refresh_token.get_secret_value() if body and body.refresh_token else None
    bootstrap.auth_service().logout(_bare(_bearer()), refresh_token)
    return Response(204)  # no body, so no content type


@router.get("/auth/whoami", responses=models.WHOAMI_RESPONSES, summary="The caller")
def whoami() -> models.WhoamiView:
    return models.WhoamiView.of(bootstrap.auth_service().whoami(caller()))


@router.get(
    "/auth/members",
    responses=models.MEMBERS_RESPONSES,
    summary="The members of the caller's organization",
)
def members() -> models.MemberList:
    rows = bootstrap.auth_service().members(caller())
    return models.MemberList(members=[models.MemberView.of(m, e) for m, e in rows])


@router.post(
    "/auth/members",
    status_code=201,
    responses=models.MEMBER_CREATE_RESPONSES,
    summary="Add a user to the admin's organization with a role",
)
def add_member(body: Annotated[models.MemberCreate, Body()]) -> Response[models.MemberView]:
    password = body.password.get_secret_value() if body.password else None
    membership, email = bootstrap.auth_service().add_member(
        caller(), body.email, body.role, password
    )
    return Response(201, "application/json", models.MemberView.of(membership, email))


@router.post(
    "/auth/api-keys",
    status_code=201,
    responses=models.KEY_CREATE_RESPONSES,
    summary="Create an API key (its text is shown this once)",
)
def create_api_key(body: Annotated[models.ApiKeyCreate, Body()]) -> Response[models.ApiKeyCreated]:
    record, key = bootstrap.api_keys().create(
        caller(), body.name, frozenset(body.scopes), role=body.role, expires_days=body.expires_days
    )
    view = models.ApiKeyCreated(**models.ApiKeyView.of(record).model_dump(), key=key)
    return Response(201, "application/json", view, headers={"Cache-Control": "no-store"})


@router.get(
    "/auth/api-keys",
    responses=models.KEY_LIST_RESPONSES,
    summary="The organization's API keys (never their text)",
)
def list_api_keys() -> models.ApiKeyList:
    records = bootstrap.api_keys().list(caller())
    return models.ApiKeyList(api_keys=[models.ApiKeyView.of(r) for r in records])


@router.delete(
    "/auth/api-keys/<key_id>",
    responses=models.KEY_REVOKE_RESPONSES,
    summary="Revoke an API key (refused from the next request on)",
)
def revoke_api_key(key_id: Annotated[str, KEY_ID]) -> models.ApiKeyView:
    return models.ApiKeyView.of(bootstrap.api_keys().revoke(caller(), key_id))
