"""A test client for /api/v1/ that authenticates like a real integration (an API token)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from kunde.accounts.models import ApiToken, User
from kunde.accounts.services import api_token_create

API = "/api/v1"


class ApiClient:
    """Speak JSON to the API as `user` through a token of `scope` (no user: anonymous)."""

    def __init__(self, user: User | None = None, *, scope: str = ApiToken.TokenScope.WRITE) -> None:
        self.client = Client()
        self.user = user
        self.headers: dict[str, str] = {}
        if user is not None:
            _token, secret = api_token_create(user=user, name=f"test {scope}", scope=scope)
            self.headers["Authorization"] = f"Bearer {secret}"

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        return {**self.headers, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(API + path, params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body: Any, headers: dict[str, str] | None) -> Any:
        data = body if isinstance(body, str | bytes) else json.dumps(body if body is not None else {})
        return getattr(self.client, method)(API + path, data=data, content_type="application/json",
                                             headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self._send("post", path, body, headers)

    def put(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self._send("put", path, body, headers)

    def patch(self, path: str, body: Any = None, *, headers: dict[str, str] | None = None) -> Any:
        return self._send("patch", path, body, headers)

    def delete(self, path: str, *, headers: dict[str, str] | None = None) -> Any:
        return self.client.delete(API + path, headers=self._headers(headers))


def client_for(world: Any, who: str, *, scope: str = ApiToken.TokenScope.WRITE) -> ApiClient:
    """The client of one column of the permission matrix ("anonymous" or a `world` user)."""
    return ApiClient(None if who == "anonymous" else getattr(world, who), scope=scope)
