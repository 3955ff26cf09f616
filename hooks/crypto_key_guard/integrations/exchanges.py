"""What each exchange's key-permission endpoint is called and what its answer means.

One `ExchangeSpec` per exchange: the ccxt id, the credentials it needs, the ccxt implicit-API method that reads
the key's own permissions (read-only, signed), and a pure function turning that answer into `KeyPermissions`.
Response shapes are the ones ccxt's implementation and the exchanges' API references document; the parsers are
pure so the tests can feed them the same shapes the local test server sends. Nothing here imports ccxt.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Optional


class UnexpectedResponse(Exception):
    """The exchange answered, but not with the documented shape (message never holds the raw answer)."""


@dataclass
class KeyPermissions:
    """What a key may do. None means the exchange does not say (reported as unknown, never as 'no')."""

    read: Optional[bool]
    trade: Optional[bool]
    withdraw: Optional[bool]
    transfer: Optional[bool]
    ip_restricted: Optional[bool]
    ips: list = field(default_factory=list)
    details: list = field(default_factory=list)  # e.g. which trade or transfer rights are on
    notes: list = field(default_factory=list)    # what the endpoint cannot tell


@dataclass(frozen=True)
class ExchangeSpec:
    id: str                      # ccxt exchange id, also the argument of `audit`
    name: str                    # for messages
    needs_passphrase: bool
    method: str                  # ccxt implicit-API method: a signed GET of the key's own permissions
    endpoint: str                # for the README and messages
    parse: Callable[[Any], KeyPermissions]
    manage: str                  # where the user changes the key
    fix_withdraw: str
    fix_transfer: str
    fix_ip: str
    # what the venue's API tells about a key: "permissions" (and maybe the IP whitelist), "ip" (the IP whitelist,
    # not the rights) or "liveness" (only that the key works: a signed read-only call succeeds)
    reports: str = "permissions"
    # for venues that need more than one call or pick the key out of a list: request(client) -> the answer parse reads
    request: Optional[Callable[[Any], Any]] = None
    # the venue as the rules' `exchange:` field names it, when that differs from `name`
    aliases: tuple = ()
    # a regular expression the key must match for this spec to apply (Coinbase: CDP keys, not legacy Pro keys)
    key_shape: str = ""


def _dict(response: Any, what: str) -> dict:
    if not isinstance(response, dict):
        raise UnexpectedResponse(f"expected a JSON object from {what}")
    return response


def _flag(value: Any) -> Optional[bool]:
    """Exchanges send booleans, 0/1 or "true"/"false"; anything else is unknown."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "0", "1"):
        return value.strip().lower() in ("true", "1")
    return None


# -- Binance: GET /sapi/v1/account/apiRestrictions ------------------------------------------------------------

_BINANCE_TRADE = {
    "enableSpotAndMarginTrading": "spot & margin",
    "enableMargin": "margin",
    "enableFutures": "futures",
    "enableVanillaOptions": "options",
    "enablePortfolioMarginTrading": "portfolio margin",
    "enableFixApiTrade": "FIX API trading",
}
_BINANCE_TRANSFER = {
    "enableInternalTransfer": "internal transfer (master <-> sub-accounts)",
    "permitsUniversalTransfer": "universal transfer",
}


def parse_binance(response: Any) -> KeyPermissions:
    r = _dict(response, "apiRestrictions")
    if "enableWithdrawals" not in r or "ipRestrict" not in r:
        raise UnexpectedResponse("apiRestrictions answer has no enableWithdrawals/ipRestrict")
    trade_on = [label for k, label in _BINANCE_TRADE.items() if _flag(r.get(k))]
    transfer_on = [label for k, label in _BINANCE_TRANSFER.items() if _flag(r.get(k))]
    details = []
    if trade_on:
        details.append("trading: " + ", ".join(trade_on))
    if transfer_on:
        details.append("transfer: " + ", ".join(transfer_on))
    return KeyPermissions(
        read=_flag(r.get("enableReading")),
        trade=bool(trade_on),
        withdraw=_flag(r.get("enableWithdrawals")),
        transfer=bool(transfer_on),
        ip_restricted=_flag(r.get("ipRestrict")),
        details=details,
        # The IP list itself is on a different (sub-account) endpoint; the flag is what matters here.
        notes=[],
    )


# -- OKX: GET /api/v5/account/config ----------------------------------------------------------------------------

def parse_okx(response: Any) -> KeyPermissions:
    r = _dict(response, "account/config")
    data = r.get("data")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "perm" not in data[0]:
        raise UnexpectedResponse("account/config answer has no data[0].perm")
    config = data[0]
    perms = {p.strip() for p in str(config.get("perm") or "").split(",") if p.strip()}
    ips = [ip.strip() for ip in str(config.get("ip") or "").split(",") if ip.strip()]
    details = [f"perm: {','.join(sorted(perms)) or '(none)'}"]
    if config.get("label"):
        details.append(f"label: {config['label']}")
    return KeyPermissions(
        read="read_only" in perms,
        trade="trade" in perms,
        withdraw="withdraw" in perms,
        transfer=None,
        ip_restricted=bool(ips),
        ips=ips,
        details=details,
        notes=["OKX has no separate transfer permission (perm lists read_only, trade, withdraw)."],
    )


