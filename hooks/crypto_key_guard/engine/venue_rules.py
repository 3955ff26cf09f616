"""The venue and service tables (patterns/venues.yaml, services.yaml) as recognition rules.

Each entry x secret credential field becomes one `names:` rule, described as a rule file would describe it, so it
is checked and built by the same loader as a hand-written one; how (shapes, words, contexts, examples) is data in
patterns/venue-rules.yaml. Runs only when the built rules are not cached (rules.py caches them by content).
"""
from __future__ import annotations

import random
import re
from typing import Any, Iterator

from crypto_key_guard.engine.extract.names import squash

# what a generated rule's credential words must never be: words that make a name public or an identifier
_ALPHABET_SLOTS = (  # (slot, characters): a class holding all of a slot's characters is filled from that slot
    ("base58", "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"),
    ("alnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"),
    ("upalnum", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    ("lowalnum", "abcdefghijklmnopqrstuvwxyz0123456789"),
    ("hex", "0123456789abcdef"),
    ("HEX", "0123456789ABCDEF"),
    ("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("lower", "abcdefghijklmnopqrstuvwxyz"),
    ("digits", "0123456789"),
)
_NOT_SECRET_VENUE_FIELDS = frozenset(("uid", "login", "walletAddress", "accountId"))


def expand(venues: Any, services: Any, spec: Any, handwritten: list[dict],
           not_credential: frozenset = frozenset()) -> tuple[list[dict], list[dict]]:
    """(venue rules, service rules) as raw rule mappings, in the order of the spec's fields. not_credential: the
    squashed words that make a name something other than a credential (an example's name must not hold one)."""
    taken = {r.get("id") for r in handwritten if isinstance(r, dict)}
    # the venues the hand-written exchange rules name (binance, gate.io ...): a family's other venues (Binance US,
    # Bybit EU, Kraken Futures) have their own key pages, so their rules are generated
    families = {squash(w) for r in handwritten if isinstance(r, dict) and r.get("kind") == "exchange"
                for w in (r.get("names") or {}).get("venue") or [] if isinstance(w, str)}
    families |= {squash(str(r.get("exchange"))) for r in handwritten if isinstance(r, dict) and r.get("exchange")}
    spec = dict(spec, _shared={}, _families={str(r["family"]).lower(): r["family"] for r in handwritten
                                             if isinstance(r, dict) and r.get("family")})
    venue_rules = list(_venue_rules(venues or {}, spec, taken, families))
    service_rules = list(_service_rules(services or {}, spec, taken, not_credential))
    if spec.get("other_format"):  # every entry's values of undocumented shapes, below all documented rules
        venue_rules += _other_format_rules((venues or {}).get("venues") or [], spec, taken, "exchange", handwritten)
        service_rules += _other_format_rules((services or {}).get("services") or [], spec, taken, "infrastructure",
                                             handwritten)
    return venue_rules, service_rules


# -- venues -----------------------------------------------------------------------------------------------------
def _venue_rules(table: dict, spec: dict, taken: set, families: set) -> Iterator[dict]:
    generic = table.get("credential_fields") or {}
    covered = set(spec["handwritten"]["family_fields"])
    order = list(spec["fields"])
    for venue in table.get("venues") or []:
        fields = {c["field"]: c for c in venue.get("credentials") or [] if c.get("secret")
                  and c["field"] not in _NOT_SECRET_VENUE_FIELDS and c["field"] in spec["fields"]}
        declared = {c["field"] for c in venue.get("credentials") or []}
        own_words = {c["field"]: set(c.get("words") or []) for c in venue.get("credentials") or []}
        for field in order:
            cred = fields.get(field)
            named = {squash(w) for key in ("alone", "with_credential") for w in (venue.get("words") or {}).get(key) or []}
            named.add(squash(venue["name"]))
            if cred is None or (named & families and field in covered):
                continue
            rid = f"{venue['id']}-{spec['fields'][field]['suffix']}"
            if rid in taken:  # a hand-written rule of that id wins
                continue
            words = set(generic.get(field, {}).get("words") or []) | own_words.get(field, set())
            for absorbed in spec["fields"][field].get("absorbs") or []:
                if absorbed not in declared:
                    words |= set(generic.get(absorbed, {}).get("words") or [])
            with_venue: set[str] = set()  # words that name this field only beside the venue's name
            for absorbed in spec["fields"][field].get("absorbs_with_venue") or []:
                if absorbed not in declared:
                    with_venue |= set(generic.get(absorbed, {}).get("words") or [])
            for other, theirs in own_words.items():  # a venue's own words for another field are that field's
                if other != field:
                    words -= theirs
                    with_venue -= theirs
            with_venue -= words
            template = spec["fields"][field]
            if squash(template["env"]) not in {squash(w) for w in words}:  # Paradex: PRIVATE_KEY is its stark key
                template = dict(template, env=sorted(own_words[field])[0].upper())
            yield _rule(spec, template, rid, venue, field, cred, sorted(words), kind=(
                "wallet" if field == "mnemonic" or (venue.get("wallet") and field in ("privateKey", "starkPrivateKey"))
                else "exchange"), with_venue=sorted(with_venue))


# -- services ---------------------------------------------------------------------------------------------------
def _service_rules(table: dict, spec: dict, taken: set, not_credential: frozenset) -> Iterator[dict]:
    base = {k: v for k, v in spec["service_field"].items() if k != "absorbs_with_venue"}
    token_words = list(spec["service_field"].get("absorbs_with_venue") or ())
    for service in table.get("services") or []:
        if service.get("rules"):  # covered by the hand-written rules it names
            continue
        named_words = {squash(w) for c in service.get("credentials") or [] for w in (c.get("words") or []) + [c["field"]]}
        absorbs = [] if named_words & {squash(w) for w in token_words} else token_words
        for cred in service.get("credentials") or []:
            if not cred.get("secret"):
                continue
            field = cred["field"]
            rid = f"{service['id']}-{field.replace('_', '-')}"
            if rid in taken:
                continue
            template = dict(base)
            template["label"] = _label(field)
            words = sorted(set(cred.get("words") or []) | {field})
            # the example's name: the field's, or the first of its words that names a credential (not `endpoint_key`)
            template["env"] = next((w for w in [field] + list(cred.get("words") or [])
                                    if not any(t in not_credential for t in re.split(r"[._-]", w.lower()))),
                                   field).upper()
            yield _rule(spec, template, rid, service, field, cred, words, kind="infrastructure",
                        with_venue=absorbs)
            absorbs = []  # the first secret only
        endpoint = _endpoint_rule(spec, service, taken)
        if endpoint is not None:
            yield endpoint


def _endpoint_rule(spec: dict, service: dict, taken: set) -> dict | None:
    """A pattern rule for the key in the service's endpoint URLs (`https://rpc.ankr.com/*/{key}`): the first secret
    credential with a documented shape, in every endpoint form that has no query string (query parameters are
    read as names already). None when the service has no such endpoint or credential."""
    rid = f"{service['id']}-endpoint-url"
    cred = next((c for c in service.get("credentials") or [] if c.get("secret")
                 and any(f.get("shape") for f in c.get("formats") or [])), None)
    forms = [e for e in service.get("endpoints") or [] if "{key}" in e and "?" not in e]
    if cred is None or not forms or rid in taken:
        return None
    shape = "|".join(f"(?:{f['shape']})" for f in cred["formats"] if f.get("shape"))
    alternatives = []
    for form in forms:
        head = form.split("{key}", 1)[0]
        scheme, _, rest = head.partition("://")
        # a scheme given as https also stands for http, wss for ws; * is one host label or path segment
        parts = [re.escape(piece) for piece in rest.split("*")]
        scheme = re.escape(scheme[:-1]) + "s?" if scheme.endswith("s") else re.escape(scheme)
        alternatives.append(scheme + "://" + "[A-Za-z0-9_-]+".join(parts))
    alone = [w for w in (service.get("words") or {}).get("alone") or []]
    named = alone + [w for w in (service.get("words") or {}).get("with_credential") or []]
    example = sample_template(cred["formats"][0]["shape"], random.Random(rid)) or "{hex:32}"
    urls = [form.replace("*", "mainnet") for form in forms]
    return {
        "id": rid,
        "keywords": _keywords(named, spec.get("keyword_noise") or ()),
        "description": f"{service['name']} key in an endpoint URL",
        "exchange": service["name"],
        "kind": "infrastructure",
        "family": _family(service, spec),
        "severity": spec["service_field"]["severity"],
        "confidence": "high",
        "pattern": "(?i)(?:" + "|".join(alternatives) + ")(?P<secret>" + shape + ")(?:[^A-Za-z0-9_-]|$)",
        "ref": _ref(service, cred),
        "remediation": _remediation(service),
        "examples": {
            "match": [f"RPC_URL={url.replace('{key}', example)}" for url in urls],
            "no_match": [f"RPC_URL={url.replace('{key}', '${RPC_KEY}')}" for url in urls[:1]] +
                        [f"RPC_URL={url.replace('{key}', 'YOUR_API_KEY')}" for url in urls[:1]],
        },
    }


def _label(field: str) -> str:
    return " ".join({"api": "API", "jwt": "JWT", "id": "ID", "url": "URL"}.get(w, w) for w in field.split("_"))


# -- any other shape ---------------------------------------------------------------------------------------------
def _other_format_rules(entries: list[dict], spec: dict, taken: set, kind: str, handwritten: list[dict]) -> list[dict]:
    """One rule per venue or service: a random-looking value under its key/secret/token names that none of its
    documented shapes accepts is still its credential (a format changed, a shape only inferred), reported at the
    `other_format` spec's confidence so that a documented shape of any entry wins the same value. A value of a
    documented shape is its documented rule's alone: disabling that rule does not move the value here."""
    other = spec["other_format"]
    by_word: dict[str, set[str]] = {}  # a venue word -> the value shapes of the hand-written rules naming it
    for rule in handwritten:
        if isinstance(rule, dict) and isinstance(rule.get("value"), str) and "{{" not in rule["value"]:
            for word in (rule.get("names") or {}).get("venue") or []:
                if isinstance(word, str):
                    by_word.setdefault(squash(word), set()).add(rule["value"])
    fallback_value = re.compile(other["value"])
    rules = []
    for entry in entries:
        rid = f"{entry['id']}-{other['suffix']}"
        if rid in taken or not any(c.get("secret") for c in entry.get("credentials") or []):
            continue
        words = {squash(w) for key in ("alone", "with_credential") for w in (entry.get("words") or {}).get(key) or []}
        words.add(squash(entry["id"]))
        documented = {f["shape"] for c in entry.get("credentials") or [] for f in c.get("formats") or []
                      if f.get("shape")}
        documented.update(*(by_word.get(w, ()) for w in words))
        # only the shapes whose values this rule could take at all (not a mnemonic's, a PEM's)
        documented = {shape for shape in documented if _sample_fits(shape, fallback_value, rid)}
        template = dict(other, env="API_KEY", example=_undocumented_example(other["examples"], documented, rid))
        rule = _rule(spec, template, rid, entry, "apiKey", {"field": "apiKey"}, list(other["credential"]),
                     kind=kind,
                     with_venue=list(other.get("with_venue") or ()))
        rule["confidence"] = other["confidence"]
        # the entry's documented shapes (its secrets' are their rules', its public ids' are those ids: Pushover's
        # user key, Twilio's SIDs), from its table entry and from the hand-written rules naming it
        rule["allow"] = list(rule.get("allow") or ()) + list(other.get("allow") or ()) + [
            f"^(?:{shape})$" for shape in sorted(documented)]
        rules.append(rule)
    return rules


def _sample_fits(shape: str, value: "re.Pattern[str]", rid: str) -> bool:
    """A sample of the shape is a value of the other-format rule's shape (a shape with blanks or armour is not)."""
    from crypto_key_guard.engine.examples import expand as fill

    template = sample_template(shape, random.Random(rid))
    return template is not None and value.fullmatch(fill(template, random.Random(rid))) is not None


def _undocumented_example(templates: list[str], documented: set[str], rid: str) -> str:
    """The first example template whose filling none of the documented shapes accepts (an entry documenting
    `[A-Za-z0-9_-]{20,64}` leaves only longer values or other characters to its other-format rule)."""
    from crypto_key_guard.engine.examples import expand as fill

    for template in templates:
        value = fill(template, random.Random(rid))
        if not any(re.fullmatch(shape, value) for shape in documented):
            return template
    return templates[-1]


# -- one rule ---------------------------------------------------------------------------------------------------
def _rule(spec: dict, template: dict, rid: str, entry: dict, field: str, cred: dict, words: list[str],
          kind: str, with_venue: list[str] = ()) -> dict:
    alone = [w for w in (entry.get("words") or {}).get("alone") or []]
    ambiguous = [w for w in (entry.get("words") or {}).get("with_credential") or []]
    is_ccxt = str(entry.get("source", "")).startswith("ccxt")
    named = alone + ambiguous + ([entry["id"]] if is_ccxt and entry["id"] not in alone + ambiguous else [])
    contexts = spec["contexts"]
    shared = spec["_shared"].setdefault(id(entry), {})  # one string per entry: the rule cache stores it once
    context = shared.get("context")
    if context is None:
        parts = []
        if alone:
            parts.append(contexts["alone"].replace("{words}", _alternation(alone, exclude=ambiguous)))
        parts.append(contexts["with_credential"].replace("{words}", _alternation(named)))
        context = shared["context"] = "|".join(f"(?:{p})" for p in parts)
        shared["remediation"] = _remediation(entry)
        shared["family"] = _family(entry, spec)
    shapes, value_example, checks = _value(spec, template, cred, rid)
    raw: dict = {
        "id": rid,
        "keywords": _keywords(named, spec.get("keyword_noise") or ()),
        # every tie (a name's tokens, the contexts below) needs the venue word whole: xt is not in `next`
        "keywords_at_word_start": True,
        "description": f"{entry['name']} {template['label']}",
        "exchange": entry["name"],
        "kind": kind,
        "family": shared["family"],
        "severity": template["severity"],
        "confidence": "high",
        "names": {"venue": named, "credential": words},
        "value": shapes,
        "context": context,
        "context_window": contexts["window"],
        "context_after": context,
        "context_after_window": contexts["after_window"],
        "remediation": shared["remediation"],
        "ref": _ref(entry, cred),
    }
    if template.get("strict"):
        raw["names"]["strict"] = True
    if with_venue:
        raw["names"]["with_venue"] = list(with_venue)
    if cred.get("callees"):  # the SDK calls that take this credential (ClobClient(host, key=...))
        raw["names"]["callees"] = list(cred["callees"])
    raw.update(checks)
    lookalikes = [x["shape"] for x in entry.get("lookalikes") or [] if x.get("shape")
                  and not _documented_shape_accepts(cred, x["shape"], rid)]
    if lookalikes:
        raw["allow"] = [f"^(?:{shape})$" for shape in lookalikes]
    raw["examples"] = _examples(spec, template, entry, field, value_example, named, alone, ambiguous, is_ccxt)
    return raw


def _family(entry: dict, spec: dict) -> str:
    """The family (one detect-secrets plugin each): the entry's, else its name in CamelCase, spelled as a
    hand-written rule of the same family spells it (the plugin names must not differ only in case)."""
    if entry.get("family"):
        return entry["family"]
    camel = "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", entry["name"]) if p)
    return spec.get("_families", {}).get(camel.lower(), camel)


