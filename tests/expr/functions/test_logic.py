from decimal import Decimal

import pytest

from rules.expr.types import ANY, BLANK, BOOLEAN, DATE, DATETIME, MONEY, NUMBER, SELECT, TEXT
from rules.expr.values import DIV0, NA, NUM, VALUE

from .conftest import D

# --- IF -------------------------------------------------------------------------------------------

def test_if_picks_a_branch(call):
    assert call("IF", True, "大额", "普通") == "大额"
    assert call("IF", False, "大额", "普通") == "普通"


def test_if_without_else_gives_false(call):
    assert call("IF", False, "x") is False


def test_if_numbers_act_as_logicals(call):
    assert call("IF", D(0), "yes", "no") == "no"
    assert call("IF", D("-0.5"), "yes", "no") == "yes"
    assert call("IF", None, "yes", "no") == "no"  # a blank condition is FALSE


def test_if_condition_text(call):
    assert call("IF", "true", D(1), D(2)) == 1
    assert call("IF", "abc", "a", "b") is VALUE


def test_if_error_condition_is_the_result(call):
    assert call("IF", DIV0, "a", "b") is DIV0


def test_if_evaluates_only_the_chosen_branch(call):
    call("IF", True, D(1), DIV0)
    assert call.evaluated == [0, 1]
    call("IF", False, DIV0, D(2))
    assert call.evaluated == [0, 2]


def test_if_returns_the_chosen_branch_even_when_it_is_an_error(call):
    assert call("IF", True, NUM, D(1)) is NUM
    assert call("IF", False, NUM, D(1)) == 1


def test_if_return_type_is_the_common_type_of_its_branches(call):
    spec = call.registry.get("IF")
    assert spec.return_type([BOOLEAN, NUMBER, NUMBER]) == NUMBER
    assert spec.return_type([BOOLEAN, MONEY, NUMBER]) == NUMBER
    assert spec.return_type([BOOLEAN, TEXT, SELECT]) == TEXT
    assert spec.return_type([BOOLEAN, DATE, DATETIME]) == DATETIME
    assert spec.return_type([BOOLEAN, TEXT, NUMBER]) == ANY
    assert spec.return_type([BOOLEAN, TEXT, BLANK]) == TEXT  # a blank branch fits anything
    # no else branch: the other outcome is FALSE
    assert spec.return_type([BOOLEAN, TEXT]) == ANY
    assert spec.return_type([BOOLEAN, BOOLEAN]) == BOOLEAN


# --- IFS / SWITCH ---------------------------------------------------------------------------------

def test_ifs_first_true_condition_wins(call):
    assert call("IFS", False, "a", D(1), "b", True, "c") == "b"


def test_ifs_without_a_true_condition_is_na(call):
    assert call("IFS", False, "a", D(0), "b") is NA


def test_ifs_stops_at_the_first_true_condition(call):
    call("IFS", True, "a", DIV0, "b")
    assert call.evaluated == [0, 1]


def test_ifs_error_condition(call):
    assert call("IFS", False, "a", VALUE, "b", True, "c") is VALUE


def test_ifs_checks_pairs(call):
    spec = call.registry.get("IFS")
    assert set(spec.check(["c1", "v1", "c2"])) == {"zh", "en"}
    assert spec.check(["c1", "v1", "c2", "v2"]) is None
    assert call("IFS", True, "a", False) is VALUE
    assert spec.return_type([BOOLEAN, NUMBER, BOOLEAN, MONEY]) == NUMBER


def test_switch_matches_ignoring_case(call):
    assert call("SWITCH", "b", "a", D(1), "B", D(2)) == 2


def test_switch_trailing_default(call):
    assert call("SWITCH", "z", "a", D(1), "b", D(2), "other") == "other"


def test_switch_no_match_no_default_is_na(call):
    assert call("SWITCH", "z", "a", D(1), "b", D(2)) is NA


def test_switch_does_not_match_across_kinds(call):
    assert call("SWITCH", D(1), "1", "text", D(1), "number") == "number"


