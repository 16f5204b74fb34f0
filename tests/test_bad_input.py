"""Bad input to every data parser of the CLI gets one clear line, a non-zero exit code and stores nothing.

Each case runs the real ``qms`` process (so a traceback would show as it does to a user) on a
workspace with the four procedure plugins, then compares every byte under ``records/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest

from qms import records
from qms.app import App
from qms.host import Host, make_plugin_manager
from qms.workspace import init_workspace

PASSWORD = "demo-pass-2026"
USERS = (("admin", "admin", "质量管理部"), ("zhao", "department", "业务部"), ("sun", "department", "设备科"),
         ("qian", "department", "物业管理部"), ("guo", "department", "工程部"))
COMPLAINT = "received_at: 2026-11-05T09:00:00\nchannel: 电话\ncustomer: 某某公司\ncontent: 漏水\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with users and one open complaint KS-2026-0001 (the cases below must not add a byte)."""
    root = tmp_path_factory.mktemp("bad") / "ws"
    app = App(init_workspace(root, kind="test"), Host(make_plugin_manager()))
    for name, role, dept in USERS:
        app.users.add(name, role, dept, PASSWORD, actor="admin", full_name=name.title())
    records.file(app.acting_as("zhao"), "QR-8.2-01", {"received_at": "2026-11-05T09:00:00", "channel": "电话",
                                                     "customer": "某某公司", "content": "漏水"})
    return root