def _keywords(words: list[str], noise) -> list[str]:
    """For each venue word, the run of letters and digits every spelling of it holds, the most distinctive one; a
    word whose runs are all parts of many names (one_trading) gives none while another word gives one."""
    found: set[str] = set()
    fallback: set[str] = set()
    for word in words:
        runs = re.findall(r"[a-z0-9]+", word.lower()) or [word.lower()]
        distinctive = [r for r in runs if len(runs) == 1 or (r not in noise and len(r) >= 3)]
        (found if distinctive else fallback).add(max(distinctive or runs, key=len))
    return sorted(found or fallback)


def _documented_shape_accepts(cred: dict, shape: str, rid: str) -> bool:
    """A lookalike that one of the field's documented shapes accepts (Paradex's account address is 64 hex like its
    key) cannot be told apart by value: the name decides, so it is no reason to refuse a value."""
    from crypto_key_guard.engine.examples import expand as fill

    sample = sample_template(shape, random.Random(rid))
    if sample is None:
        return False
    value = fill(sample, random.Random(rid))
    return any(re.fullmatch(fmt["shape"], value) for fmt in cred.get("formats") or [] if fmt.get("shape"))


def _alternation(words: list[str], exclude: list[str] = ()) -> str:
    """The words as written (any one separator where they have one: gate.io, gate_io) and squashed (gateio), longest
    first; a squashed form that is one of the excluded (ambiguous) words is left out: bit.team, not bitteam."""
    ambiguous = {squash(w) for w in exclude}
    forms = set()
    for word in words:
        pieces = [re.escape(p) for p in re.split(r"[._\- ]+", word.lower()) if p]
        if pieces:
            forms.add("[._ -]".join(pieces))
            if squash(word) not in ambiguous:
                forms.add("".join(pieces))
    return "|".join(sorted(forms, key=lambda f: (-len(f), f)))


