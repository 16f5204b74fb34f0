"""``qms export bundle`` and ``qms verify BUNDLE``: a static site that works unpacked, verified offline file by file."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest
import sitekit
from click.testing import CliRunner, Result

from qms.backend import copy_workspace, open_store
from qms.cli import make_cli
from qms.workspace import Workspace


def qms(ws: Workspace, *args: str) -> Result:
    argv = ["--workspace", str(ws.root), *args]
    # Module-scoped fixtures run outside the autouse env fixture: the password proves --as here.
    return CliRunner().invoke(make_cli(sitekit.host()), argv, env={"QMS_PASSWORD": sitekit.PW},
                              catch_exceptions=False)


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    """The site test workspace and its evidence bundle (PDFs rendered once for the module)."""
    root = tmp_path_factory.mktemp("bundle")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QMS_NOW", sitekit.NOW)
        ws, _ = sitekit.build(root / "ws")
        result = qms(ws, "--as", "aud", "export", "bundle", str(root / "evidence.zip"), "--jobs", "2")
    assert result.exit_code == 0, result.output
    assert "check it with `qms verify" in result.output
    return ws, root / "evidence.zip"


def unpack(bundle: Path, into: Path) -> Path:
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(into)
    return into


@pytest.mark.slow
def test_bundle_holds_pages_pdfs_json_audit_log_and_manifest(exported: tuple[Workspace, Path]) -> None:
    ws, bundle = exported
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        manifest = json.loads(zf.read("manifest.json"))
        log = zf.read("audit.log")
    for name in ("index.html", "documents/index.html", f"documents/{sitekit.PROC}.html",
                 f"documents/{sitekit.PROC}/A-0.html", f"documents/{sitekit.PROC}/diff_A-0_A-1.html",
                 f"forms/{sitekit.FORM}/page-1.html", "records/TS-2026-0003.html", "due.html", "audit/page-1.html",
                 "verify.html", "static/site.css", "audit.log", f"pdf/documents/{sitekit.PROC}_A-0.pdf",
                 f"pdf/documents/{sitekit.PROC}_A-1.pdf", f"pdf/records/{sitekit.FORM}/TS-2026-0001.pdf",
                 "data/records/TS-2026-0001.json", f"data/revisions/{sitekit.PROC}@A-1.json"):
        assert name in names, name
    assert set(manifest["files"]) == names - {"manifest.json"}
    assert len([n for n in names if n.startswith("pdf/records/")]) == 7
    assert len([n for n in names if n.startswith("attachments/")]) == 1
    assert manifest["audit_head"] == json.loads(log.splitlines()[-1])["hash"]
    assert manifest["exported_by"] == "aud"
    assert json.loads(log.splitlines()[-1])["action"] == "site.export"


@pytest.mark.slow
def test_bundle_pages_link_relatively_to_files_that_exist(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    folder = unpack(exported[1], tmp_path / "u")
    pages = list(folder.rglob("*.html"))
    assert len(pages) > 20
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script" not in html.lower(), page
        for target in re.findall(r'(?:href|src)="([^"]*)"', html):
            assert not target.startswith(("/", "http:", "https:")), (page, target)
            resolved = (page.parent / target.split("#")[0]).resolve()
            assert resolved.is_file(), (page.relative_to(folder), target)
    record = (folder / "records" / "TS-2026-0003.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;" in record


@pytest.mark.slow
def test_verify_passes_on_the_zip_and_the_unpacked_folder(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, bundle = exported
    result = qms(ws, "verify", str(bundle))
    assert result.exit_code == 0, result.output
    assert "verify: intact" in result.output
    folder = unpack(bundle, tmp_path / "u")
    result = qms(ws, "verify", str(folder), "--json")
    assert result.exit_code == 0 and json.loads(result.output)["ok"]


@pytest.mark.slow
def test_one_changed_byte_in_one_pdf_fails_and_names_it(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    folder = unpack(exported[1], tmp_path / "u")
    pdf = folder / "pdf" / "records" / sitekit.FORM / "TS-2026-0002.pdf"
    data = bytearray(pdf.read_bytes())
    data[len(data) // 2] ^= 0x01
    pdf.write_bytes(bytes(data))
    result = qms(exported[0], "verify", str(folder))
    assert result.exit_code == 1
    changed = [line for line in result.output.splitlines() if line.startswith("CHANGED")]
    assert changed == [f"CHANGED pdf/records/{sitekit.FORM}/TS-2026-0002.pdf: bytes differ from the sha256 in "
                       f"manifest.json (changed after export); bytes differ from the sha256 logged in the audit log "
                       f"when the PDF was rendered"]


@pytest.mark.slow
def test_missing_extra_and_consistently_forged_files_are_named(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    folder = unpack(exported[1], tmp_path / "u")
    (folder / "records" / "TS-2026-0001.html").unlink()
    (folder / "records" / "extra.html").write_text("<p>added</p>", encoding="utf-8")
    # A forger edits a record's JSON and updates the manifest to match: the audit log still tells.
    record_json = folder / "data" / "records" / "TS-2026-0002.json"
    record = json.loads(record_json.read_text(encoding="utf-8"))
    record["data"]["customer"] = "Someone else"
    record_json.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    import hashlib

    manifest["files"]["data/records/TS-2026-0002.json"] = hashlib.sha256(record_json.read_bytes()).hexdigest()
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = qms(exported[0], "verify", str(folder), "--json")
    assert result.exit_code == 1
    problems = {p["object"]: p["message"] for p in json.loads(result.output)["problems"]}
    assert problems == {
        "records/TS-2026-0001.html": "missing from the bundle",
        "records/extra.html": "not listed in manifest.json (added after export)",
        "data/records/TS-2026-0002.json": "content differs from the state the audit log holds for records/TS-2026-0002",
    }


@pytest.mark.slow
def test_an_edited_audit_log_is_named(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    folder = unpack(exported[1], tmp_path / "u")
    log = folder / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    lines[3] = lines[3].replace(b'"actor":"', b'"actor":"x', 1)
    log.write_bytes(b"".join(lines))
    result = qms(exported[0], "verify", str(folder), "--json")
    problems = {p["object"]: p["message"] for p in json.loads(result.output)["problems"]}
    assert result.exit_code == 1
    assert "line 4 was edited" in problems["audit.log"] and "manifest" in problems["audit.log"]


def test_the_manifest_carries_the_signed_chain_head_the_workspace_is_checked_against(
        exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, bundle = exported
    with zipfile.ZipFile(bundle) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        last = json.loads(zf.read("audit.log").splitlines()[-1])
        verify_page = zf.read("verify.html").decode("utf-8")
    head = manifest["chain_head"]
    assert (head["seq"], head["hash"]) == (last["seq"], last["hash"]) and head["signature"] and len(head["key"]) == 32
    assert head["text"] in verify_page  # the verification page shows the head to take away
    since = qms(ws, "verify", "--since", str(bundle))
    assert since.exit_code == 0 and f"extends chain head #{head['seq']}" in since.output, since.output
    # A manifest whose head was moved back (to pass a truncated log) no longer verifies.
    folder = unpack(bundle, tmp_path / "u")
    manifest["chain_head"] = head | {"seq": head["seq"] - 1}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    result = qms(ws, "verify", str(folder), "--json")
    problems = {p["object"]: p["message"] for p in json.loads(result.output)["problems"]}
    assert result.exit_code == 1 and "signature does not verify" in problems["manifest.json"]
    refused = qms(ws, "verify", "--since", str(folder))
    assert refused.exit_code == 2 and "signature does not verify" in refused.output


def test_a_bundle_is_checked_offline_against_an_earlier_head(exported: tuple[Workspace, Path], tmp_path: Path) -> None:
    ws, bundle = exported
    at_export = qms(ws, "head", "--json").output
    ok = qms(ws, "verify", str(bundle), "--since", at_export)
    assert ok.exit_code == 0 and "since: the log extends chain head" in ok.output, ok.output
    # A head from after the export (the workspace moved on): this bundle's log does not reach it.
    later = tmp_path / "ws"
    copy_workspace(ws.root, later)
    open_store(Workspace.open(later)).log_event("event", "note", actor="aud", action="test.note")
    head = json.loads(CliRunner().invoke(make_cli(sitekit.host()), ["--workspace", str(later), "head", "--json"]).output)
    result = qms(ws, "verify", str(bundle), "--since", json.dumps(head), "--json")
    problems = {p["object"]: p["message"] for p in json.loads(result.output)["problems"]}
    assert result.exit_code == 1 and "truncated" in problems[f"audit.log entry {head['seq']}"]


def test_not_a_bundle_is_one_clear_line(workspace: Workspace, tmp_path: Path) -> None:
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    result = CliRunner().invoke(make_cli(sitekit.host()), ["verify", str(junk)])
    assert result.exit_code == 2 and "neither a qms evidence bundle" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    result = CliRunner().invoke(make_cli(sitekit.host()), ["verify", str(empty)])
    assert result.exit_code == 1 and "manifest.json: missing" in result.output


def test_export_needs_the_export_permission_and_a_zip_name(workspace: Workspace, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qms.users._N", 2**4)
    from qms.app import App

    app = App(workspace, sitekit.host())
    app.users.add("admin", "admin", "质量管理部", sitekit.PW, actor="admin")
    app.users.add("zhao", "department", "业务部", sitekit.PW, actor="admin")
    result = qms(workspace, "--as", "zhao", "export", "bundle", str(tmp_path / "b.zip"))
    assert result.exit_code == 1 and "may not export an evidence bundle" in result.output
    result = qms(workspace, "--as", "admin", "export", "bundle", str(tmp_path / "b.tar"))
    assert result.exit_code == 2 and "should end in .zip" in result.output
    assert not (tmp_path / "b.zip").exists() and not (tmp_path / "b.tar").exists()


def test_serve_refuses_a_workspace_nobody_can_log_in_to(workspace: Workspace) -> None:
    result = qms(workspace, "serve", "--port", "0")
    assert result.exit_code == 2 and "no users" in result.output


def test_serve_help_names_the_address_and_the_server() -> None:
    result = CliRunner().invoke(make_cli(sitekit.host()), ["serve", "--help"])
    assert result.exit_code == 0 and "127.0.0.1" in result.output and "waitress" in result.output
