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

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from crypto_key_guard.commands import audit
from crypto_key_guard.integrations.exchanges import SPECS

PATHS = {
    "binance": "/sapi/v1/account/apiRestrictions",
    "okx": "/api/v5/account/config",
    "bybit": "/v5/user/query-api",
    "coinbase": "/api/v3/brokerage/key_permissions",
    "kucoin": "/api/v1/user/api-key",
    "bitget": "/api/v2/spot/account/info",
    "gate": "/api/v4/account/detail",
    "htx": ("/v2/user/uid", "/v2/user/api-key"),
    "bitfinex": "/v2/auth/r/permissions",
    "gemini": "/v1/roles",
    "deribit": "/api/v2/private/list_api_keys",
    "mexc": "/api/v3/account",
    "bitstamp": "/api/v2/account_balances/",
    "bitvavo": "/v2/account",
    "cryptocom": "/exchange/v1/private/user-balance",
    "kraken": "/0/private/Balance",
    "poloniex": "/accounts/balances",
    "coinbaseexchange": "/accounts",
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


    # -- venues added for scan --verify, each as its API reference documents the signature --

    def _verify_kucoin(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """KC-API-SIGN: base64 HMAC-SHA256 of timestamp + method + endpoint (+ query) + body; key version 2 sends
        the passphrase HMAC'd with the secret."""
        def fail(code: str, msg: str) -> Rejected:
            return Rejected(401, {"code": code, "msg": msg})

        if headers.get("kc-api-key") != creds.key:
            raise fail("400003", "KC-API-KEY not exists")
        if headers.get("kc-api-key-version") != "2" or headers.get("kc-api-passphrase") != _b64_hmac(
                creds.secret, creds.passphrase or "", hashlib.sha256):
            raise fail("400004", "Invalid KC-API-PASSPHRASE")
        stamp = headers.get("kc-api-timestamp", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 5000:
            raise fail("400002", "KC-API-TIMESTAMP Invalid")
        expected = _b64_hmac(creds.secret, stamp + method + target + body.decode(), hashlib.sha256)
        if not hmac.compare_digest(expected, headers.get("kc-api-sign", "")):
            raise fail("400005", "Invalid KC-API-SIGN")

    def _verify_bitget(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """ACCESS-SIGN: base64 HMAC-SHA256 of timestamp + method + requestPath (+ ?query) + body."""
        def fail(code: str, msg: str) -> Rejected:
            return Rejected(400, {"code": code, "msg": msg, "requestTime": int(time.time() * 1000), "data": None})

        if headers.get("access-key") != creds.key:
            raise fail("40006", "Invalid ACCESS_KEY")
        if headers.get("access-passphrase") != creds.passphrase:
            raise fail("40012", "apikey/password is incorrect")
        stamp = headers.get("access-timestamp", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 30000:
            raise fail("40008", "Request timestamp expired")
        expected = _b64_hmac(creds.secret, stamp + method + target + body.decode(), hashlib.sha256)
        if not hmac.compare_digest(expected, headers.get("access-sign", "")):
            raise fail("40009", "sign signature error")

    def _verify_gate(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """SIGN: hex HMAC-SHA512 of method, path, query, hex SHA-512 of the body and timestamp, newline-joined."""
        if headers.get("key") != creds.key:
            raise Rejected(401, {"label": "INVALID_KEY", "message": "Invalid key provided"})
        stamp = headers.get("timestamp", "")
        if not stamp.isdigit() or abs(time.time() - int(stamp)) > 60:
            raise Rejected(401, {"label": "REQUEST_EXPIRED", "message": "gap between request Timestamp and server "
                                                                       "time exceeds 60"})
        parts = urllib.parse.urlsplit(target)
        prehash = "\n".join([method, parts.path, parts.query, hashlib.sha512(body).hexdigest(), stamp])
        expected = hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha512).hexdigest()
        if not hmac.compare_digest(expected, headers.get("sign", "")):
            raise Rejected(401, {"label": "INVALID_SIGNATURE", "message": "Signature mismatch"})

    def _verify_htx(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """Signature v2: base64 HMAC-SHA256 of method, host, path and the sorted, encoded query (AccessKeyId,
        SignatureMethod, SignatureVersion, Timestamp and the call's own parameters), newline-joined."""
        parts = urllib.parse.urlsplit(target)
        pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        params = dict(pairs)
        if params.get("AccessKeyId") != creds.key:
            raise Rejected(200, {"code": 1003, "message": "invalid signature: unknown AccessKeyId", "data": None})
        try:
            sent = datetime.strptime(params.get("Timestamp", ""), "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
        except ValueError:
            raise Rejected(200, {"code": 1003, "message": "invalid Timestamp", "data": None}) from None
        if abs(time.time() - sent.timestamp()) > 300 or params.get("SignatureMethod") != "HmacSHA256" or \
                params.get("SignatureVersion") != "2":
            raise Rejected(200, {"code": 1003, "message": "invalid signature parameters", "data": None})
        signed = sorted((k, v) for k, v in pairs if k != "Signature")
        canonical = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in signed)
        prehash = "\n".join([method, headers.get("host", ""), parts.path, canonical])
        if not hmac.compare_digest(_b64_hmac(creds.secret, prehash, hashlib.sha256), params.get("Signature", "")):
            raise Rejected(200, {"code": 1003, "message": "invalid signature", "data": None})
        if parts.path.endswith("/api-key") and (params.get("uid") != HTX_UID or params.get("accessKey") != creds.key):
            raise Rejected(200, {"code": 2002, "message": "invalid field value in `uid`", "data": None})

    def _verify_bitfinex(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """bfx-signature: hex HMAC-SHA384 of "/api/" + path + nonce + body."""
        if headers.get("bfx-apikey") != creds.key:
            raise Rejected(500, ["error", 10100, "apikey: invalid"])
        nonce = headers.get("bfx-nonce", "")
        prehash = "/api/" + urllib.parse.urlsplit(target).path.lstrip("/") + nonce + body.decode()
        expected = hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha384).hexdigest()
        if not nonce.isdigit() or not hmac.compare_digest(expected, headers.get("bfx-signature", "")):
            raise Rejected(500, ["error", 10100, "apikey: digest invalid"])

    def _verify_gemini(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """X-GEMINI-SIGNATURE: hex HMAC-SHA384 of the base64 payload, whose `request` names this path."""
        def fail(reason: str) -> Rejected:
            return Rejected(400, {"result": "error", "reason": reason, "message": reason})

        if headers.get("x-gemini-apikey") != creds.key:
            raise fail("InvalidApiKey")
        payload = headers.get("x-gemini-payload", "")
        expected = hmac.new(creds.secret.encode(), payload.encode(), hashlib.sha384).hexdigest()
        if not hmac.compare_digest(expected, headers.get("x-gemini-signature", "")):
            raise fail("InvalidSignature")
        try:
            request = json.loads(base64.b64decode(payload))
        except ValueError:
            raise fail("InvalidSignature") from None
        if request.get("request") != urllib.parse.urlsplit(target).path or not str(request.get("nonce", "")).isdigit():
            raise fail("InvalidNonce")

    def _verify_deribit(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """Authorization: deri-hmac-sha256 id=,ts=,sig=,nonce= ; sig is hex HMAC-SHA256 of
        ts \n nonce \n METHOD \n URI \n BODY \n."""
        def fail(code: int, message: str) -> Rejected:
            return Rejected(400, {"jsonrpc": "2.0", "error": {"message": message, "code": code}, "testnet": False})

        auth = headers.get("authorization", "")
        if not auth.startswith("deri-hmac-sha256 "):
            raise fail(13009, "unauthorized")
        fields = dict(part.split("=", 1) for part in auth[len("deri-hmac-sha256 "):].split(",") if "=" in part)
        if fields.get("id") != creds.key:
            raise fail(13004, "invalid_credentials")
        ts = fields.get("ts", "")
        if not ts.isdigit() or abs(time.time() * 1000 - int(ts)) > 60000:
            raise fail(13009, "unauthorized")
        prehash = f"{ts}\n{fields.get('nonce', '')}\n{method}\n{target}\n{body.decode()}\n"
        expected = hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, fields.get("sig", "")):
            raise fail(13004, "invalid_credentials")

    def _verify_mexc(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """As Binance: hex HMAC-SHA256 of the query string before &signature=, X-MEXC-APIKEY header."""
        query = urllib.parse.urlsplit(target).query
        payload, sep, signature = query.rpartition("&signature=")
        if headers.get("x-mexc-apikey") != creds.key:
            raise Rejected(400, {"code": 10072, "msg": "Api key info invalid"})
        params = dict(urllib.parse.parse_qsl(payload))
        if abs(time.time() * 1000 - int(params.get("timestamp", 0))) > int(params.get("recvWindow", 5000)):
            raise Rejected(400, {"code": 700003, "msg": "Timestamp for this request is outside of the recvWindow."})
        expected = hmac.new(creds.secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
        if not sep or not hmac.compare_digest(expected, signature):
            raise Rejected(400, {"code": 700002, "msg": "Signature for this request is not valid."})

    def _verify_bitstamp(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """X-Auth-Signature: hex HMAC-SHA256 of "BITSTAMP key" + method + host + path + query + content type +
        nonce + timestamp + "v2" + body."""
        def fail(code: str, reason: str) -> Rejected:
            return Rejected(403, {"status": "error", "reason": reason, "code": code})

        if headers.get("x-auth") != f"BITSTAMP {creds.key}":
            raise fail("API0001", "API key not found")
        stamp = headers.get("x-auth-timestamp", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 150000 or \
                headers.get("x-auth-version") != "v2" or len(headers.get("x-auth-nonce", "")) != 36:
            raise fail("API0004", "Invalid nonce or timestamp")
        signed_url = headers.get("host", "") + target
        rest = (headers.get("content-type", "") + headers["x-auth-nonce"] + stamp + "v2" + body.decode())
        # ccxt strips "https://" from the URL it signs; against this plain-http server the scheme stays in
        candidates = [f"BITSTAMP {creds.key}{method}{prefix}{signed_url}{rest}" for prefix in ("", "http://")]
        signature = headers.get("x-auth-signature", "").lower()
        if not any(hmac.compare_digest(hmac.new(creds.secret.encode(), c.encode(), hashlib.sha256).hexdigest(),
                                       signature) for c in candidates):
            raise fail("API0005", "Invalid signature")

    def _verify_bitvavo(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """BITVAVO-ACCESS-SIGNATURE: hex HMAC-SHA256 of timestamp + method + /v2 path + body."""
        if headers.get("bitvavo-access-key") != creds.key:
            raise Rejected(403, {"errorCode": 305, "error": "No active API key found."})
        stamp = headers.get("bitvavo-access-timestamp", "")
        window = int(headers.get("bitvavo-access-window", "10000") or 10000)
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > window:
            raise Rejected(403, {"errorCode": 304, "error": "Your request was received after the access window."})
        expected = hmac.new(creds.secret.encode(), (stamp + method + target + body.decode()).encode(),
                            hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, headers.get("bitvavo-access-signature", "")):
            raise Rejected(403, {"errorCode": 309, "error": "The signature is invalid."})

    def _verify_cryptocom(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """sig in the JSON body: hex HMAC-SHA256 of method + id + api_key + parameter string + nonce."""
        try:
            request = json.loads(body)
        except ValueError:
            raise Rejected(400, {"code": 40001, "message": "BAD_REQUEST"}) from None
        def fail(code: int, message: str) -> Rejected:
            return Rejected(401, {"id": request.get("id"), "method": request.get("method"), "code": code,
                                  "message": message})

        if request.get("api_key") != creds.key:
            raise fail(40101, "Authentication failure")
        nonce = str(request.get("nonce", ""))
        if not nonce.isdigit() or abs(time.time() * 1000 - int(nonce)) > 60000:
            raise Rejected(401, {"code": 40102, "message": "Nonce value differs by more than 60 seconds"})
        params = request.get("params") or {}
        param_string = "".join(f"{k}{params[k]}" for k in sorted(params))
        prehash = f"{request.get('method')}{request.get('id')}{creds.key}{param_string}{nonce}"
        expected = hmac.new(creds.secret.encode(), prehash.encode(), hashlib.sha256).hexdigest()
        if request.get("method") != "private/user-balance" or not hmac.compare_digest(expected, request.get("sig", "")):
            raise fail(40101, "Authentication failure")

    def _verify_kraken(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """API-Sign: base64 HMAC-SHA512, keyed with the base64-decoded secret, of path + SHA-256(nonce + body)."""
        if headers.get("api-key") != creds.key:
            raise Rejected(200, {"error": ["EAPI:Invalid key"]})
        nonce = dict(urllib.parse.parse_qsl(body.decode())).get("nonce", "")
        path = urllib.parse.urlsplit(target).path
        digest = hashlib.sha256((nonce + body.decode()).encode()).digest()
        try:
            key = base64.b64decode(creds.secret)
        except ValueError:
            raise Rejected(200, {"error": ["EAPI:Invalid key"]}) from None
        expected = base64.b64encode(hmac.new(key, path.encode() + digest, hashlib.sha512).digest()).decode()
        if not nonce.isdigit() or not hmac.compare_digest(expected, headers.get("api-sign", "")):
            raise Rejected(200, {"error": ["EAPI:Invalid signature"]})


    def _verify_poloniex(self, creds: Credentials, method: str, target: str, headers: dict, body: bytes) -> None:
        """signature: base64 HMAC-SHA256 of method \n path \n the sorted query with signTimestamp (GET)."""
        if headers.get("key") != creds.key:
            raise Rejected(401, {"code": 401, "message": "Illegal key"})
        stamp = headers.get("signtimestamp", "")
        if not stamp.isdigit() or abs(time.time() * 1000 - int(stamp)) > 5000:
            raise Rejected(401, {"code": 401, "message": "Illegal signTimestamp"})
        parts = urllib.parse.urlsplit(target)
        query = sorted(urllib.parse.parse_qsl(parts.query) + [("signTimestamp", stamp)])
        prehash = f"{method}\n{parts.path}\n{urllib.parse.urlencode(query)}"
        if not hmac.compare_digest(_b64_hmac(creds.secret, prehash, hashlib.sha256), headers.get("signature", "")):
            raise Rejected(401, {"code": 401, "message": "Illegal of Sign"})


    def _verify_coinbaseexchange(self, creds: Credentials, method: str, target: str, headers: dict,
                                 body: bytes) -> None:
        """CB-ACCESS-SIGN: base64 HMAC-SHA256, keyed with the base64-decoded secret, of timestamp + method +
        request path + body; CB-ACCESS-PASSPHRASE as given at key creation."""
        if headers.get("cb-access-key") != creds.key:
            raise Rejected(401, {"message": "invalid api key"})
        if headers.get("cb-access-passphrase") != creds.passphrase:
            raise Rejected(401, {"message": "invalid passphrase"})
        stamp = headers.get("cb-access-timestamp", "")
        try:
            fresh = abs(time.time() - float(stamp)) <= 30
        except ValueError:
            fresh = False
        if not fresh:
            raise Rejected(400, {"message": "request timestamp expired"})
        prehash = stamp + method + target + body.decode()
        expected = base64.b64encode(hmac.new(base64.b64decode(creds.secret), prehash.encode(),
                                             hashlib.sha256).digest()).decode()
        if not hmac.compare_digest(expected, headers.get("cb-access-sign", "")):
            raise Rejected(401, {"message": "invalid signature"})


def _b64_hmac(secret: str, message: str, digest) -> str:
    return base64.b64encode(hmac.new(secret.encode(), message.encode(), digest).digest()).decode()


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
    "kucoin": ("{hex:24}", "{uuid}", "{alnum:12}"),
    "bitget": ("bg_{hex:32}", "{hex:64}", "{alnum:12}"),
    "gate": ("{hex:32}", "{hex:64}", None),
    "htx": ("{hex:8}-{hex:8}-{hex:8}-{hex:5}", "{hex:8}-{hex:8}-{hex:8}-{hex:5}", None),
    "bitfinex": ("{b64url:43}", "{b64url:43}", None),
    "gemini": ("account-{alnum:20}", "{base58:28}", None),
    "deribit": ("{alnum:8}", "{b64url:43}", None),
    "mexc": ("mx0{lowalnum:16}", "{hex:32}", None),
    "bitstamp": ("{upalnum:32}", "{upalnum:32}", None),
    "bitvavo": ("{hex:64}", "{hex:128}", None),
    "cryptocom": ("{alnum:22}", "{alnum:22}", None),
    "kraken": ("{base64:56}", "{base64:86}==", None),
    "poloniex": ("{upalnum:8}-{upalnum:8}-{upalnum:8}-{upalnum:8}", "{hex:128}", None),
    "coinbaseexchange": ("{hex:32}", "{base64:86}==", "{alnum:12}"),
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


# -- documented answers of the venues added for scan --verify ------------------------------------------------

HTX_UID = "63628520"


def kucoin_answer(api_key: str, withdraw: bool = False, ip: bool = True, transfer: bool = False) -> dict:
    perms = ["General", "Spot", "Futures"] + (["Transfer"] if withdraw else []) + \
        (["InnerTransfer"] if transfer else [])
    return {"code": "200000", "data": {
        "remark": "trading bot", "apiKey": api_key, "apiVersion": 3,
        "permission": ",".join(perms), "ipWhitelist": "203.0.113.7,198.51.100.20" if ip else "",
        "createdAt": 1728443843000, "uid": 165111215, "isMaster": True}}


def bitget_answer(withdraw: bool = False, ip: bool = True, transfer: bool = False) -> dict:
    authorities = ["readonly", "trade"] + (["withdraw"] if withdraw else []) + (["transfer"] if transfer else [])
    return {"code": "00000", "msg": "success", "requestTime": 1695808949356, "data": {
        "userId": "9154406437", "inviterId": "0", "ips": "203.0.113.7" if ip else "", "authorities": authorities,
        "parentId": 9154406437, "traderType": "", "channelCode": "", "channel": "", "regisTime": "1695808900000"}}


def gate_answer(ip: bool = True) -> dict:
    return {"user_id": 1667201533, "ip_whitelist": ["203.0.113.7"] if ip else [], "currency_pairs": [],
            "key": {"mode": 1}, "tier": 2, "copy_trading_role": 0}


def htx_answer(access_key: str, withdraw: bool = False, ip: bool = True) -> dict:
    permission = "readOnly,trade" + (",withdraw" if withdraw else "")
    return {
        "/v2/user/uid": {"code": 200, "data": int(HTX_UID)},
        "/v2/user/api-key": {"code": 200, "message": "success", "data": [{
            "accessKey": access_key, "note": "trading bot", "permission": permission,
            "ipAddresses": "203.0.113.7" if ip else "", "validDays": -1, "status": "normal",
            "createTime": 1671166935000, "updateTime": 1671166935000}]},
    }


def bitfinex_answer(withdraw: bool = False, transfer: bool = False) -> list:
    return [["account", 1, 0], ["history", 1, 0], ["orders", 1, 1], ["positions", 1, 1], ["funding", 1, 0],
            ["settings", 1, 0], ["wallets", 1, int(transfer)], ["withdraw", 0, int(withdraw)],
            ["ui_withdraw", 0, 0], ["bfxpay", 0, 0]]


def gemini_answer(fund_manager: bool = False) -> dict:
    return {"counterparty_id": "BJ5YX8JR", "isAuditor": False, "isFundManager": fund_manager, "isTrader": True}


def deribit_answer(client_id: str, wallet_write: bool = False) -> dict:
    scope = "account:read block_trade:read trade:read_write wallet:" + ("read_write" if wallet_write else "read")
    return {"jsonrpc": "2.0", "usIn": 1700000000000000, "usOut": 1700000000000500, "usDiff": 500, "testnet": False,
            "result": [
                {"timestamp": 1560236001108, "max_scope": "account:read_write wallet:read_write", "id": 1,
                 "enabled": True, "default": True, "client_secret": "", "client_id": "OtherKey1", "name": "",
                 "enabled_features": []},
                {"timestamp": 1560236287708, "max_scope": scope, "id": 2, "enabled": True, "default": False,
                 "client_secret": "", "client_id": client_id, "name": "bot", "enabled_features": []},
            ]}


def mexc_answer() -> dict:
    return {"makerCommission": 0, "takerCommission": 0, "buyerCommission": 0, "sellerCommission": 0,
            "canTrade": True, "canWithdraw": True, "canDeposit": True, "updateTime": None, "accountType": "SPOT",
            "balances": [{"asset": "USDT", "free": "10.0", "locked": "0"}], "permissions": ["SPOT"]}


def bitstamp_answer() -> list:
    return [{"currency": "usd", "total": "100.00", "available": "100.00", "reserved": "0.00"}]


def bitvavo_answer() -> dict:
    return {"fees": {"tier": 0, "volume": "0.00", "maker": "0.0015", "taker": "0.0025"},
            "capabilities": ["buy", "sell", "depositCrypto", "depositFiat", "withdrawCrypto", "withdrawFiat"]}


def cryptocom_answer() -> dict:
    return {"id": 1, "method": "private/user-balance", "code": 0, "result": {"data": [
        {"total_available_balance": "100.0", "total_margin_balance": "100.0", "instrument_name": "USD",
         "position_balances": []}]}}


def kraken_answer() -> dict:
    return {"error": [], "result": {"ZUSD": "171288.6158", "XXBT": "0.0000000000"}}


def coinbaseexchange_answer() -> list:
    return [{"id": "71452118-efc7-4cc4-8780-a5e22d4baa53", "currency": "USD", "balance": "100.00",
             "available": "100.00", "hold": "0.00", "profile_id": "75da88c5-05bf-4f54-bc85-5c775bd68254",
             "trading_enabled": True}]


def poloniex_answer() -> list:
    return [{"accountId": "1234567890", "accountType": "SPOT", "balances": [
        {"currencyId": "214", "currency": "USDT", "available": "100.00", "hold": "0.00"}]}]


# what each venue can say: permissions (and IP), the IP whitelist only, or that the key works
PERMISSION_VENUES = ["binance", "okx", "bybit", "coinbase", "kucoin", "bitget", "htx", "bitfinex", "gemini",
                     "deribit"]
IP_ONLY_VENUES = ["gate"]
LIVENESS_VENUES = ["mexc", "bitstamp", "bitvavo", "cryptocom", "kraken", "poloniex", "coinbaseexchange"]
ALL_VENUES = PERMISSION_VENUES + IP_ONLY_VENUES + LIVENESS_VENUES


def venue_answer(exchange: str, creds: Credentials, scenario: str = "least") -> Any:
    """The documented answer for a scenario: "least" (least privilege, IP whitelist), "withdraw", "transfer",
    "no-ip"."""
    withdraw, ip, transfer = scenario == "withdraw", scenario != "no-ip", scenario == "transfer"
    answers = {
        "binance": lambda: binance_answer(withdraw=withdraw, ip=ip, transfer=transfer),
        "okx": lambda: okx_answer(withdraw=withdraw, ip=ip),
        "bybit": lambda: bybit_answer(creds.key, withdraw=withdraw, ip=ip, transfer=transfer),
        "coinbase": lambda: coinbase_answer(transfer=withdraw or transfer),
        "kucoin": lambda: kucoin_answer(creds.key, withdraw=withdraw, ip=ip, transfer=transfer),
        "bitget": lambda: bitget_answer(withdraw=withdraw, ip=ip, transfer=transfer),
        "gate": lambda: gate_answer(ip=ip),
        "htx": lambda: htx_answer(creds.key, withdraw=withdraw, ip=ip),
        "bitfinex": lambda: bitfinex_answer(withdraw=withdraw, transfer=transfer),
        "gemini": lambda: gemini_answer(fund_manager=withdraw or transfer),
        "deribit": lambda: deribit_answer(creds.key, wallet_write=withdraw or transfer),
        "mexc": mexc_answer, "bitstamp": bitstamp_answer, "bitvavo": bitvavo_answer,
        "cryptocom": cryptocom_answer, "kraken": kraken_answer, "poloniex": poloniex_answer,
        "coinbaseexchange": coinbaseexchange_answer,
    }
    return answers[exchange]()


# -- the `run` fixture of the audit tests (import audit_runner into a test module to use it) ------------------

@pytest.fixture(name="run")
def audit_runner(monkeypatch, capsys, tmp_path):
    """run(exchange, creds, base, *args) -> (exit code, stdout, stderr): the credentials in the environment
    (nothing else of any exchange), the test API base set, an empty working directory."""
    monkeypatch.chdir(tmp_path)
    for spec in SPECS.values():
        for name in audit.credential_names(spec):
            monkeypatch.delenv(name, raising=False)

    def _run(exchange: str, creds: Credentials, base: str, *args: str):
        names = audit.credential_names(SPECS[exchange])
        monkeypatch.setenv(names[0], creds.key)
        monkeypatch.setenv(names[1], creds.secret)
        if len(names) > 2:
            monkeypatch.setenv(names[2], creds.passphrase or "")
        monkeypatch.setenv(audit.TEST_API_BASE_ENV, base)
        code = audit.main([exchange, *args])
        out, err = capsys.readouterr()
        return code, out, err
    return _run