def _value(spec: dict, template: dict, cred: dict, rid: str) -> tuple[str, str, dict]:
    """The value's shape (the documented formats, else the field's own shape), an example template, and the checks
    a value passes (validators, min_entropy, use_placeholders)."""
    kinds = spec["format_kinds"]
    formats = cred.get("formats") or ([{"kind": template["kind"]}] if template.get("kind") else [])
    shapes: list[str] = []
    examples: list[str] = []
    checks: dict = {}
    for fmt in formats:
        kind = kinds.get(fmt.get("kind") or "")
        if fmt.get("shape"):
            shapes.append(fmt["shape"])
            sample = sample_template(fmt["shape"], random.Random(rid))
            if sample is not None:
                examples.append(sample)
            if "min_entropy" in template:
                checks["min_entropy"] = template["min_entropy"]
        elif kind is not None:
            shapes.append(kind["value"])
            examples.append(kind["example"])
            checks.update((k, kind[k]) for k in ("validators", "use_placeholders") if k in kind)
    if not shapes:  # no documented format: the field's generic shape, with all its checks
        shapes = [template["value"]]
        checks = {k: template[k] for k in ("min_entropy", "validators", "use_placeholders") if k in template}
    if not examples:
        examples = [template.get("example") or sample_template(template["value"], random.Random(rid)) or ""]
    value = shapes[0] if len(shapes) == 1 else "|".join(f"(?:{s})" for s in shapes)
    return value, examples[0], checks