def _snapshot(root: Path) -> dict[str, str]:
    """sha256 of every stored file (records, sequences, users, audit log); caches left out."""
    out = {}
    for path in sorted((root / "records").rglob("*")):
        if path.is_file() and "cache" not in path.relative_to(root / "records").parts:
            out[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _text(name: str, body: str | bytes) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        path = folder / name
        path.write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        return str(path)
    return make


def _xlsx(name: str, rows: list[list[object]]) -> Callable[[Path], str]:
    def make(folder: Path) -> str:
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        book.save(folder / name)
        return str(folder / name)
    return make


HEADER = "received_at,channel,customer,content\n"

# (id, user, command before the file, file maker or None, arguments after the file, what the line says)
CASES: list[tuple[str, str, list[str], Callable[[Path], str] | None, list[str | bytes], str]] = [
    ("yaml-impossible-date", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT.replace("2026-11-05T09:00:00", "2026-13-45")), [],
     "received_at (接收时间 Received at): must be a date and time YYYY-MM-DDTHH:MM:SS, not '2026-13-45'"),
    ("yaml-date-object-where-text-is-expected", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT.replace("2026-11-05T09:00:00", "2026-11-05")), [],
     "must be a date and time YYYY-MM-DDTHH:MM:SS, not '2026-11-05'"),
    ("yaml-wrong-type", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT.replace("content: 漏水", "content: [1, 2]")), [],
     'content (投诉内容 Complaint): must be text, not [1, 2]'),
    ("yaml-recursive-alias", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT + "contacts: &a [*a]\n"), [],
     'line 5: an alias (*a) is not accepted in record data'),
    ("yaml-nul-character", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT.replace("某某公司", "某某\x00公司")), [],
     'holds the control character U+0000'),
    ("yaml-not-a-mapping", "zhao", ["record", "new", "QR-8.2-01", "--data"], _text("c.yaml", "- a\n- b\n"), [],
     'must hold a mapping of field names to values'),
    ("yaml-neither-utf8-nor-gbk", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT.encode("gbk") + b"\xff\xff\n"), [], "c.yaml is neither UTF-8 nor GBK text; save it as UTF-8"),
    ("yaml-binary-value", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT + "product: !!binary aGVsbG8=\n"), [],
     "product holds binary data (!!binary), which a record cannot store"),
    ("yaml-not-a-number", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.yaml", COMPLAINT + "quantity: .nan\n"), [], "quantity is nan, not a number a record can hold"),
    ("json-lone-surrogate", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.json", '{"received_at": "2026-11-05T09:00:00", "channel": "电话", "customer": "\\ud800", "content": "x"}'), [],
     'customer (客户名称 Customer): holds U+D800, which is not a character'),
    ("json-nul-in-field", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.json", '{"received_at": "2026-11-05T09:00:00", "channel": "电话", "customer": "a\\u0000b", "content": "x"}'), [],
     'customer (客户名称 Customer): holds a NUL character (U+0000); remove it'),
    ("json-nan", "zhao", ["record", "new", "QR-8.2-01", "--data"], _text("c.json", '{"customer": NaN}'), [],
     'NaN is not a number a record can hold'),
    ("json-nested-too-deep", "zhao", ["record", "new", "QR-8.2-01", "--data"],
     _text("c.json", '{"content": ' + "[" * 100_000 + "]" * 100_000 + "}"), [],
     'nested too deeply'),
    ("update-impossible-date", "zhao", ["record", "update", "KS-2026-0001", "--data"],
     _text("u.yaml", "received_at: 2026-02-30T09:00:00\n"), [],
     "not '2026-02-30T09:00:00'"),
    ("update-set-impossible-date", "zhao", ["record", "update", "KS-2026-0001", "--set", "received_at=2026-13-45"], None, [],
     "not '2026-13-45'"),
    ("set-array-item-out-of-range", "zhao", ["record", "update", "KS-2026-0001", "--set", "actions[5].done_at=2026-11-06"],
     None, [],
     'actions[5]'),
    ("argument-not-utf8", "zhao", ["record", "update", "KS-2026-0001", "--set", "analysis=x", "--note"], None,
     [b"\xff\xfe"],
     'is not valid UTF-8 text'),
    ("import-gbk-csv-impossible-date", "zhao", ["record", "import", "QR-8.2-01"],
     _text("rows.csv", (HEADER + "2026-13-45T09:00:00,电话,甲公司,漏水\n").encode("gbk")), [],
     'nothing was imported) is not valid (1 problem(s)): line 2: received_at'),
    ("import-csv-neither-utf8-nor-gbk", "zhao", ["record", "import", "QR-8.2-01"],
     _text("rows.csv", HEADER.encode() + b"\xff\xff\xff,\x80\n"), [],
     'is neither UTF-8 nor GBK text; save it as UTF-8'),
    ("import-utf8-csv-with-a-damaged-byte", "zhao", ["record", "import", "QR-8.2-01"],
     _text("rows.csv", (HEADER + "2026-11-05T09:00:00,电话,甲公司,漏水\n").encode() + "2026-11-05T09:00:00,电话,乙公司,".encode()
           + b"\xe6\xbc" + "门坏了\n".encode()), [], "rows.csv line 3 is not valid UTF-8"),
    ("import-csv-nul", "zhao", ["record", "import", "QR-8.2-01"],
     _text("rows.csv", HEADER + "2026-11-05T09:00:00,电话,甲\x00公司,漏水\n"), [],
     'line 2: customer (客户名称 Customer): holds a NUL character'),
    ("import-jsonl-surrogate", "zhao", ["record", "import", "QR-8.2-01"],
     _text("rows.jsonl", '{"received_at": "2026-11-05T09:00:00", "channel": "电话", "customer": "\\udc80", "content": "x"}\n'), [],
     'line 1: customer (客户名称 Customer): holds U+DC80'),
    ("import-xlsx-impossible-date-and-wrong-type", "zhao", ["record", "import", "QR-8.2-01"],
     _xlsx("rows.xlsx", [["received_at", "channel", "customer", "content"],
                         [dt.datetime(2026, 11, 5, 9), "电话", "甲公司", "漏水"],
                         ["2026-13-45", "电话", "乙公司", "门坏"],
                         [dt.datetime(2026, 11, 5, 10), 3, "丙公司", "窗坏"]]), [],
     'line 3: received_at (接收时间 Received at): must be a date and time'),
    ("import-xlsx-not-a-workbook", "zhao", ["record", "import", "QR-8.2-01"], _text("rows.xlsx", "a,b\n1,2\n"), [],
     'is not an Excel workbook (.xlsx)'),
    ("import-old-xls", "zhao", ["record", "import", "QR-8.2-01"], _text("rows.xls", b"\xd0\xcf\x11\xe0"), [],
     'not the old .xls format'),
    ("equipment-register-impossible-date", "sun", ["equipment", "register", "--unit", "102", "--data"],
     _text("e.yaml", "name: 数显卡尺\nacceptance_date: 2026-13-45\n"), [],
     "acceptance_date (开箱验收日期 Acceptance date): must be a date YYYY-MM-DD, not '2026-13-45'"),
    ("property-repair-impossible-date", "qian", ["property", "repair", "new", "--data"],
     _text("r.yaml", "reported_at: 2026-13-45\ncustomer_name: 王女士\nbuilding: A栋\nsite: 漏水\nurgency: 一般\n"
                     "service_class: D\n"), [],
     'reported_at (登记时间 Registered at): must be a date and time'),
    ("property-pass-nul", "qian", ["property", "pass", "issue", "--receipt", "SJ-1", "--data"],
     _text("p.json", '{"applicant": "a\\u0000", "plate": "沪A1", "documents": ["驾驶证"]}'), [],
     'holds a NUL character'),
    ("projects-new-impossible-date", "guo", ["projects", "new", "--template", "fit-out", "--name", "x", "--customer", "y",
                                             "--manager", "guo", "--start", "2026-13-45", "--finish", "2027-01-01"], None, [],
     "baseline.start (计划开始 Planned start): must be a date YYYY-MM-DD, not '2026-13-45'"),
]


