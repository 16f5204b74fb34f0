"""``qms form show`` lists every field a clerk fills, the sub-fields of lists and groups included."""

from __future__ import annotations

from conftest import Invoke


def test_form_show_lists_the_sub_fields_of_array_fields(invoke: Invoke) -> None:
    result = invoke("form", "show", "QR-8.2-01")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    actions = next(i for i, line in enumerate(lines) if line.split()[:1] == ["actions"])
    assert "list 列表" in lines[actions]
    below = lines[actions + 1:actions + 8]
    # Each sub-field with its path as --set takes it, its label, type and required mark.
    assert any("actions[].done_at" in line and "完成日期 Done on" in line and "date" in line for line in below), below
    assert any(line.startswith(" *   actions[].owner") for line in below), below
    assert any("actions[].type" in line and "one of 纠正/纠正措施/预防措施" in line for line in below), below
    assert any("main_causes[].category" in line for line in lines)
