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
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Optional

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
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
class Venue:
    """One key of one exchange on the fake server, and what the server answers when that key signed a request
    (a dict keyed by path for venues that take two calls)."""
    exchange: str
    creds: Credentials
    answer: Any
    status: int = 200
    delay: float = 0.0   # seconds before answering (time-outs)


def _paths(exchange: str) -> tuple:
    paths = PATHS[exchange]
    return paths if isinstance(paths, tuple) else (paths,)


@dataclass
class Seen:
    method: str
    path: str
    accepted: bool
    reason: str = ""
    headers: dict = field(default_factory=dict)


class FakeExchange:
    """with FakeExchange("binance", creds, answer) as srv: point CKG_AUDIT_API_BASE at srv.base.

    Several venues and keys on one server: FakeExchange.serving([Venue(...), ...]). A request is routed by its path
    to a venue, and accepted when one of that venue's keys signed it; the answer is that key's."""

    def __init__(self, exchange: str, creds: Credentials, answer: Any, status: int = 200, delay: float = 0.0) -> None:
        self.venues: list[Venue] = [Venue(exchange, creds, answer, status, delay)]
        self.seen: list[Seen] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True)

    @classmethod
    def serving(cls, venues: list["Venue"]) -> "FakeExchange":
        server = cls(venues[0].exchange, venues[0].creds, venues[0].answer, venues[0].status, venues[0].delay)
        server.venues = list(venues)
        return server

    @property
    def exchange(self) -> str:
        return self.venues[0].exchange

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

    def accepted(self) -> list["Seen"]:
        return [s for s in self.seen if s.accepted]

    # -- verification, one method per exchange; each raises Rejected with the exchange's own error answer --

    def verify(self, method: str, target: str, headers: dict, body: bytes) -> "Venue":
        path = urllib.parse.urlsplit(target).path
        candidates = [v for v in self.venues if path in _paths(v.exchange)]
        if not candidates:
            raise Rejected(404, {"error": f"unexpected path {path}"})
        request = target + " " + " ".join(headers.values()) + " " + body.decode("utf-8", "replace")
        # the key that signed the request is tried last, so its own rejection is the one reported
        candidates.sort(key=lambda v: v.creds.key in request)
        failure: Optional[Rejected] = None
        for venue in candidates:
            try:
                getattr(self, f"_verify_{venue.exchange}")(venue.creds, method, target, headers, body)
                return venue
            except Rejected as rejected:
                failure = rejected
        assert failure is not None
        raise failure

    def _verify_binance(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        query = urllib.parse.urlsplit(target).query
        payload, sep, signature = query.rpartition("&signature=")
        if not sep:
            raise Rejected(400, {"code": -1102, "msg": "Mandatory parameter 'signature' was not sent."})
        if headers.get("x-mbx-apikey") != creds.key:
            raise Rejected(401, {"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."})
        params = dict(urllib.parse.parse_qsl(payload))
        recv_window = int(params.get("recvWindow", 5000))
        if abs(time.time() * 1000 - int(params.get("timestamp", 0))) > recv_window:
            raise Rejected(400, {"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."})
        expected = hmac.new(creds.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise Rejected(400, {"code": -1022, "msg": "Signature for this request is not valid."})

    def _verify_okx(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        def fail(code: str, msg: str) -> Rejected:
            return Rejected(401, {"msg": msg, "code": code})

        if headers.get("ok-access-key") != creds.key:
            raise fail("50111", "Invalid OK-ACCESS-KEY")
        if headers.get("ok-access-passphrase") != creds.passphrase:
            raise fail("50105", "Invalid OK-ACCESS-PASSPHRASE")
        stamp = headers.get("ok-access-timestamp", "")
        try:
            sent = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
        except ValueError:
            raise fail("50112", "Invalid OK-ACCESS-TIMESTAMP") from None
        if abs(time.time() - sent) > 30:
            raise fail("50102", "Timestamp request expired")
        prehash = stamp + method + target + body.decode()
        expected = base64.b64encode(hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha256).digest())
        if not hmac.compare_digest(expected.decode(), headers.get("ok-access-sign", "")):
            raise fail("50113", "Invalid Sign")

    def _verify_bybit(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        key = headers.get("x-bapi-api-key", "")
        stamp = headers.get("x-bapi-timestamp", "")
        recv = headers.get("x-bapi-recv-window", "5000")
        if key != creds.key:
            raise Rejected(200, {"retCode": 10003, "retMsg": "API key is invalid.", "result": {}})
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > int(recv):
            raise Rejected(200, {"retCode": 10002, "retMsg": "invalid request, please check your server timestamp"
                                 " or recv_window param", "result": {}})
        query = urllib.parse.urlsplit(target).query
        origin = stamp + key + recv + (query if method == "GET" else body.decode())
        expected = hmac.new(creds.secret.encode(), origin.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-bapi-sign", "")):
            # Bybit echoes the string it signed, which holds the api key: the audit must not print it.
            raise Rejected(200, {"retCode": 10004, "retMsg": f"error sign! origin_string[{origin}]", "result": {}})

    def _verify_coinbase(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
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
        if not (es256 or head.get("alg") == "EdDSA") or head.get("kid") != creds.key or not head.get("nonce"):
            raise unauthorized("bad JWT header (alg, kid or nonce)")
        try:
            if es256:
                if len(signature) != 64:
                    raise unauthorized("ES256 signature is not 64 bytes")
                der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
                creds.public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            else:
                creds.public_key.verify(signature, signing_input)
        except (InvalidSignature, TypeError, AttributeError):
            raise unauthorized("bad signature") from None
        now = time.time()
        if claims.get("sub") != creds.key or claims.get("iss") != ("coinbase-cloud" if es256 else "cdp"):
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
                venue = exchange.verify(self.command, self.path, headers, body)
            except Rejected as rejected:
                exchange.seen.append(Seen(self.command, self.path, False, rejected.why, headers))
                self._reply(rejected.status, rejected.body)
                return
            exchange.seen.append(Seen(self.command, self.path, True, "", headers))
            if venue.delay:
                time.sleep(venue.delay)
            answer = venue.answer
            if isinstance(answer, dict) and answer and all(str(k).startswith("/") for k in answer):
                answer = answer[urllib.parse.urlsplit(self.path).path]
            try:
                self._reply(venue.status, answer)
            except (BrokenPipeError, ConnectionResetError):  # the client gave up (time-out tests)
                pass

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


# -- fake credentials (generated per test; never real keys) --------------------------------------------------

def _coinbase_ec() -> Credentials:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                serialization.NoEncryption()).decode()
    name = f"organizations/{uuid.uuid4()}/apiKeys/{uuid.uuid4()}"
    return Credentials(name, pem, public_key=private.public_key())


def _coinbase_ed25519() -> Credentials:
    private = ed25519.Ed25519PrivateKey.generate()
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                serialization.NoEncryption())
    public = private.public_key()
    pub_raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return Credentials(str(uuid.uuid4()), base64.b64encode(raw + pub_raw).decode(), public_key=public)


# value shapes as key-formats.md documents them; `fake` expands a template with the test's seeded generator
CREDENTIAL_SHAPES = {
    "binance": ("{alnum:64}", "{alnum:64}", None),
    "okx": ("{uuid}", "{HEX:32}", "{alnum:12}!"),
    "bybit": ("{alnum:18}", "{alnum:36}", None),
}


def make_credentials(exchange: str, fake: Callable[[str], str]) -> Credentials:
    if exchange == "coinbase":
        return _coinbase_ec()
    if exchange == "coinbase-ed25519":
        return _coinbase_ed25519()
    key, secret, passphrase = CREDENTIAL_SHAPES[exchange]
    return Credentials(fake(key), fake(secret), fake(passphrase) if passphrase else None)


def assert_no_secret(text: str, *creds: Credentials) -> None:
    """No key, secret or passphrase (nor any long line of one) in `text`, and no traceback."""
    for c in creds:
        assert c.key not in text
        for value in (c.secret, c.passphrase):
            if value:
                assert value not in text
                for line in value.splitlines():  # a PEM's header is what the redacted form shows
                    if len(line) >= 16 and not line.startswith("-----"):
                        assert line not in text
    assert "Traceback" not in text