def test_switch_evaluates_only_what_it_needs(call):
    call("SWITCH", D(1), D(1), "one", D(2), DIV0)
    assert call.evaluated == [0, 1, 2]


def test_switch_error_subject(call):
    assert call("SWITCH", NA, D(1), "one", "dflt") is NA


def test_switch_types_and_check(call):
    spec = call.registry.get("SWITCH")
    assert spec.return_type([TEXT, TEXT, NUMBER, TEXT, NUMBER]) == NUMBER
    assert spec.return_type([TEXT, TEXT, NUMBER, TEXT]) == ANY  # default is text
    assert spec.check(["x", "a"]) is not None
    assert spec.check(["x", "a", "b"]) is None


# --- AND / OR / XOR / NOT ---------------------------------------------------------------------------

def test_and_or(call):
    assert call("AND", True, True) is True
    assert call("AND", True, False) is False
    assert call("OR", False, False) is False
    assert call("OR", False, True) is True


def test_numbers_act_as_logicals(call):
    assert call("AND", D(1), D(2)) is True
    assert call("AND", D(1), D(0)) is False
    assert call("OR", D(0), D("0.1")) is True


def test_text_and_blanks_inside_lists_are_skipped(call):
    assert call("AND", (True, "x", None, D(1))) is True
    assert call("OR", (False, "TRUE")) is False  # text in a list is not read as a logical


def test_and_of_nothing_logical_is_value(call):
    assert call("AND", ("x", None)) is VALUE


def test_direct_text_must_read_as_a_logical(call):
    assert call("AND", "TRUE", True) is True
    assert call("OR", "yes") is VALUE


def test_errors_inside_lists_propagate(call):
    assert call("OR", (True, DIV0)) is DIV0


def test_direct_blank_is_false(call):
    assert call("AND", True, None) is False


def test_xor_is_true_for_an_odd_number_of_trues(call):
    assert call("XOR", True, False) is True
    assert call("XOR", True, True) is False
    assert call("XOR", (True, True, True)) is True


def test_not(call):
    assert call("NOT", False) is True
    assert call("NOT", D(0)) is True
    assert call("NOT", D(5)) is False
    assert call("NOT", "x") is VALUE


# --- IFERROR / IFNA ---------------------------------------------------------------------------------

def test_iferror(call):
    assert call("IFERROR", DIV0, D(0)) == 0
    assert call("IFERROR", D(7), D(0)) == 7
    assert call.evaluated == [0]  # the fallback is not evaluated when there is no error
    assert call("IFERROR", NA, "none") == "none"


def test_ifna_only_catches_na(call):
    assert call("IFNA", NA, "x") == "x"
    assert call("IFNA", DIV0, "x") is DIV0


# --- IS functions -------------------------------------------------------------------------------------

def test_isblank_follows_excel(call):
    assert call("ISBLANK", None) is True
    assert call("ISBLANK", "") is False
    assert call("ISBLANK", D(0)) is False


def test_isnumber_istext(call):
    assert call("ISNUMBER", D(1)) is True
    assert call("ISNUMBER", "1") is False
    assert call("ISNUMBER", None) is False
    assert call("ISTEXT", "1") is True
    assert call("ISTEXT", D(1)) is False
    assert call("ISNONTEXT", None) is True
    assert call("ISLOGICAL", False) is True


def test_is_functions_see_errors_instead_of_propagating_them(call):
    assert call("ISERROR", DIV0) is True
    assert call("ISERROR", D(1)) is False
    assert call("ISNUMBER", DIV0) is False
    assert call("ISERR", NA) is False
    assert call("ISERR", VALUE) is True
    assert call("ISNA", NA) is True


def test_true_false_functions(call):
    assert call("TRUE") is True
    assert call("FALSE") is False
    assert call("NA") is NA


@pytest.mark.parametrize("name", ["AND", "OR", "XOR", "NOT"])
def test_logical_results_are_booleans(call, name):
    assert type(call(name, D(1))) is bool


def test_if_passes_values_through_unchanged(call):
    v = call("IF", True, Decimal("1.50"))
    assert type(v) is Decimal and v == Decimal("1.5")
