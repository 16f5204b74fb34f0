"""What the show and list commands print: every field of a form (sub-fields included), an empty register said plainly."""

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


def test_doc_list_on_a_workspace_without_documents_says_so_plainly(invoke: Invoke, workspace) -> None:  # type: ignore[no-untyped-def]
    import shutil

    shutil.rmtree(workspace.root / "procedures")
    for args in (["doc", "list", "--all"], ["doc", "list"], ["doc", "list", "--all", "--type", "external"]):
        result = invoke(*args)
        assert result.exit_code == 0, result.output
        assert result.output.splitlines() == [
            "no controlled documents yet 暂无受控文件; take a procedure under control with `qms doc new NUMBER`"]
    assert invoke("doc", "list", "--all", "--json").output.strip() == "[]"
    found = invoke("doc", "list", "--all", "--search", "投诉")
    assert found.exit_code == 0 and found.output.strip() == "no document matches 投诉 无匹配文件"
