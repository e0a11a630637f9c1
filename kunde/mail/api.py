"""REST API of e-mail channel: the routers kunde/api.py mounts, as (prefix, router)."""

from __future__ import annotations

from ninja import Router

routers: list[tuple[str, Router]] = []
