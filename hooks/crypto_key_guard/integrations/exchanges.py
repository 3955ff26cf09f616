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
    checked_keys: str = ""       # which of the venue's keys key_shape admits, for messages


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


# -- venues added for `scan --verify` ------------------------------------------------------------------------------

def _data(response: Any, what: str, ok: Callable[[dict], bool]) -> Any:
    r = _dict(response, what)
    if not ok(r) or "data" not in r:
        raise UnexpectedResponse(f"{what} answer has no data")
    return r["data"]


def _split(value: Any) -> list:
    """An IP list sent as "a,b" or as a JSON list."""
    items = value if isinstance(value, list) else str(value or "").split(",")
    return [str(ip).strip() for ip in items if str(ip).strip() and str(ip).strip() not in ("*", "0.0.0.0/0")]


def parse_kucoin(response: Any) -> KeyPermissions:
    data = _data(response, "user/api-key", lambda r: str(r.get("code")) == "200000")
    if not isinstance(data, dict) or "permission" not in data:
        raise UnexpectedResponse("user/api-key answer has no data.permission")
    perms = {p.strip() for p in str(data.get("permission") or "").split(",") if p.strip()}
    ips = _split(data.get("ipWhitelist"))
    trade = sorted(perms & {"Spot", "Margin", "Futures", "LeadtradeFutures", "Earn"})
    return KeyPermissions(
        read="General" in perms,
        trade=bool(trade),
        # KuCoin's API calls the withdrawal permission "Transfer"; "InnerTransfer" moves funds between accounts
        withdraw=bool(perms & {"Transfer", "Withdrawal"}),
        transfer="InnerTransfer" in perms,
        ip_restricted=bool(ips),
        ips=ips,
        details=[f"permission: {','.join(sorted(perms)) or '(none)'}"],
    )


_BITGET_WORDS = (("withdraw", "withdraw"), ("transfer", "transfer"), ("trade", "trade"), ("order", "trade"),
                 ("read", "read"))


def parse_bitget(response: Any) -> KeyPermissions:
    data = _data(response, "spot/account/info", lambda r: str(r.get("code")) == "00000")
    if not isinstance(data, dict) or not isinstance(data.get("authorities"), list):
        raise UnexpectedResponse("spot/account/info answer has no data.authorities")
    authorities = [str(a) for a in data["authorities"]]
    rights = {right for a in authorities for word, right in _BITGET_WORDS if word in a.lower()}
    ips = _split(data.get("ips"))
    return KeyPermissions(
        read=True,
        trade="trade" in rights,
        withdraw="withdraw" in rights,
        transfer="transfer" in rights,
        ip_restricted=bool(ips),
        ips=ips,
        details=[f"authorities: {', '.join(authorities) or '(none)'}"],
    )


def parse_gate(response: Any) -> KeyPermissions:
    r = _dict(response, "account/detail")
    if "ip_whitelist" not in r or "user_id" not in r:
        raise UnexpectedResponse("account/detail answer has no ip_whitelist")
    ips = _split(r.get("ip_whitelist"))
    details = []
    if isinstance(r.get("key"), dict) and r["key"].get("mode") is not None:
        details.append(f"key mode: {r['key']['mode']} (1 classic, 2 portfolio margin)")
    if r.get("currency_pairs"):
        details.append("restricted to pairs: " + ", ".join(str(p) for p in r["currency_pairs"]))
    return KeyPermissions(
        read=True, trade=None, withdraw=None, transfer=None, ip_restricted=bool(ips), ips=ips, details=details,
        notes=["Gate's account/detail reports the key's IP whitelist, not its permissions: check them in "
               "Gate > API Management."],
    )


def _liveness(what: str, ok: Callable[[Any], bool], note: str, details: Callable[[Any], list] = lambda r: []
              ) -> Callable[[Any], KeyPermissions]:
    """A parser for venues whose API cannot say what a key may do: a well-formed answer proves the key works."""
    def parse(response: Any) -> KeyPermissions:
        if not ok(response):
            raise UnexpectedResponse(f"{what} answer is not the documented shape")
        return KeyPermissions(read=True, trade=None, withdraw=None, transfer=None, ip_restricted=None,
                              details=details(response), notes=[note])
    return parse


