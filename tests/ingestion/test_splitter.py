"""The structural splitter: chat turns with their neighbours and header, Markdown sections."""

from __future__ import annotations

from memory_api.ingestion.splitter import CHAT_TARGET, Layout, Splitter

HEADER = "Session 3 (1:56 pm on 8 May, 2023)"


def chat(turns: int) -> str:
    lines = [f"[D3:{i}] {'Caroline' if i % 2 else 'Melanie'}: message number {i} " + "x" * 90
             for i in range(1, turns + 1)]  # fmt: skip
    return "\n".join([HEADER, *lines])


def test_a_chat_log_becomes_windows_of_turns_with_the_header() -> None:
    pieces = Splitter().split(chat(20), ".txt")
    assert len(pieces) > 3
    for piece in pieces:
        assert piece.layout is not None
        assert piece.text.startswith(HEADER + "\n")  # the session's date in every piece
        assert piece.index_text.startswith(HEADER + "\n")
        assert "[D3:" in piece.text and "[D3:" not in piece.index_text  # ids are not content
        assert piece.text == "\n".join([HEADER, *piece.layout.blocks])
    # Each window is its core plus one whole turn on each side: neighbours overlap by a turn.
    first, second = pieces[0].layout, pieces[1].layout
    assert first is not None and second is not None
    assert first.start == 0 and second.start == first.start + len(first.blocks) - 2
    assert sum(len(turn) + 1 for turn in second.blocks[1:-1]) <= CHAT_TARGET
    # Every turn is in some piece.
    covered = {p.layout.start + i for p in pieces if p.layout for i in range(len(p.layout.blocks))}
    assert covered == set(range(20))


def test_lines_that_are_not_turns_continue_the_previous_turn() -> None:
    text = "[1] Ann: first line\nstill Ann speaking\n[2] Bob: hi\n[3] Ann: ok\n[4] Bob: bye"
    piece = Splitter().split(text, ".txt")[0]
    assert piece.layout is not None
    assert piece.layout.blocks[0] == "[1] Ann: first line\nstill Ann speaking"


def test_prose_with_colons_is_not_a_chat() -> None:
    text = "Note: this is prose.\n" + "It has many lines without speakers.\n" * 10
    pieces = Splitter().split(text, ".txt")
    assert all(piece.layout is None for piece in pieces)


def test_markdown_sections_carry_their_heading_and_never_merge_across() -> None:
    text = "# Install\n\npip install it.\n\nThen run it.\n\n## Configure\n\nSet the key."
    pieces = Splitter().split(text, ".md")
    assert [p.text for p in pieces] == [
        "# Install\npip install it.\n\nThen run it.",
        "## Configure\nSet the key.",
    ]
    first, second = (p.layout for p in pieces)
    assert first == Layout("# Install", first.start, ("pip install it.", "Then run it."), "\n\n")
    assert second == Layout("## Configure", second.start, ("Set the key.",), "\n\n")
    assert second.start > first.start + len(first.blocks)  # a gap: results never merge them
    assert Layout.from_json(pieces[0].layout.as_json()) == pieces[0].layout  # type: ignore[union-attr]


def test_code_and_plain_text_keep_character_windows() -> None:
    splitter = Splitter(chunk_size=200, chunk_overlap=50)
    pieces = splitter.split(" ".join(f"word{i}" for i in range(300)), ".txt")
    assert len(pieces) > 5 and all(p.layout is None and p.text == p.index_text for p in pieces)
    code = "\n\n".join(f"def f{i}(x):\n    return x * {i}\n" + "# pad\n" * 20 for i in range(5))
    assert all(p.text.startswith("def ") for p in splitter.split(code, ".py"))
