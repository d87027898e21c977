"""Excel's wildcards (``?`` one character, ``*`` any run, ``~`` escapes either), matched without
regular-expression backtracking: the pattern is cut at each ``*`` into fixed-length pieces placed
leftmost one after another, so a hostile pattern costs at most text length x pattern length."""
from __future__ import annotations

import re

_FLAGS = re.IGNORECASE | re.DOTALL


class Wildcard:
    __slots__ = ("pieces", "lengths")

    def __init__(self, pattern: str) -> None:
        pieces: list[list[str]] = [[]]
        i, n = 0, len(pattern)
        while i < n:
            c = pattern[i]
            if c == "~" and i + 1 < n and pattern[i + 1] in "*?~":
                pieces[-1].append(re.escape(pattern[i + 1]))
                i += 2
                continue
            if c == "*":
                pieces.append([])
            elif c == "?":
                pieces[-1].append(".")
            else:
                pieces[-1].append(re.escape(c))
            i += 1
        # Each element matches exactly one character, so a piece's length is its element count.
        self.lengths = [len(p) for p in pieces]
        self.pieces = [re.compile("".join(p), _FLAGS) for p in pieces]

    def fullmatch(self, text: str) -> bool:
        """Does the whole of ``text`` match (case-insensitively)?"""
        pieces = self.pieces
        if len(pieces) == 1:
            return pieces[0].fullmatch(text) is not None
        if pieces[0].match(text) is None:
            return False
        pos = self.lengths[0]
        tail = len(text) - self.lengths[-1]
        if tail < pos or pieces[-1].fullmatch(text, tail) is None:
            return False
        for piece in pieces[1:-1]:
            m = piece.search(text, pos, tail)
            if m is None:
                return False
            pos = m.end()
        return True

    def search(self, text: str, start: int = 0) -> int:
        """Index of the first place at or after ``start`` where the pattern matches, or -1. Placing
        the first piece leftmost is safe: a later start only leaves less room for the rest."""
        pieces = self.pieces
        m = pieces[0].search(text, start)
        if m is None:
            return -1
        found, pos = m.start(), m.end()
        for piece in pieces[1:]:
            m = piece.search(text, pos)
            if m is None:
                return -1
            pos = m.end()
        return found