def _remediation(entry: dict) -> str:
    """The entry's fix, with a link: its key-management page, else its site (a closed venue's text may have none)."""
    text = str(entry.get("remediation") or "").strip()
    keys = entry.get("key_management")
    if keys and keys not in text:
        return f"{text} Keys: {keys}".strip()
    site = (entry.get("api_management") or {}).get("url") or (entry.get("urls") or {}).get("www")
    if site and "https://" not in text:
        return f"{text} See {site}".strip()
    return text


def _ref(entry: dict, cred: dict) -> str:
    for fmt in cred.get("formats") or []:
        if fmt.get("ref"):
            return fmt["ref"]
    docs = (entry.get("urls") or {}).get("doc") or []
    return docs[0] if docs else str((entry.get("api_management") or {}).get("url") or entry.get("key_management") or "")


def _examples(spec: dict, template: dict, entry: dict, field: str, value: str, named: list[str],
              alone: list[str], ambiguous: list[str], is_ccxt: bool) -> dict:
    word = next((w for w in named if squash(w) == squash(entry["id"])), None) or named[0]
    env_word = template["env"]
    slots = {
        "<VENUE>": squash(word).upper(), "<venue_snake>": squash(word), "<ccxt>": entry["id"],
        "<field>": field, "<FIELD>": env_word, "<field_snake>": env_word.lower(), "<value>": value,
        # unquoted .env values end at a space
        "<env_value>": f'"{value}"' if any(c in value for c in (" ", "{mnemonic")) else value,
    }
    out: dict = {"match": [], "no_match": []}
    for kind in ("match", "no_match"):
        for text in spec["examples"][kind]:
            if "<ccxt>" in text and not is_ccxt:
                continue
            for slot, filler in slots.items():
                text = text.replace(slot, filler)
            out[kind].append(text)
    if alone:  # an alone word ties from the text around the value
        out["match"].append(f"# {alone[0]} account\n{env_word.lower()} = \"{value}\"")
    for word in ambiguous[:1]:  # an ambiguous word does not, outside the credential's own name
        out["no_match"].append(f"# the {word} opens at nine\n{env_word.lower()} = \"{value}\"")
    return out


