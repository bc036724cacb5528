from hypothesis import given
from hypothesis import strategies as st

from curation.code.compare import outputs_match, values_match


def test_trailing_whitespace_and_final_newline_are_ignored():
    assert outputs_match("1 2\n3", "1 2  \n3\n\n")
    assert outputs_match("a\r\nb\r\n", "a\nb")


def test_inner_whitespace_and_content_matter():
    assert not outputs_match("1  2", "1 2")
    assert not outputs_match("12", "1 2")
    assert not outputs_match("", "0")
    assert not outputs_match("1\n\n2", "1\n2")


def test_float_tolerance_is_opt_in():
    assert not outputs_match("3.141592653589793", "3.14159265")
    assert outputs_match("3.141592653589793", "3.14159265", float_tolerance=1e-6)
    assert not outputs_match("3.15", "3.14159265", float_tolerance=1e-6)
    assert outputs_match("1000000.5 x", "1000000.0 x", float_tolerance=1e-6)  # relative for large values
    assert not outputs_match("1 2", "1", float_tolerance=1e-6)
    assert not outputs_match("nan", "nan1", float_tolerance=1e-6)


def test_values_match_accepts_apps_wrapped_outputs():
    assert values_match([0, 1], [[0, 1]])
    assert values_match(4, [4])
    assert not values_match(4, [4, 4])
    assert not values_match(True, 1)  # a bool is not the number 1
    assert values_match(0.1 + 0.2, 0.3, float_tolerance=1e-9)
    assert not values_match(0.1 + 0.2, 0.3)


@given(st.lists(st.text(alphabet="ab1 .", max_size=8), max_size=5), st.text(alphabet=" \t", max_size=3))
def test_padding_lines_never_changes_the_verdict(lines, pad):
    text = "\n".join(lines)
    padded = "\n".join(line + pad for line in lines) + "\n"
    assert outputs_match(padded, text)
