"""Text to lark tree: the grammar (grammar.lark, beside this file), the input limits, and lark's
exceptions turned into ExprError with a bilingual message and a caret."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from lark import Lark, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from .errors import PARSE, TOO_COMPLEX, ExprError, error_at

# Excel's own limit on a formula's length; nesting is bounded so every walk of the tree (checker,
# Python backend, SQL backend) stays far from Python's recursion limit.
MAX_EXPRESSION_LENGTH = 8192
MAX_DEPTH = 100

GRAMMAR = Path(__file__).with_name("grammar.lark")

_VALUE_TERMINALS = {"NUMBER", "STRING", "TRUE", "FALSE", "NAME", "BRACED", "FUNCNAME", "_LPAR", "_NOT"}
_OPERATOR_TERMINALS = {"COMP_OP", "ADD_OP", "MUL_OP", "_CARET", "_AMP", "_PERCENT", "_AND", "_OR", "_DOT"}
# Signs a Chinese input method types instead of the ASCII ones: the error says which to use.
_FULL_WIDTH = {"，": ",", "（": "(", "）": ")", "“": '"', "”": '"', "‘": "'", "’": "'", "；": ",",
               "：": ":", "。": ".", "＋": "+", "－": "-", "×": "*", "÷": "/", "＝": "=", "＞": ">",
               "＜": "<", "％": "%", "＆": "&", "｛": "{", "｝": "}"}


@lru_cache(maxsize=1)
def lark_parser() -> Lark:
    """Built once per process (LALR tables take a few dozen milliseconds); a Lark LALR parser keeps no
    state between parses, so sharing it is safe."""
    return Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="contextual",
                propagate_positions=True, maybe_placeholders=False)


def parse(text: str) -> Tree:
    if not isinstance(text, str):
        raise ExprError(PARSE, {"zh": "表达式必须是文本", "en": "an expression must be text"})
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise ExprError(TOO_COMPLEX, {
            "zh": f"表达式太长: {len(text)} 个字符, 最多 {MAX_EXPRESSION_LENGTH} 个",
            "en": f"the expression is too long: {len(text)} characters, at most {MAX_EXPRESSION_LENGTH}",
        })
    if not text.strip():
        raise ExprError(PARSE, {"zh": "表达式为空", "en": "the expression is empty"})
    try:
        return lark_parser().parse(text)
    except UnexpectedInput as e:
        raise _parse_error(text, e) from None


def _parse_error(text: str, e: UnexpectedInput) -> ExprError:
    if isinstance(e, UnexpectedCharacters):
        ch = text[e.pos_in_stream] if e.pos_in_stream is not None and e.pos_in_stream < len(text) else ""
        zh, en = _bad_character(ch)
        return error_at(PARSE, text, e.line, e.column, zh, en)
    if isinstance(e, UnexpectedToken):
        expected = set(e.expected or ())
        if e.token.type == "$END":
            line, column = _end_position(text)
            if expected and expected <= {"NAME", "BRACED"}:
                zh, en = "表达式不完整, 这里还缺字段名", "the expression ends where a field name is missing"
            elif expected & _VALUE_TERMINALS:
                zh, en = "表达式不完整, 这里还缺一个值", "the expression ends where a value is missing"
            elif "_RPAR" in expected:
                zh, en = "表达式不完整, 缺少 ')'", "the expression ends before its closing ')'"
            else:
                zh, en = "表达式不完整", "the expression ends too early"
            return error_at(PARSE, text, line, column, zh, en)
        shown = _shown(str(e.token))
        if e.token.start_pos is not None and not _open_parentheses(text, e.token.start_pos):
            expected -= {"_COMMA", "_RPAR"}  # LALR lookahead sets are merged; outside (...) they mislead
        want_zh, want_en = _expected_words(expected)
        return error_at(PARSE, text, e.line, e.column,
                        f"这里不应出现 '{shown}'" + (f", 应为{want_zh}" if want_zh else ""),
                        f"unexpected '{shown}'" + (f", expected {want_en}" if want_en else ""))
    line, column = _end_position(text)  # pragma: no cover - the LALR parser raises the two above
    return error_at(PARSE, text, line, column, "语法错误", "syntax error")


def _bad_character(ch: str) -> tuple[str, str]:
    if ch in ("\"", "'"):
        return "文本缺少结尾的引号", "the text is missing its closing quote"
    if ch == "{":
        return "花括号 '{' 没有闭合", "'{' is not closed"
    if ch in _FULL_WIDTH:
        ascii_ch = _FULL_WIDTH[ch]
        return (f"不认识的字符 '{ch}' (请改用英文半角符号 '{ascii_ch}')",
                f"unexpected character '{ch}' (type the ASCII sign '{ascii_ch}' instead)")
    return f"不认识的字符 '{_shown(ch)}'", f"unexpected character '{_shown(ch)}'"


def _expected_words(expected: set[str]) -> tuple[str, str]:
    zh: list[str] = []
    en: list[str] = []
    if expected and expected <= {"NAME", "BRACED"}:  # after a "."
        return "字段名", "a field name"
    if expected & _VALUE_TERMINALS:
        zh.append("一个值")
        en.append("a value")
    elif expected & _OPERATOR_TERMINALS:  # where a value may start, "-" and "=" are no operators
        zh.append("运算符")
        en.append("an operator")
    if "_COMMA" in expected:
        zh.append("','")
        en.append("','")
    if "_RPAR" in expected:
        zh.append("')'")
        en.append("')'")
    if not en:
        return "", ""
    return "或".join(zh), (", ".join(en[:-1]) + " or " + en[-1]) if len(en) > 1 else en[0]


def _open_parentheses(text: str, end: int) -> int:
    """How many "(" are open at ``end`` (text in quotes and names in braces skipped)."""
    depth, i = 0, 0
    closing = {'"': '"', "'": "'", "{": "}"}
    while i < end:
        ch = text[i]
        if ch in closing:
            j = text.find(closing[ch], i + 1)
            i = end if j < 0 else j + 1
            continue
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        i += 1
    return max(depth, 0)


def _shown(s: str) -> str:
    return s if len(s) <= 20 else s[:20] + "..."


def _end_position(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def too_deep(source: str, line: int | None, column: int | None) -> ExprError:
    return error_at(TOO_COMPLEX, source, line, column,
                    f"表达式嵌套太深 (最多 {MAX_DEPTH} 层)",
                    f"the expression is nested too deeply (at most {MAX_DEPTH} levels)")
