"""Which address a request came from, behind a reverse proxy or not.

Sign-in throttling counts failures per client address, so a client must not choose its own: the
``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers are read only when the direct peer is a proxy
named in ``JIMU_TRUSTED_PROXIES`` (addresses or networks, comma separated, e.g.
``127.0.0.1, 10.0.0.0/8``). Then the client is the right-most address of ``X-Forwarded-For`` that is
not itself a trusted proxy: each proxy appends the address it saw, so entries left of that were
written by the client and prove nothing. Without the setting both headers are ignored (and
``jimu serve`` turns uvicorn's own proxy-header handling off, which trusted 127.0.0.1 by default).
"""
from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from typing import Mapping

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TrustedProxies:
        env = os.environ if env is None else env
        raw = env.get("JIMU_TRUSTED_PROXIES", "")
        nets = []
        for item in (x.strip() for x in raw.split(",")):
            if not item:
                continue
            try:
                nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                raise ValueError(f"JIMU_TRUSTED_PROXIES: {item!r} is not an IP address or network") from None
        return cls(tuple(nets))

    def trusts(self, host: str | None) -> bool:
        addr = _address(host)
        return addr is not None and any(addr in n for n in self.networks)

    def client(self, peer: str | None, forwarded_for: str) -> str | None:
        """The client's address: the right-most forwarded entry that is not a trusted proxy."""
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if not self.trusts(hop):
                return hop if _address(hop) is not None else None
        return hops[0] if hops else peer  # every hop a trusted proxy: the first is the origin


def _address(host: str | None):
    if not host:
        return None
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


class ForwardedHeaders:
    """ASGI middleware: behind a trusted proxy, the request's client and scheme are the forwarded ones."""

    def __init__(self, app, proxies: TrustedProxies) -> None:
        self.app, self.proxies = app, proxies

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket") and self.proxies.networks:
            peer = scope.get("client")
            if peer and self.proxies.trusts(peer[0]):
                headers = {}
                for name, value in scope.get("headers") or ():
                    if name in (b"x-forwarded-for", b"x-forwarded-proto"):  # repeated headers join, in order
                        prev = headers.get(name)
                        headers[name] = value if prev is None else prev + b"," + value
                scope = dict(scope)
                fwd = headers.get(b"x-forwarded-for")
                if fwd is not None:
                    host = self.proxies.client(peer[0], fwd.decode("latin-1"))
                    if host:
                        scope["client"] = (host, 0)
                proto = (headers.get(b"x-forwarded-proto") or b"").decode("latin-1").split(",")[-1].strip()
                if proto in ("http", "https") and scope["type"] == "http":
                    scope["scheme"] = proto
        await self.app(scope, receive, send)