def _mexc_details(r: dict) -> list:
    flags = [f"{k}={r[k]}" for k in ("canTrade", "canWithdraw", "canDeposit") if k in r]
    return [f"account flags (the account's, not necessarily this key's): {', '.join(flags)}"] if flags else []


def _pick_htx_key(client: Any) -> Any:
    """HTX's key endpoint needs the account id: GET /v2/user/uid, then /v2/user/api-key for this key."""
    uid = _dict(client.v2PrivateGetUserUid(), "user/uid").get("data")
    if uid in (None, ""):
        raise UnexpectedResponse("user/uid answer has no data")
    return client.v2PrivateGetUserApiKey({"uid": uid, "accessKey": client.apiKey})


def parse_htx(response: Any) -> KeyPermissions:
    data = _data(response, "user/api-key", lambda r: str(r.get("code")) == "200")
    if not isinstance(data, list) or not data or not isinstance(data[0], dict) or "permission" not in data[0]:
        raise UnexpectedResponse("user/api-key answer has no data[0].permission")
    entry = data[0]
    perms = {p.strip() for p in str(entry.get("permission") or "").split(",") if p.strip()}
    ips = _split(entry.get("ipAddresses"))
    details = [f"permission: {','.join(sorted(perms)) or '(none)'}"]
    if entry.get("status"):
        details.append(f"status: {entry['status']}")
    return KeyPermissions(
        read="readOnly" in perms, trade="trade" in perms, withdraw="withdraw" in perms, transfer=None,
        ip_restricted=bool(ips), ips=ips, details=details,
        notes=["HTX has no separate transfer permission (readOnly, trade, withdraw)."],
    )


def parse_bitfinex(response: Any) -> KeyPermissions:
    if not isinstance(response, list) or not response or not all(
            isinstance(row, list) and len(row) >= 3 and isinstance(row[0], str) for row in response):
        raise UnexpectedResponse("auth/r/permissions answer is not a list of [scope, read, write]")
    table = {row[0]: (_flag(row[1]), _flag(row[2])) for row in response}

    def write(scope: str) -> bool:
        return bool(table.get(scope, (None, None))[1])

    return KeyPermissions(
        read=any(r for r, _ in table.values()),
        trade=write("orders") or write("positions") or write("funding"),
        withdraw=write("withdraw") or write("ui_withdraw"),
        transfer=write("wallets"),
        ip_restricted=None,
        details=["write: " + (", ".join(sorted(k for k in table if write(k))) or "(none)")],
        notes=["Bitfinex's permissions endpoint does not report the key's IP access list: check it in "
               "Bitfinex > API Keys."],
    )


def parse_gemini(response: Any) -> KeyPermissions:
    r = _dict(response, "roles")
    if "isFundManager" not in r or "isTrader" not in r:
        raise UnexpectedResponse("roles answer has no isFundManager/isTrader")
    fund_manager = _flag(r.get("isFundManager"))
    roles = [name for name, key in (("Auditor", "isAuditor"), ("Trader", "isTrader"),
                                    ("Fund Manager", "isFundManager")) if _flag(r.get(key))]
    return KeyPermissions(
        read=True, trade=_flag(r.get("isTrader")),
        # the Fund Manager role moves funds: withdrawals and transfers alike
        withdraw=fund_manager, transfer=fund_manager, ip_restricted=None,
        details=[f"roles: {', '.join(roles) or '(none)'}"],
        notes=["Gemini's roles endpoint does not report the key's IP allowlist: check it in Gemini > API."],
    )


def _pick_deribit_key(client: Any) -> Any:
    """Deribit lists the account's keys (scope account:read); the entry of this client id is the answer. A key
    without account:read is authenticated but refused (13021 forbidden): live, scope unknown."""
    try:
        response = client.privateGetListApiKeys()
    except Exception as exc:  # noqa: BLE001 - only 'forbidden' is an answer; everything else goes up
        if "13021" in str(exc) or "forbidden" in str(exc).lower():
            return {"forbidden": True}
        raise
    result = _dict(response, "list_api_keys").get("result")
    if not isinstance(result, list):
        raise UnexpectedResponse("list_api_keys answer has no result list")
    mine = [k for k in result if isinstance(k, dict) and k.get("client_id") == client.apiKey]
    if not mine:
        raise UnexpectedResponse("list_api_keys does not list this client id")
    return mine[0]


