"""Shell-style layer-name patterns, matched as POSIX ``fnmatch(pattern, name, 0)``.

``loupe probe --layers`` calls the C library's ``fnmatch`` without flags; this is the same grammar in
Python, so a pattern selects the same layers here as there: ``*`` matches any run of characters
(dots included), ``?`` one character, ``[...]`` a set (``[!...]`` or ``[^...]`` its complement,
ranges ``a-z``), and a backslash takes the next character literally. A ``[`` without its ``]`` is a
literal. Python's own :mod:`fnmatch` differs (no ``[^...]``, no backslash escapes).
"""

import functools
import re

__all__ = ["has_magic", "fnmatch"]


def has_magic(pattern):
    """True when ``pattern`` is a glob rather than a plain name (the test ``loupe probe`` uses)."""
    return any(c in pattern for c in "*?[")


def fnmatch(name, pattern):
    """True when ``name`` matches ``pattern`` as POSIX ``fnmatch`` with no flags."""
    return _compile(pattern).fullmatch(name) is not None


@functools.lru_cache(maxsize=256)
def _compile(pattern):
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        i += 1
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "\\":
            if i < n:
                out.append(re.escape(pattern[i]))
                i += 1
            else:
                out.append(re.escape("\\"))
        elif c == "[":
            parsed = _bracket(pattern, i)
            if parsed is None:
                out.append(re.escape("["))
            else:
                regex, i = parsed
                out.append(regex)
        else:
            out.append(re.escape(c))
    return re.compile("".join(out), re.DOTALL)


def _bracket(pattern, i):
    """The regex for the bracket expression starting after ``[`` at ``i``, and the index after ``]``."""
    n = len(pattern)
    negate = i < n and pattern[i] in "!^"
    if negate:
        i += 1
    items, first = [], True
    while i < n:
        c = pattern[i]
        if c == "]" and not first:
            body = "".join(items)
            if not body:  # only reversed ranges: a set of nothing
                return ("." if negate else "(?!)"), i + 1
            return ("[^" if negate else "[") + body + "]", i + 1
        first = False
        if c == "\\" and i + 1 < n:
            c = pattern[i + 1]
            i += 1
        # A range a-z, unless '-' is the last character before ']'.
        if i + 2 < n and pattern[i + 1] == "-" and pattern[i + 2] != "]":
            hi = pattern[i + 2]
            if hi == "\\" and i + 3 < n:
                hi = pattern[i + 3]
                i += 1
            if hi >= c:
                items.append(_class_char(c) + "-" + _class_char(hi))
            i += 3
            continue
        items.append(_class_char(c))
        i += 1
    return None


def _class_char(c):
    return "\\" + c if c in "\\]^-[" else c
