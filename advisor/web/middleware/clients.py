"""Who a request comes from, set once for the middlewares and routes inside
(`scope["state"]["client_address"]`; a route reads `request.state.client_address`)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from advisor.web.middleware.replies import ASGIApp, Receive, Scope, Send, header


class ClientAddress:
    """Who a request comes from: the peer, unless the peer is a trusted proxy; then the
    right-most X-Forwarded-For address that is not itself a trusted proxy."""

    def __init__(self, trusted: Iterable[str]) -> None:
        self.trusted = [ipaddress.ip_network(t, strict=False) for t in trusted]

    def _is_trusted(self, addr: str) -> bool:
        try:
            ip = ipaddress.ip_address(addr)
        except ValueError:
            return False
        return any(ip in net for net in self.trusted)

    def of(self, peer: str, forwarded_for: str | None) -> str:
        if not self.trusted or not forwarded_for or not self._is_trusted(peer):
            return peer
        for hop in reversed([h.strip() for h in forwarded_for.split(",") if h.strip()]):
            if not self._is_trusted(hop):
                try:
                    return str(ipaddress.ip_address(hop))
                except ValueError:
                    return peer  # a forged or garbled header: fall back to the proxy itself
        return peer

    def of_scope(self, scope: Scope) -> str:
        peer = (scope.get("client") or ("unknown", 0))[0]
        return self.of(peer, header(scope, b"x-forwarded-for"))


def client_of(scope: Scope) -> str:
    """The address `ClientAddressMiddleware` found (the peer when it did not run)."""
    return str(scope.get("state", {}).get("client_address") or (scope.get("client") or ("unknown", 0))[0])


class ClientAddressMiddleware:
    def __init__(self, app: ASGIApp, clients: ClientAddress) -> None:
        self.app = app
        self.clients = clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            scope.setdefault("state", {})["client_address"] = self.clients.of_scope(scope)
        await self.app(scope, receive, send)