def parse_deribit(entry: Any) -> KeyPermissions:
    entry = _dict(entry, "list_api_keys")
    if entry.get("forbidden"):
        return KeyPermissions(read=True, trade=None, withdraw=None, transfer=None, ip_restricted=None,
                              notes=["Deribit accepted the key, but its scope lacks account:read, so its "
                                     "permissions cannot be listed: check them in Deribit > Account > API."])
    if "max_scope" not in entry:
        raise UnexpectedResponse("list_api_keys entry has no max_scope")
    scope = dict(part.split(":", 1) for part in str(entry.get("max_scope") or "").split() if ":" in part)
    ips = _split(entry.get("ip_whitelist")) if "ip_whitelist" in entry else []
    return KeyPermissions(
        read=True,
        trade=scope.get("trade") == "read_write",
        # wallet:read_write allows withdrawals and transfers between subaccounts
        withdraw=scope.get("wallet") == "read_write",
        transfer=scope.get("wallet") == "read_write",
        ip_restricted=bool(ips) if "ip_whitelist" in entry else None,
        ips=ips,
        details=[f"max_scope: {entry.get('max_scope')}", f"enabled: {entry.get('enabled')}"],
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
            checked_keys="CDP keys and Coinbase Exchange (ex-Pro) keys are; coinbase.com v2 keys are not",
            key_shape=r"organizations/[0-9a-fA-F-]{36}/apiKeys/[0-9a-fA-F-]{36}|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}",
        ),
        ExchangeSpec(
            "kucoin", "KuCoin", True, "privateGetUserApiKey", "GET /api/v1/user/api-key",
            parse_kucoin, "KuCoin > Account > API Management > Edit",
            'untick "Transfer" (withdrawal)', 'untick "Flex Transfers" (InnerTransfer)',
            "restrict the key to your server's IP",
        ),
        ExchangeSpec(
            "bitget", "Bitget", True, "privateSpotGetV2SpotAccountInfo", "GET /api/v2/spot/account/info",
            parse_bitget, "Bitget > Profile > API Key Management > Edit",
            'remove the "Withdraw" permission', 'remove the "Transfer" permission',
            "bind the key to your server's IP address",
        ),
        ExchangeSpec(
            "gate", "Gate", False, "privateAccountGetDetail", "GET /api/v4/account/detail",
            parse_gate, "Gate > Profile > API Management > Edit",
            'untick "Withdrawal"', 'untick the transfer permissions', "set an IP whitelist on the key",
            reports="ip", aliases=("Gate.io",),
        ),
        ExchangeSpec(
            "htx", "HTX", False, "v2PrivateGetUserApiKey", "GET /v2/user/uid, GET /v2/user/api-key",
            parse_htx, "HTX > Account > API Management > Edit",
            'untick "Withdraw"', "", "bind the key to your server's IP address",
            request=_pick_htx_key, aliases=("Huobi",),
        ),
        ExchangeSpec(
            "bitfinex", "Bitfinex", False, "privatePostAuthRPermissions", "POST /v2/auth/r/permissions",
            parse_bitfinex, "Bitfinex > Account > API Keys > Edit permissions",
            'turn off "Withdraw"', 'turn off "Wallets: write" (transfers between wallets)',
            "set an IP access list on the key",
        ),
        ExchangeSpec(
            "gemini", "Gemini", False, "privatePostV1Roles", "POST /v1/roles",
            parse_gemini, "Gemini > Settings > API",
            'create a key without the "Fund Manager" role and revoke this one',
            'create a key without the "Fund Manager" role and revoke this one',
            "set an IP allowlist on the key",
            key_shape=r"account-[A-Za-z0-9]+", checked_keys="only account keys are; ccxt cannot sign with master keys",
        ),
        ExchangeSpec(
            "deribit", "Deribit", False, "privateGetListApiKeys", "GET /api/v2/private/list_api_keys",
            parse_deribit, "Deribit > Account > API > Edit",
            'set the "Wallet" scope to read or none', 'set the "Wallet" scope to read or none',
            "set an IP whitelist on the key",
            request=_pick_deribit_key,
        ),
        ExchangeSpec(
            "mexc", "MEXC", False, "spotPrivateGetAccount", "GET /api/v3/account",
            _liveness("account", lambda r: isinstance(r, dict) and "balances" in r,
                      "MEXC's API does not report an API key's permissions or IP binding: check them in "
                      "MEXC > API Management.", _mexc_details),
            "MEXC > Profile > API Management",
            'untick "Withdraw"', "untick the transfer permissions", "link the key to your server's IP",
            reports="liveness",
        ),
        ExchangeSpec(
            "bitstamp", "Bitstamp", False, "privatePostAccountBalances", "POST /api/v2/account_balances/",
            _liveness("account_balances", lambda r: isinstance(r, list),
                      "Bitstamp's API does not report an API key's permissions or IP whitelist: check them in "
                      "Bitstamp > Settings > API access."),
            "Bitstamp > Settings > API access",
            'untick the withdrawal permissions', "untick the transfer permissions",
            "set an IP whitelist on the key", reports="liveness",
        ),
        ExchangeSpec(
            "bitvavo", "Bitvavo", False, "privateGetAccount", "GET /v2/account",
            _liveness("account", lambda r: isinstance(r, dict) and "fees" in r,
                      "Bitvavo's API does not report an API key's permissions or IP whitelist: check them in "
                      "Bitvavo > Settings > API.",
                      lambda r: [f"account capabilities: {', '.join(map(str, r.get('capabilities') or []))}"]
                      if r.get("capabilities") else []),
            "Bitvavo > Settings > API",
            'untick "Withdraw digital assets"', "", "set an IP whitelist on the key", reports="liveness",
        ),
        ExchangeSpec(
            "cryptocom", "Crypto.com Exchange", False, "v1PrivatePostPrivateUserBalance",
            "POST /exchange/v1/private/user-balance",
            _liveness("private/user-balance", lambda r: isinstance(r, dict) and str(r.get("code")) == "0"
                      and isinstance(r.get("result"), dict),
                      "Crypto.com's API does not report an API key's permissions or IP whitelist: check them in "
                      "Crypto.com Exchange > Settings > API Keys."),
            "Crypto.com Exchange > Settings > API Keys",
            'untick "Can Withdraw"', "", "set an IP whitelist on the key",
            reports="liveness", aliases=("Crypto.com",),
        ),
        ExchangeSpec(
            "kraken", "Kraken", False, "privatePostBalance", "POST /0/private/Balance",
            _liveness("Balance", lambda r: isinstance(r, dict) and r.get("error") == [] and "result" in r,
                      "Kraken is asked only whether the key works (Balance, which needs Query Funds): check its "
                      "permissions and IP allowlist in Kraken > Settings > API."),
            "Kraken > Settings > API",
            'untick "Withdraw Funds"', "", "set an IP allowlist on the key", reports="liveness",
        ),
        ExchangeSpec(
            "poloniex", "Poloniex", False, "privateGetAccountsBalances", "GET /accounts/balances",
            _liveness("accounts/balances", lambda r: isinstance(r, list),
                      "Poloniex's API does not report an API key's permissions or IP whitelist: check them in "
                      "Poloniex > Account > API Keys."),
            "Poloniex > Account > API Keys",
            'untick "Enable Withdrawals"', "", "set an IP whitelist on the key", reports="liveness",
        ),
        ExchangeSpec(
            "coinbaseexchange", "Coinbase Exchange", True, "privateGetAccounts", "GET /accounts",
            _liveness("accounts", lambda r: isinstance(r, list),
                      "Coinbase Exchange's API does not report an API key's permissions or IP whitelist: check "
                      "them in Coinbase Exchange > Profile > API."),
            "Coinbase Exchange > Profile > API",
            'create a key without the "Transfer" permission and delete this one',
            'create a key without the "Transfer" permission and delete this one',
            "set an IP whitelist on the key", reports="liveness", aliases=("Coinbase",), key_shape=r"[0-9a-f]{32}",
        ),
    )
}
