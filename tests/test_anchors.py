"""Chain heads that leave the folder: `qms head`, `qms verify --since`, and the head on every PDF.

The two rewrites here each leave plain `qms verify` reporting "intact" (asserted, so the tests show
the gap they close); a head taken before the rewrite catches both.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader
from recordkit import FORM_NUMBER, SIMPLE_FORM, as_user, good_data, make_workspace, run

from qms import records
from qms.app import App
from qms.audit import canonical, entry_hash


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")


def _file(app: App, form: str = FORM_NUMBER, customer: str = "某某机械有限公司") -> str:
    data = good_data(customer=customer) if form == FORM_NUMBER else {"subject": "巡检"}
    return str(records.file(as_user(app, "li"), form, data)["number"])


def _head(app: App, tmp_path: Path, name: str = "head.json") -> Path:
    result = run(app, ["head", "--json"])
    assert result.exit_code == 0, result.output
    path = tmp_path / name
    path.write_text(result.output, encoding="utf-8")
    return path


def _verify(app: App, *args: str) -> tuple[int, str]:
    result = run(app, ["verify", *args])
    return result.exit_code, result.output


def test_head_is_signed_and_verify_since_accepts_its_json_text_and_file(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _file(app)
    head = json.loads(run(app, ["head", "--json"]).output)
    last = app.store.audit.last()
    assert last is not None
    assert (head["seq"], head["hash"], head["at"]) == (last["seq"], last["hash"], last["at"])
    assert len(head["key"]) == 32 and head["signature"] and head["public_key"]
    assert (app.workspace.records / "keys" / "workspace.key").stat().st_mode & 0o077 == 0  # private to its owner
    text = run(app, ["head"]).output.splitlines()[0]
    assert text == head["text"]
    saved = _head(app, tmp_path)
    _file(app)  # the log grows after the head was taken: still an extension
    for since in (json.dumps(head), text, str(saved)):
        code, output = _verify(app, "--since", since)
        assert code == 0, output
        assert f"since: the log extends chain head #{head['seq']} {head['hash'][:16]}" in output
    report = json.loads(run(app, ["verify", "--json", "--since", text]).output)
    assert report["ok"] and report["since"]["seq"] == head["seq"]
    assert report["chain_head"]["seq"] == report["entries"] > head["seq"]  # verify --json gives today's head
    from qms.site.views import Site

    shown = Site(app).verify(run=True).context["chain_head"]  # the auditor site's verification page
    assert shown == report["chain_head"]["text"]


@pytest.mark.folder_store  # rewrites bucket files and the log file
def test_dropping_the_last_record_and_turning_the_numbers_back_is_caught_since_an_earlier_head(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _file(app)
    run(app, ["head"])  # the key exists before the attacker's copy is taken
    db, log = app.workspace.records / "db", app.workspace.records / "audit.log"
    shutil.copytree(db, tmp_path / "db-before")
    shutil.copy(log, tmp_path / "audit-before.log")
    dropped = _file(app)
    head = json.loads(_head(app, tmp_path).read_text(encoding="utf-8"))
    # The rewrite: the last record, its log lines and the number sequence all back as they were.
    shutil.rmtree(db)
    shutil.copytree(tmp_path / "db-before", db)
    shutil.copy(tmp_path / "audit-before.log", log)
    fresh = App(app.workspace, app.host)
    assert fresh.store.get("records", dropped) is None
    code, output = _verify(fresh)
    assert code == 0 and "verify: intact" in output  # plain verify cannot see it
    code, output = _verify(fresh, "--since", str(tmp_path / "head.json"))
    assert code == 1, output
    assert f"audit.log entry {head['seq']}: missing: the log ends at #" in output
    assert f"had #{head['seq']} with hash {head['hash'][:16]}" in output and "truncated" in output
    # Other work re-uses the dropped number and fills the log past the head: now the hash differs.
    assert _file(fresh, customer="另一家公司") == dropped
    while (fresh.store.audit.last() or {}).get("seq", 0) < head["seq"]:
        _file(fresh, customer="另一家公司")
    code, output = _verify(fresh, "--since", str(tmp_path / "head.json"))
    found = [line for line in output.splitlines() if f"audit.log entry {head['seq']}: rewritten" in line]
    assert code == 1 and found, output
    assert f"expected hash {head['hash'][:16]}" in found[0] and "found " in found[0]


def _rehash(lines: list[dict[str, object]]) -> bytes:
    """The log re-chained from genesis with new seq numbers, as someone holding the folder would do."""
    prev = "0" * 64
    out = []
    for seq, entry in enumerate(lines, start=1):
        full = {k: v for k, v in entry.items() if k != "hash"} | {"seq": seq, "prev": prev}
        full["hash"] = prev = entry_hash(full)
        out.append(canonical(full) + b"\n")
    return b"".join(out)


@pytest.mark.folder_store  # deletes a bucket file and rewrites the log file
def test_deleting_a_whole_forms_bucket_and_rehashing_the_log_is_caught_since_an_earlier_head(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    kept = [_file(app) for _ in range(2)]
    gone = [_file(app, SIMPLE_FORM) for _ in range(2)]
    kept.append(_file(app))
    head = json.loads(_head(app, tmp_path).read_text(encoding="utf-8"))
    # The rewrite: the simple form's bucket deleted, its log lines dropped, the rest re-hashed.
    prefix = gone[0].split("-")[0]
    buckets = list((app.workspace.records / "db" / "records").glob(f"{prefix}*.json"))
    assert buckets
    for bucket in buckets:
        bucket.unlink()
    log = app.workspace.records / "audit.log"
    entries = [json.loads(line) for line in log.read_bytes().splitlines()]
    log.write_bytes(_rehash([e for e in entries if not (e.get("collection") == "records" and e.get("key") in gone)]))
    fresh = App(app.workspace, app.host)
    assert all(fresh.store.get("records", n) is None for n in gone)
    assert all(fresh.store.get("records", n) is not None for n in kept)
    code, output = _verify(fresh)
    assert code == 0 and "verify: intact" in output  # plain verify cannot see it
    code, output = _verify(fresh, "--since", str(tmp_path / "head.json"))
    assert code == 1, output
    assert f"audit.log entry {head['seq']}: missing" in output and "truncated" in output
    # Padded back to the same length with made-up lines, the hash at the head's seq still differs.
    shortened = [json.loads(line) for line in log.read_bytes().splitlines()]
    padding = [{"at": "2026-10-09T09:00:00", "actor": "qms", "action": "note", "collection": "event", "key": f"x{i}",
                "state": None, "reason": "", "detail": {}} for i in range(head["seq"] - len(shortened))]
    log.write_bytes(_rehash(shortened + padding))
    code, output = _verify(App(app.workspace, app.host), "--since", str(tmp_path / "head.json"))
    assert code == 1 and f"audit.log entry {head['seq']}: rewritten: expected hash {head['hash'][:16]}" in output


def test_a_head_with_a_bad_signature_is_refused_in_one_line(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    _file(app)
    head = json.loads(run(app, ["head", "--json"]).output)
    log_before = app.store.audit_bytes()
    forged = head | {"seq": head["seq"] - 1}  # a head moved back, signature kept
    flipped = head["signature"][:10] + ("A" if head["signature"][10] != "A" else "B") + head["signature"][11:]
    for bad in (json.dumps(forged), head["text"].replace(head["signature"], flipped)):
        result = run(app, ["verify", "--since", bad])
        assert result.exit_code == 2, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "refused: its signature does not verify" in lines[0], result.output
        assert "Traceback" not in result.output
    other = json.dumps(head | {"public_key": head["public_key"][:-2] + "AA"})
    result = run(app, ["verify", "--since", other])
    assert result.exit_code == 2 and "does not have its fingerprint" in result.output
    garbage = run(app, ["verify", "--since", "not a head"])
    assert garbage.exit_code == 2 and "not a chain head" in garbage.output
    assert app.store.audit_bytes() == log_before  # a refusal changes nothing


def test_a_pdf_carries_the_chain_head_in_its_footer_and_xmp_and_is_the_same_at_the_same_head(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    number = _file(app)
    head = json.loads(run(app, ["head", "--json"]).output)
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    assert run(app, ["record", "pdf", number, "-o", str(first)]).exit_code == 0
    assert run(app, ["record", "pdf", number, "-o", str(second)]).exit_code == 0
    assert first.read_bytes() == second.read_bytes()  # same input at the same chain head: same bytes
    reader = PdfReader(io.BytesIO(first.read_bytes()))
    text = reader.pages[0].extract_text()
    assert f"链头 chain head #{head['seq']} {head['hash'][:16]}" in text
    assert "第 1 页 / 共" in text  # the page numbers stay on the same footer
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert head["text"] in xmp and 'pdfaid:part="3"' in xmp
    _file(app)  # the log moves on: the same record now renders with the new head
    third = tmp_path / "c.pdf"
    assert run(app, ["record", "pdf", number, "-o", str(third)]).exit_code == 0
    later = json.loads(run(app, ["head", "--json"]).output)
    assert later["seq"] > head["seq"]
    assert f"#{later['seq']} {later['hash'][:16]}" in PdfReader(io.BytesIO(third.read_bytes())).pages[0].extract_text()
    # A PDF kept from earlier is a head to check the log against: its XMP carries the signed head.
    since = run(app, ["verify", "--since", str(first)])
    assert since.exit_code == 0 and f"extends chain head #{head['seq']} {head['hash'][:16]}" in since.output