# -- example values from a shape ----------------------------------------------------------------------------------
_TOKEN = re.compile(r"\\(.)|\[((?:\\.|[^\]\\])+)\]|\(\?:|\(|\)|\||([?*+])|\{(\d+)(?:(,)(\d*))?\}|(.)", re.S)


def sample_template(shape: str, rng: random.Random) -> str | None:
    """An example template (`{hex:32}` slots and literal text) whose fillings match the shape, for the simple
    shapes the tables use (classes, literals, groups of alternatives, counted repeats); None for anything else."""
    try:
        pieces, _ = _sample_seq(shape, 0, rng)
    except ValueError:
        return None
    return "".join(pieces)


def _sample_seq(shape: str, pos: int, rng: random.Random) -> tuple[list[str], int]:
    """Pieces for the first alternative of the sequence at pos; returns at ')' or the end (alternatives skipped)."""
    out: list[str] = []
    atom: tuple[str, str] | None = None  # (kind, text): ('lit', c), ('class', chars) or ('group', text)
    skipping = False
    while pos < len(shape):
        m = _TOKEN.match(shape, pos)
        if m is None:
            raise ValueError(shape)
        token = m.group(0)
        if token in ("(?:", "("):
            pieces, pos = _sample_seq(shape, m.end(), rng)
            if not skipping:
                _flush(out, atom, 1, rng)
                atom = ("group", "".join(pieces))
            continue
        pos = m.end()
        if token == ")":
            break
        if token == "|":
            _flush(out, atom, 1, rng) if not skipping else None
            atom, skipping = None, True
            continue
        if skipping:
            continue
        if m.group(3) or m.group(4):  # a quantifier applies to the atom before it
            if atom is None:
                raise ValueError(shape)
            if m.group(3):  # ?, * and +: once
                count = 1
            else:
                low_n = int(m.group(4))
                high_n = int(m.group(6)) if m.group(6) else None if m.group(5) else low_n
                count = low_n if atom[0] != "class" else (
                    max(low_n, min(high_n, 40)) if high_n is not None else low_n + 8)
            _flush(out, atom, count, rng)
            atom = None
            continue
        _flush(out, atom, 1, rng)
        if m.group(2) is not None:
            atom = ("class", _class_chars(m.group(2)))
        else:
            atom = ("lit", m.group(1) if m.group(1) is not None else m.group(7))
    if not skipping:
        _flush(out, atom, 1, rng)
    return out, pos


