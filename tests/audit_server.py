"""A local stand-in for four exchanges' key-permission endpoints, for the audit tests (no internet).

It listens on 127.0.0.1 only, checks every request's authentication the way the exchange documents it, and
answers with the documented response shapes. A request whose signature, key, passphrase or timestamp is wrong
gets the exchange's own error answer, so a test with a wrong secret proves the signature is really checked.

- Binance: hex HMAC-SHA256 of the query string (before `&signature=`), `X-MBX-APIKEY` header, `timestamp`
  within `recvWindow`.
- OKX: base64 HMAC-SHA256 of timestamp + method + request path (+ query) + body; OK-ACCESS-KEY / -SIGN /
  -TIMESTAMP (ISO 8601, within 30 s) / -PASSPHRASE headers.
- Bybit v5: hex HMAC-SHA256 of timestamp + api key + recv window + query string; X-BAPI-* headers.
- Coinbase Advanced Trade: `Authorization: Bearer <JWT>` signed ES256 (EC P-256 key, key name as `kid` and `sub`)
  or EdDSA (Ed25519 key); checks nbf/exp, the issuer and that `uri` names this method, host and path.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

PATHS = {
    "binance": "/sapi/v1/account/apiRestrictions",
    "okx": "/api/v5/account/config",
    "bybit": "/v5/user/query-api",
    "coinbase": "/api/v3/brokerage/key_permissions",
}


class Rejected(Exception):
    def __init__(self, status: int, body: Any, why: str = "") -> None:
        super().__init__(why or str(body))
        self.status = status
        self.body = body
        self.why = why or str(body)


@dataclass
class Credentials:
    key: str
    secret: str                       # what the client is given (PEM or base64 for Coinbase)
    passphrase: Optional[str] = None
    public_key: Any = None            # Coinbase: the key the server verifies with


@dataclass
class Seen:
    method: str
    path: str
    accepted: bool
    reason: str = ""
    headers: dict = field(default_factory=dict)


class FakeExchange:
    """with FakeExchange("binance", creds, answer) as srv: point CKG_AUDIT_API_BASE at srv.base."""

    def __init__(self, exchange: str, creds: Credentials, answer: Any, status: int = 200) -> None:
        self.exchange = exchange
        self.creds = creds
        self.answer = answer
        self.status = status
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> "FakeExchange":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- verification, one method per exchange; each raises Rejected with the exchange's own error answer --

    def verify(self, method: str, target: str, headers: dict, body: bytes) -> None:
        path = urllib.parse.urlsplit(target).path
        if path != PATHS[self.exchange]:
            raise Rejected(404, {"error": f"unexpected path {path}"})
        getattr(self, f"_verify_{self.exchange}")(method, target, headers, body)

    def _verify_binance(self, method: str, target: str, headers: dict, body: bytes) -> None:
        query = urllib.parse.urlsplit(target).query
        payload, sep, signature = query.rpartition("&signature=")
        if not sep:
            raise Rejected(400, {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent."})
        if headers.get("x-mbx-apikey") != self.creds.key:
            raise Rejected(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        params = dict(urllib.parse.parse_qsl(payload))
        recv_window = int(params.get("recvWindow", 5000))
        if abs(time.time() * 1000 - int(params.get("timestamp", 0))) > recv_window:
            raise Rejected(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
        expected = hmac.new(self.creds.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected(400, {"code": -1022, "msg": "Signature for this request is not valid."})

    def _verify_okx(self, method: str, target: str, headers: dict, body: bytes) -> None:
        def fail(code: str, msg: str) -> Rejected:
            return Rejected(401, {"msg": msg, "code": code})

        if headers.get("ok-access-key") != self.creds.key:
            raise fail("50111", "Invalid OK-ACCESS-KEY")
        if headers.get("ok-access-passphrase") != self.creds.passphrase:
            raise fail("50105", "Invalid OK-ACCESS-PASSPHRASE")
        stamp = headers.get("ok-access-timestamp", "")
        try:
            sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise fail("50112", "Invalid OK-ACCESS-TIMESTAMP") from None
        if abs(time.time() - sent) > 30:
            raise fail("50102", "Timestamp request expired")
        prehash = stamp + method + target + body.decode()
        expected = base64.b64encode(hmac.new(self.creds.secret.encode(), prehash.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected.decode(), headers.get("ok-access-sign", "")):
            raise fail("50113", "Invalid Sign")

    def _verify_bybit(self, method: str, target: str, headers: dict, body: bytes) -> None:
        key = headers.get("x-bapi-api-key", "")
        stamp = headers.get("x-bapi-timestamp", "")
        recv = headers.get("x-bapi-recv-window", "5000")
        if key != self.creds.key:
            raise Rejected(200, {"retCode": 10003, "retMsg": "API key is invalid.", "result": {}})
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > int(recv):
            raise Rejected(200, {"retCode": 10002, "retMsg": "invalid request, please check your server timestamp"
                                 " or recv_window param", "result": {}})
        query = urllib.parse.urlsplit(target).query
        origin = stamp + key + recv + (query if method == "GET" else body.decode())
        expected = hmac.new(self.creds.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-bapi-sign", "")):
            # Bybit echoes the string it signed, which holds the api key: the audit must not print it.
            raise Rejected(200, {"retCode": 10004, "retMsg": f"error sign! origin_string[{origin}]", "result": {}})

    def _verify_coinbase(self, method: str, target: str, headers: dict, body: bytes) -> None:
        def unauthorized(why: str) -> Rejected:
            return Rejected(401, "Unauthorized", why)

        auth = headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            raise unauthorized("no bearer token")
        try:
            head_b64, claims_b64, sig_b64 = auth[len("Bearer "):].split(".")
            head = json.loads(_b64url(head_b64))
            claims = json.loads(_b64url(claims_b64))
            signature = _b64url(sig_b64)
        except ValueError:
            raise unauthorized("malformed JWT") from None
        signing_input = f"{head_b64}.{claims_b64}".encode()
        es256 = head.get("alg") == "ES256"
        if not (es256 or head.get("alg") == "EdDSA") or head.get("kid") != self.creds.key or not head.get("nonce"):
            raise unauthorized("bad JWT header (alg, kid or nonce)")
        try:
            if es256:
                if len(signature) != 64:
                    raise unauthorized("ES256 signature is not 64 bytes")
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
                self.creds.public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            else:
                self.creds.public_key.verify(signature, signing_input)
        except (InvalidSignature, TypeError, AttributeError):
            raise unauthorized("bad signature") from None
        now = time.time()
        if claims.get("sub") != self.creds.key or claims.get("iss") != ("coinbase-cloud" if es256 else "cdp"):
            raise unauthorized("bad sub or iss claim")
        nbf, exp = claims.get("nbf"), claims.get("exp")
        if not (isinstance(nbf, int) and isinstance(exp, int) and nbf <= now + 5 and now < exp <= nbf + 120):
            raise unauthorized("bad nbf or exp claim")
        uris = [claims.get("uri")] if es256 else claims.get("uris") or []
        # ccxt strips "https://" from the URL it signs; against this plain-http server the scheme stays in.
        wanted = f"{method} {headers.get('host')}{urllib.parse.urlsplit(target).path}"
        if [u.replace(" http://", " ", 1) if isinstance(u, str) else u for u in uris] != [wanted]:
            raise unauthorized("uri claim does not name this request")


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _handler_for(exchange: FakeExchange):
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                exchange.verify(self.command, self.path, headers, body)
            except Rejected as rejected:
                exchange.seen.append(Seen(self.command, self.path, False, rejected.why, headers))
                self._reply(rejected.status, rejected.body)
                return
            exchange.seen.append(Seen(self.command, self.path, True, "", headers))
            self._reply(exchange.status, exchange.answer)

        def _reply(self, status: int, payload: Any) -> None:
            text = payload if isinstance(payload, str) else json.dumps(payload)
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain" if isinstance(payload, str) else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

    return Handler


# -- documented response shapes ---------------------------------------------------------------------------------

def binance_answer(withdraw: bool = False, ip: bool = True, transfer: bool = False) -> dict:
    return {
        "ipRestrict": ip, "createTime": 1698645219000, "enableReading": True, "enableWithdrawals": withdraw,
        "enableInternalTransfer": transfer, "enableMargin": False, "enableFutures": True,
        "permitsUniversalTransfer": False, "enableVanillaOptions": False, "enableFixApiTrade": False,
        "enableFixReadOnly": True, "enableSpotAndMarginTrading": True, "enablePortfolioMarginTrading": False,
    }


def okx_answer(withdraw: bool = False, ip: bool = True) -> dict:
    perm = "read_only,trade" + (",withdraw" if withdraw else "")
    return {"code": "0", "msg": "", "data": [{
        "acctLv": "2", "autoLoan": False, "ctIsoMode": "automatic", "greeksType": "PA",
        "ip": "203.0.113.7,198.51.100.20" if ip else "", "kycLv": "3", "label": "trading bot", "level": "Lv1",
        "levelTmp": "", "liquidationGear": "-1", "mainUid": "44705892343619584", "mgnIsoMode": "automatic",
        "opAuth": "1", "perm": perm, "posMode": "long_short_mode", "roleType": "0", "spotRoleType": "0",
        "traderInsts": [], "uid": "44705892343619584",
    }]}


def bybit_answer(api_key: str, withdraw: bool = False, ip: bool = True, transfer: bool = False) -> dict:
    wallet = (["AccountTransfer", "SubMemberTransfer"] if transfer else []) + (["Withdraw"] if withdraw else [])
    return {"retCode": 0, "retMsg": "", "retExtInfo": {}, "time": 1697525990798, "result": {
        "id": "13770661", "note": "trading bot", "apiKey": api_key, "readOnly": 0, "secret": "",
        "permissions": {
            "ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": wallet, "Options": [],
            "Derivatives": ["DerivativesTrade"], "CopyTrading": [], "BlockTrade": [], "Exchange": [],
            "NFT": [], "Affiliate": [],
        },
        "ips": ["203.0.113.7"] if ip else ["*"], "type": 1, "deadlineDay": 66,
        "expiredAt": "2030-12-22T07:20:25Z", "createdAt": "2025-10-16T02:24:40Z", "unified": 0, "uta": 1,
        "userID": 24617703, "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0", "affiliateID": 0,
        "rsaPublicKey": "", "isMaster": True, "parentUid": "0", "kycLevel": "LEVEL_DEFAULT", "kycRegion": "",
    }}


def coinbase_answer(transfer: bool = False) -> dict:
    return {"can_view": True, "can_trade": True, "can_transfer": transfer,
            "portfolio_uuid": "8f2bd0a5-5b46-4e1b-9c9d-0d4f5f3c2a11", "portfolio_type": "DEFAULT"}