# -- Bybit: GET /v5/user/query-api ------------------------------------------------------------------------------

# Groups and items that move no market position: Wallet rights are judged separately (withdraw, transfer).
_BYBIT_NOT_TRADE_GROUPS = {"Wallet", "Affiliate"}
_BYBIT_READ_ITEMS = {"ExchangeHistory", "NFTQueryProductList"}


def parse_bybit(response: Any) -> KeyPermissions:
    r = _dict(response, "user/query-api")
    result = r.get("result")
    if not isinstance(result, dict) or not isinstance(result.get("permissions"), dict):
        raise UnexpectedResponse("query-api answer has no result.permissions")
    permissions = {k: [str(x) for x in (v or [])] for k, v in result["permissions"].items() if isinstance(v, list)}
    wallet = set(permissions.get("Wallet", []))
    read_only = _flag(result.get("readOnly"))
    trade_groups = sorted(g for g, items in permissions.items()
                          if g not in _BYBIT_NOT_TRADE_GROUPS and set(items) - _BYBIT_READ_ITEMS)
    transfer_on = sorted(wallet & {"AccountTransfer", "SubMemberTransfer"})
    # "*" (or nothing) in ips means the key works from any address.
    ips = [str(ip) for ip in (result.get("ips") or []) if str(ip).strip() and str(ip).strip() != "*"]
    details = [f"readOnly: {result.get('readOnly')}"]
    if trade_groups:
        details.append("trading: " + ", ".join(f"{g} ({'/'.join(permissions[g])})" for g in trade_groups))
    if transfer_on:
        details.append("transfer: " + ", ".join(transfer_on))
    if result.get("expiredAt"):
        details.append(f"expires: {result['expiredAt']}")
    return KeyPermissions(
        read=True,
        trade=(read_only is False) and bool(trade_groups),
        withdraw="Withdraw" in wallet,
        transfer=bool(transfer_on),
        ip_restricted=bool(ips),
        ips=ips,
        details=details,
    )


# -- Coinbase Advanced Trade: GET /api/v3/brokerage/key_permissions --------------------------------------------

def parse_coinbase(response: Any) -> KeyPermissions:
    r = _dict(response, "key_permissions")
    if "can_transfer" not in r:
        raise UnexpectedResponse("key_permissions answer has no can_transfer")
    can_transfer = _flag(r.get("can_transfer"))
    details = []
    if r.get("portfolio_type"):
        details.append(f"portfolio: {r['portfolio_type']}")
    return KeyPermissions(
        read=_flag(r.get("can_view")),
        trade=_flag(r.get("can_trade")),
        # Coinbase has one permission for moving funds out: "transfer" covers sends and withdrawals.
        withdraw=can_transfer,
        transfer=can_transfer,
        ip_restricted=None,
        details=details,
        notes=["Coinbase's key_permissions endpoint does not report the key's IP allowlist: check it in the "
               "Coinbase Developer Platform (API keys > the key > IP allowlist)."],
    )


SPECS: dict[str, ExchangeSpec] = {
    spec.id: spec
    for spec in (
        ExchangeSpec(
            "binance", "Binance", False, "sapiGetAccountApiRestrictions", "GET /sapi/v1/account/apiRestrictions",
            parse_binance, "Binance > Account > API Management > Edit restrictions",
            'untick "Enable Withdrawals"',
            'untick "Enable Internal Transfer" and "Permits Universal Transfer"',
            'choose "Restrict access to trusted IPs only" and add your server\'s IP',
        ),
        ExchangeSpec(
            "okx", "OKX", True, "privateGetAccountConfig", "GET /api/v5/account/config",
            parse_okx, "OKX > Profile > API keys > Edit",
            'remove the "Withdraw" permission',
            "",
            "bind the key to your server's IP address",
        ),
        ExchangeSpec(
            "bybit", "Bybit", False, "privateGetV5UserQueryApi", "GET /v5/user/query-api",
            parse_bybit, "Bybit > Account > API Management > Edit",
            'untick Assets > "Withdrawal"',
            'untick Assets > "Account Transfer" and "Subaccount Transfer"',
            'choose "Only IPs with permissions granted are allowed to access the OpenAPI" and add your server\'s IP',
        ),
        ExchangeSpec(
            "coinbase", "Coinbase Advanced Trade", False, "v3PrivateGetBrokerageKeyPermissions",
            "GET /api/v3/brokerage/key_permissions",
            parse_coinbase, "Coinbase Developer Platform > API keys",
            'create a key without the "Transfer" permission (View and Trade only) and delete this one',
            'create a key without the "Transfer" permission (View and Trade only) and delete this one',
            "set an IP allowlist on the key",
            aliases=("Coinbase",),
            key_shape=r"organizations/[0-9a-fA-F-]{36}/apiKeys/[0-9a-fA-F-]{36}|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}",
        ),
    )
}
