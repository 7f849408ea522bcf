from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import JSONBody, PathParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from dtz_events.accounts import services
from dtz_events.accounts.middleware import session_for
from dtz_events.accounts.schemas import (
    AccountCreate,
    AccountOut,
    AccountUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyOut,
    LoginInput,
)
from dtz_events.core.auth import ANY_ACCOUNT, PUBLIC, Principal, Role, roles

AccountId = Annotated[int, PathParameter(ge=1, le=2**53, description="Account id")]


class AuthController(Controller):
    path = "/api/auth"
    tags = ["accounts"]

    @post("/login", opt=roles(PUBLIC), status_code=HTTP_200_OK)
    async def login(self, request: Request[Any, Any, Any], data: JSONBody[LoginInput]) -> AccountOut:
        principal = await services.login(data.email, data.password)
        request.set_session(await session_for(principal.account_id))
        return await services.get_account(principal.account_id)

    @post("/logout", opt=roles(ANY_ACCOUNT), status_code=HTTP_204_NO_CONTENT)
    async def logout(self, request: Request[Any, Any, Any]) -> None:
        request.clear_session()

    @get("/me", opt=roles(ANY_ACCOUNT))
    async def me(self, request: Request[Principal, Any, Any]) -> AccountOut:
        return await services.get_account(request.user.account_id)


class AccountController(Controller):
    path = "/api/accounts"
    tags = ["accounts"]

    @post("/", opt=roles(Role.admin))
    async def create_account(self, data: JSONBody[AccountCreate]) -> AccountOut:
        return await services.create_account(data)

    @get("/", opt=roles(Role.admin))
    async def list_accounts(self) -> list[AccountOut]:
        return await services.list_accounts()

    @patch(
        "/{account_id:int}",
        opt=roles(Role.admin),
        description="Change the role, name or organisation of an account, or deactivate (`active: false`) "
        "and reactivate it. A deactivated account cannot log in, its sessions and API keys stop working "
        "(API keys cached by other web processes within 10 s). The last active admin cannot be deactivated "
        "or demoted (409).",
    )
    async def update_account(
        self, request: Request[Principal, Any, Any], account_id: AccountId, data: JSONBody[AccountUpdate]
    ) -> AccountOut:
        return await services.update_account(request.user, account_id, data)


class ApiKeyController(Controller):
    path = "/api/api-keys"
    tags = ["accounts"]

    @post("/", opt=roles(ANY_ACCOUNT))
    async def create_api_key(
        self, request: Request[Principal, Any, Any], data: JSONBody[ApiKeyCreate]
    ) -> ApiKeyCreated:
        return await services.create_api_key(request.user, data.name)

    @get("/", opt=roles(ANY_ACCOUNT))
    async def list_api_keys(self, request: Request[Principal, Any, Any]) -> list[ApiKeyOut]:
        return await services.list_api_keys(request.user)

    @delete("/{key_id:int}", opt=roles(ANY_ACCOUNT))
    async def revoke_api_key(
        self, request: Request[Principal, Any, Any], key_id: Annotated[int, PathParameter(ge=1, le=2**53)]
    ) -> None:
        await services.revoke_api_key(request.user, key_id)