@pytest.mark.parametrize(("user", "before", "make", "after", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_one_line_and_stores_nothing(ws: Path, tmp_path: Path, user: str, before: list[str],
                                                    make: Callable[[Path], str] | None, after: list[str | bytes],
                                                    says: str) -> None:
    args: list[str | bytes] = [sys.executable, "-m", "qms", "--workspace", str(ws), "--as", user, *before]
    if make is not None:
        args.append(make(tmp_path))
    args += after
    stored = _snapshot(ws)
    # Every user of this workspace has PASSWORD: it proves who --as names.
    env = {**{k: v for k, v in os.environ.items() if k != "QMS_NOW"}, "QMS_PASSWORD": PASSWORD}
    done = subprocess.run(args, capture_output=True, input=PASSWORD.encode() + b"\n", env=env, timeout=120)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode in (1, 2), err
    assert "Traceback" not in err and "Traceback" not in done.stdout.decode("utf-8", "replace")
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), err
    assert says in lines[0]
    assert _snapshot(ws) == stored


def test_workspace_files_with_an_impossible_date_are_named_in_one_line(invoke, workspace) -> None:  # type: ignore[no-untyped-def]
    root = workspace.root
    form = root / "forms" / "QR-8.2-01.yaml"
    form.write_text(re.sub(r"(?m)^edition: .*$", "edition: 2026-13-45", form.read_text(encoding="utf-8"), count=1),
                    encoding="utf-8")
    procedure = sorted((root / "procedures").glob("*.md"))[0]
    procedure.write_text(procedure.read_text(encoding="utf-8").replace("---\n", "---\nreviewed: 2026-02-30\n", 1),
                         encoding="utf-8")
    (root / "project-templates").mkdir()
    (root / "project-templates" / "fit-out.yaml").write_text("id: fit-out\nedition: 2026-13-45\n", encoding="utf-8")
    checked = invoke("check")
    assert checked.exit_code == 1
    said = checked.output
    assert "forms/QR-8.2-01.yaml: holds an impossible date (month must be in 1..12); write it as YYYY-MM-DD" in said
    assert f"procedures/{procedure.name}: front matter holds an impossible date (day is out of range for month)" in said
    assert "project-templates/fit-out.yaml: holds an impossible date" in said
    shown = invoke("form", "show", "QR-8.2-01")
    assert shown.exit_code != 0 and shown.output.count("\n") == 1 and "holds an impossible date" in shown.output
