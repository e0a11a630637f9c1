"""REST API of contracts."""

from __future__ import annotations

from ninja import Router

routers: list[tuple[str, Router]] = []
