"""Immutable records without `dataclasses` on the hooks' import path.

Kept as a start-up trick because it is measured to pay: importing dataclasses (it pulls in inspect, ast, dis,
tokenize) adds 9.6 ms of CPU time to a crypto-key-patterns run on a 10-file commit (median of 30 interleaved
runs, 78.6 -> 88.1 ms, 2026-12-03). `shutil` (3.1 ms) and `hashlib` (0.9 ms) stay under the 5 ms bar and are used
normally; `typing` is off the hook's path together with `pathlib` (docs/architecture.md). `@record` turns an annotated class into a named tuple, as typing.NamedTuple does: fields in
annotation order, class-level values as defaults, `_replace` / `_asdict` in place of dataclasses.replace/asdict.
As with a frozen dataclass, a record equals only a record of its own class, never a plain tuple.
"""
from __future__ import annotations

from collections import namedtuple


def record(cls: type | None = None, *, compare_last: bool = True):
    """A frozen record from `cls`: its annotations are the fields, its methods stay (no zero-argument super()).

    compare_last=False leaves the last field (a dict of extras) out of ==, != and hash, like
    field(compare=False, hash=False): the record stays hashable."""
    def make(cls: type) -> type:
        names = list(cls.__dict__.get("__annotations__", {}))
        defaults = [cls.__dict__[n] for n in names if n in cls.__dict__]
        base = namedtuple(cls.__name__, names, defaults=defaults, module=cls.__module__)
        namespace = {k: v for k, v in cls.__dict__.items() if k not in names and k not in ("__dict__", "__weakref__")}
        n = len(names) if compare_last else len(names) - 1

        def __eq__(self, other):
            if type(other) is not type(self):  # a tuple would otherwise compare item by item
                return False if isinstance(other, tuple) else NotImplemented
            return tuple.__eq__(self, other) if compare_last else self[:n] == other[:n]

        def __ne__(self, other):
            if type(other) is not type(self):
                return True if isinstance(other, tuple) else NotImplemented
            return tuple.__ne__(self, other) if compare_last else self[:n] != other[:n]

        def __hash__(self):
            return tuple.__hash__(self) if compare_last else hash(self[:n])

        namespace.update(__slots__=(), __eq__=__eq__, __ne__=__ne__, __hash__=__hash__)
        made = type(cls.__name__, (base,), namespace)
        made.__qualname__ = cls.__qualname__
        return made

    return make if cls is None else make(cls)
