from ninja import Router

routers: list[tuple[str, Router]] = []
