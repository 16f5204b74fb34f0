"""The examples in every command's --help work when copied into a terminal."""

from __future__ import annotations

from conftest import Invoke


def test_as_may_follow_the_command_as_the_examples_write_it(invoke: Invoke, add_user) -> None:  # type: ignore[no-untyped-def]
    add_user("zhao", "department", "业务部")
    data = "received_at=2026-11-05T09:00:00", "channel=电话", "customer=某某公司", "content=漏水"
    result = invoke("record", "new", "QR-8.2-01", *(a for d in data for a in ("--set", d)), "--as", "zhao")
    assert result.exit_code == 0, result.output
    assert "filed KS-2026-0001" in result.output
    shown = invoke("record", "show", "KS-2026-0001", "--json", "--as=zhao")
    assert '"created_by": "zhao"' in shown.output
    # A value that merely contains the text is left where it is.
    assert invoke("record", "update", "KS-2026-0001", "--set", "customer=--as", "--as", "zhao").exit_code == 0
