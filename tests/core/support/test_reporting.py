"""shared_core.support.reporting: every secret masked in what a reporter prints, raw and percent-encoded."""

from __future__ import annotations

from shared_core.support.reporting import mask_credentials


def test_poetry_reporter_masks_every_message():
    """The Poetry command's reporter masks what it prints, whatever reached it unmasked (the core's
    policy, which every reporter shares), then escapes it for cleo's formatter."""
    from cleo.formatters.formatter import Formatter

    from shared_core.support.reporting import PrintReporter

    reporter = PrintReporter(secrets=["p@ss:w/rd"])
    reporter.add_secrets(["", "tok3n-42"])
    assert Formatter.escape(reporter.mask("https://bob:p%40ss%3Aw%2Frd@pkgs.example/ said tok3n-42 and p@ss:w/rd <b>")) == (
        "https://bob:****@pkgs.example/ said **** and **** \\<b>"
    )


def test_secrets_are_masked_raw_and_percent_encoded_from_three_characters():
    assert mask_credentials("password=p%40ss%2Fw and p@ss/w", ["p@ss/w"]) == "password=**** and ****"
    assert mask_credentials("abc abcd ab", ["abc", "ab"]) == "**** ****d ab"
