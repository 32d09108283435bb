"""Slash-command argument parsing: unknown input gets a helpful answer."""

from __future__ import annotations

import pytest

from bot.args import ArgumentError, parse_args


def test_parses_words_and_options() -> None:
    parsed = parse_args(
        'help team=payments period="last-month"', keys=["team", "period"], command="/cost"
    )
    assert parsed.words == ["help"]
    assert parsed.options == {"team": "payments", "period": "last-month"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tem=payments", 'Unknown option "tem" — did you mean team?'),
        ("colour=red", 'Unknown option "colour". `/cost` accepts: `team=…`, `period=…`.'),
        ("hepl", 'Unknown argument "hepl" — did you mean help?'),
        ("team=", 'Option "team" needs a value'),
        ("team=a team=b", 'Option "team" is given twice.'),
        ('team="unclosed', "Unbalanced quotes"),
    ],
)
def test_bad_arguments_explain_themselves(text: str, message: str) -> None:
    with pytest.raises(ArgumentError) as caught:
        parse_args(text, keys=["team", "period"], command="/cost")
    assert message in str(caught.value)
