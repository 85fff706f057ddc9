"""Why a process died, in the words of what it printed: a Rust panic's place and message, a
native assertion, glibc noticing a corrupt heap. Below the report (the filer's root-cause keys)
and the localizer (which runs each cut of a model in a process of its own) alike."""
from __future__ import annotations

import re

_RUST_PANIC = [
    re.compile(r"panicked at (?P<loc>[^\n]*?):\d+:\d+:\s*\n(?P<msg>[^\n]*)"),  # Rust >= 1.73
    re.compile(r"panicked at '(?P<msg>[^\n]*?)', (?P<loc>[^\n]*?):\d+:\d+"),  # older Rust
]
#: the panic Rust raises when the first one crosses a function that cannot unwind: says nothing
_SECOND_PANIC = "panic in a function that cannot unwind"
_CRATE_VERSION = re.compile(r"^.*/(?:registry/src/[^/]+/)?([A-Za-z_][\w-]*?)-\d+\.\d+\.\d+[^/]*/")
_NATIVE_DEATH = [
    re.compile(r"Assertion [`'](?P<msg>.*)' failed"),
    re.compile(r"terminate called after throwing an instance of '(?P<type>[^']*)'\s*\n\s*what\(\):\s*(?P<msg>[^\n]*)"),
]
#: glibc's heap checks: where corruption was noticed, not where it was made (the same defect
#: says "free(): invalid pointer" in one run and "malloc_consolidate(): invalid chunk size" in another)
_HEAP_CHECK = re.compile(r"^(?:malloc|free|realloc|malloc_consolidate|double free|corrupted)[^\n]*", re.M)
#: the words of a death line that names no defect by itself: its key keeps the op at fault
GENERIC_DEATHS = ("dependency panic", "heap corruption")


def death_line(text: str) -> str:
    """Why a process died, as its output says, normalized (no addresses, numbers, names,
    line numbers or crate versions); "" when the output does not say. A Rust panic in a
    dependency or the standard library starts with "dependency panic", glibc noticing a
    corrupt heap is "heap corruption" (GENERIC_DEATHS)."""
    text = text or ""
    panics = sorted((m for pattern in _RUST_PANIC for m in pattern.finditer(text)), key=lambda m: m.start())
    for m in panics:
        if m.group("msg").strip() == _SECOND_PANIC:
            continue
        loc = m.group("loc").strip()
        crate = _CRATE_VERSION.match(loc)
        outside = loc.startswith("/") or crate is not None
        if crate:
            loc = f"{crate.group(1)}/{loc[crate.end():]}"
        where = "dependency panic at" if outside else "panic at"
        return f"{where} {loc}: {_plain(m.group('msg'))}"
    for pattern in _NATIVE_DEATH:
        m = pattern.search(text)
        if m:
            return _plain(" ".join(g for g in m.groups() if g))
    if _HEAP_CHECK.search(text):
        return "heap corruption (glibc)"
    return ""


def _plain(message: str) -> str:
    message = re.sub(r"0x[0-9a-fA-F]+", "<addr>", message)
    message = re.sub(r"\"[^\"]*\"", "<name>", message)
    message = re.sub(r"\d+", "<n>", message)
    return re.sub(r"\s+", " ", message).strip()[:200]


def is_death(error: str) -> bool:
    return (error or "").startswith("worker died")