def _flush(out: list[str], atom: tuple[str, str] | None, count: int, rng: random.Random) -> None:
    if atom is None or count == 0:
        return
    kind, text = atom
    if kind == "class":
        chars = set(text)
        for slot, alphabet in _ALPHABET_SLOTS:
            if set(alphabet) <= chars:
                out.append(f"{{{slot}:{count}}}")
                return
        out.append("".join(rng.choice(sorted(chars)) for _ in range(count)))  # a few odd characters ([MNO])
        return
    if "{" in text or "}" in text:
        raise ValueError(text)
    out.append(text * count)


def _class_chars(body: str) -> str:
    if body.startswith("^"):
        raise ValueError(body)
    chars: list[str] = []
    i = 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            chars.append(body[i + 1])
            i += 2
            continue
        if i + 2 < len(body) and body[i + 1] == "-":
            chars.extend(chr(x) for x in range(ord(c), ord(body[i + 2]) + 1))
            i += 3
            continue
        chars.append(c)
        i += 1
    return "".join(chars)


# -- coverage: what is recognised of each entry (crypto-key-guard rules --coverage, the README table) ---------------
def coverage(venues: Any, services: Any, spec: Any, handwritten: list[dict],
             not_credential: frozenset = frozenset()) -> list[dict]:
    """One row per venue and service: the secret fields recognised and by which rules, the fields never reported
    (public ids), and where a leaked key is deleted."""
    by_venue, by_service = expand(venues, services, spec, handwritten, not_credential)
    families: dict[str, list[str]] = {}  # family -> its hand-written rules; venue word -> the same list
    for rule in handwritten:
        if isinstance(rule, dict) and rule.get("kind") == "exchange" and rule.get("family"):
            families.setdefault(rule["family"], []).append(rule["id"])
    named_by = {squash(w): rule.get("family") for rule in handwritten if isinstance(rule, dict)
                and rule.get("kind") == "exchange" for w in (rule.get("names") or {}).get("venue") or []
                if isinstance(w, str)}
    by_exchange: dict[str, list[str]] = {}
    for rule in handwritten:
        if isinstance(rule, dict) and rule.get("kind") == "exchange" and rule.get("exchange"):
            by_exchange.setdefault(squash(str(rule["exchange"])), []).append(rule["id"])
    covered = set(spec["handwritten"]["family_fields"])
    suffixes = {f["suffix"]: name for name, f in spec["fields"].items()}
    generated: dict[str, list[tuple[str, str]]] = {}
    for rule in by_venue + by_service:
        generated.setdefault(rule["exchange"], []).append((rule["id"], rule["description"]))
    rows = []
    for venue in (venues or {}).get("venues") or []:
        creds = venue.get("credentials") or []
        secret = [c["field"] for c in creds if c.get("secret")]
        fields: dict[str, list[str]] = {}
        words = {squash(w) for key in ("alone", "with_credential") for w in (venue.get("words") or {}).get(key) or []}
        family_rules = families.get(venue.get("family") or "", []) if words & set(named_by) else \
            by_exchange.get(squash(venue["name"]), [])
        for field in secret:
            if family_rules and field in covered:
                fields[field] = family_rules
        for rid, _ in generated.get(venue["name"], []):
            suffix = rid[len(venue["id"]) + 1:]
            if rid.startswith(venue["id"] + "-") and suffix in suffixes:
                fields.setdefault(suffixes[suffix], []).append(rid)
        rows.append({
            "table": "venue", "id": venue["id"], "name": venue["name"], "kind": venue.get("kind", ""),
            "fields": {f: fields[f] for f in secret if f in fields},
            "not_reported": [c["field"] for c in creds if not c.get("secret")],
            "fix": (venue.get("api_management") or {}).get("url", ""),
        })
    for service in (services or {}).get("services") or []:
        creds = service.get("credentials") or []
        fields = {}
        for cred in creds:
            if not cred.get("secret"):
                continue
            rid = f"{service['id']}-{cred['field'].replace('_', '-')}"
            if service.get("rules"):
                fields[cred["field"]] = list(service["rules"])
            elif any(r == rid for r, _ in generated.get(service["name"], [])) or rid in {
                    r.get("id") for r in handwritten if isinstance(r, dict)}:
                fields[cred["field"]] = [rid]
        rows.append({
            "table": "service", "id": service["id"], "name": service["name"], "kind": service.get("category", ""),
            "fields": fields,
            "not_reported": [c["field"] for c in creds if not c.get("secret")],
            "fix": service.get("key_management", ""),
        })
    return rows
