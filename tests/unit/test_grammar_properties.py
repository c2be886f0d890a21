"""Properties of the grammar: any text either parses or is refused with one clear line."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.grammar import ConsoleMentions, MentionSyntax, Parsed, ParseError, SlackMentions, TeamsMentions, parse
from bot.grammar_help import ENTRIES, GROUPS, help_text

ADAPTERS: list[MentionSyntax] = [ConsoleMentions(), SlackMentions(), TeamsMentions()]
adapters = st.sampled_from(ADAPTERS)

COMMAND_WORDS = sorted({w for name in ENTRIES for w in name.split()} | {"?", "HELP", "Dep"})
OPTIONS = [
    "team", "owner", "parent", "due", "outcome", "status", "confidence", "progress", "note", "to", "by",
    "for", "commit", "lead", "incoming", "outgoing", "all", "since", "json", "on", "help", "teem",
]  # fmt: skip

ids = st.builds(
    lambda kind, dash, n: f"{kind}{dash}{n}",
    st.sampled_from(["P", "p", "D", "d", "B", "b", "X", ""]),
    st.sampled_from(["-", "", "--"]),
    st.integers(min_value=-5, max_value=10**12),
)
dates = st.sampled_from(
    ["today", "tomorrow", "fri", "Friday", "+3d", "+2w", "+99999d", "2026-12-01", "2026-02-30", "-3d", "next week"]
)
mentions = st.sampled_from(
    ["@alice", "@Bob", "@", "<@U123>", "<@U1|bob>", "<at:29:1abc>", "<at>x</at>", "<!channel>", "@here"]
)
options = st.builds(
    lambda dash, name, eq: f"{dash}{name}{eq}",
    st.sampled_from(["--", "—", "–", "-", ""]),
    st.sampled_from(OPTIONS),
    st.sampled_from(["", "=", "=x", '="a b"', "=payments"]),
)
teams = st.sampled_from(["payments", "Payments", "org", "pay_ments", "a" * 45, "d-1", "-x", "identity"])
numbers = st.integers(min_value=-1000, max_value=10**20).map(str)
statuses = st.sampled_from(["on-track", "AT_RISK", "offtrack", "done", "dropped", "fine", "on track"])
junk = st.text(max_size=20)
quoted = st.builds(
    lambda open_, body, close: f"{open_}{body}{close}",
    st.sampled_from(['"', "“", "”", "„", ""]),
    st.text(max_size=15),
    st.sampled_from(['"', "”", "“", ""]),
)
words = st.one_of(
    st.sampled_from(COMMAND_WORDS), ids, dates, mentions, options, teams, numbers, statuses, junk, quoted,
    st.sampled_from(["don't", "'", '"', '""', "“”", "\n", "\t", " ", "=", "--"]),
)  # fmt: skip
separators = st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", ""])


@st.composite
def sentences(draw: st.DrawFn) -> str:
    """Lines built from the grammar's own words: most reach deep into argument parsing."""
    head = draw(st.sampled_from([*COMMAND_WORDS, *(n for n in ENTRIES)]))
    body = draw(st.lists(words, max_size=12))
    seps = draw(st.lists(separators, min_size=len(body), max_size=len(body)))
    return head + "".join(sep + word for sep, word in zip(seps, body, strict=True))


def _parses_or_refuses(text: str, mentions: MentionSyntax) -> None:
    try:
        result = parse(text, mentions)
    except ParseError as e:
        assert e.message
        assert "\n" not in e.message
        assert len(e.message) < 300
        assert e.usage is None or isinstance(e.usage, str)
    else:
        assert isinstance(result, Parsed)
        assert (result.command is None) == result.is_help
        if result.is_help:
            help_text(result.help_topic, mentions)  # help never fails either


@given(st.text(max_size=300), adapters)
def test_arbitrary_text_parses_or_is_refused(text: str, mentions: MentionSyntax) -> None:
    _parses_or_refuses(text, mentions)


@given(sentences(), adapters)
@settings(max_examples=500)
def test_grammar_shaped_sentences_parse_or_are_refused(text: str, mentions: MentionSyntax) -> None:
    _parses_or_refuses(text, mentions)


@given(st.lists(words, max_size=400), st.sampled_from(sorted(ENTRIES)), adapters)
@settings(max_examples=30, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_long_lines_are_handled(body: list[str], name: str, mentions: MentionSyntax) -> None:
    _parses_or_refuses(name + " " + " ".join(body), mentions)


@given(st.text(max_size=100), adapters)
def test_help_of_any_topic_is_text(topic: str, mentions: MentionSyntax) -> None:
    text = help_text(topic, mentions)
    assert text
    words = [w for w in topic.lower().split() if w not in ("--help", "-h", "help")]  # `help -h` = `help help`
    name = " ".join(words)
    if name and name not in ENTRIES and name not in GROUPS:
        assert "\n" not in text
        assert len(text) < 300


def test_very_long_input_is_refused_quickly() -> None:
    for text in (
        '"' + "a" * 200_000,
        "priority add " + "x " * 50_000,
        "priority add " + '"a" ' * 20_000,
        "team add payments " + "@a " * 50_000,
        "priority list " + "--team x " * 10_000,
        "x" * 200_000,
    ):
        _parses_or_refuses(text, ConsoleMentions())


handles = st.from_regex(r"[a-z0-9][a-z0-9._-]{0,20}", fullmatch=True)


@given(handles, adapters)
def test_show_and_person_round_trip(handle: str, mentions: MentionSyntax) -> None:
    assert mentions.person(mentions.show(handle)) == handle


@given(handles, adapters)
def test_a_person_written_the_adapter_way_parses(handle: str, mentions: MentionSyntax) -> None:
    parsed = parse(f"team add payments {mentions.show(handle)}", mentions)
    assert parsed.command is not None
    assert getattr(parsed.command, "people", None) == (handle,)


@given(st.text(min_size=1, max_size=60).filter(lambda t: t.strip() and not any(c in t for c in '"“”„‟″＂')))
def test_quoted_titles_come_back_as_typed(title: str) -> None:
    parsed = parse(f'priority add "{title}"', ConsoleMentions())
    assert parsed.command is not None
    assert getattr(parsed.command, "title", None) == title.strip()
