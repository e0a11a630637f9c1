"""REST API of ideas."""

from __future__ import annotations

from ninja import Router

routers: list[tuple[str, Router]] = []
