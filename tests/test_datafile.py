"""Record data files as clerks write them: YAML numbers and times in text fields keep the text typed."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import Invoke


def test_numbers_and_times_typed_into_text_fields_keep_the_text_typed(invoke: Invoke, add_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_user("zhao", "department", "业务部")
    data = tmp_path / "c.yaml"
    data.write_text("received_at: 2026-11-05T09:00:00\nchannel: 电话\ncustomer: 0571\ncontent: 12:30 来电\n"
                    "contact_phone: 0571123456\ncontact_person: 12:30\nquantity: 3\n", encoding="utf-8")
    result = invoke("--as", "zhao", "record", "new", "QR-8.2-01", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    filed = json.loads(result.output)["data"]
    # YAML 1.1 would have read 0571123456 as an octal number and 12:30 as 750.
    assert filed["contact_phone"] == "0571123456" and filed["contact_person"] == "12:30" and filed["customer"] == "0571"
    assert filed["quantity"] == 3


def test_a_data_file_saved_as_gbk_is_read(invoke: Invoke, add_user, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    add_user("zhao", "department", "业务部")
    data = tmp_path / "c.yaml"
    data.write_bytes("received_at: 2026-11-05T09:00:00\nchannel: 电话\ncustomer: 华美家具有限公司\ncontent: 餐椅色差\n"
                     .encode("gbk"))
    result = invoke("--as", "zhao", "record", "new", "QR-8.2-01", "--data", str(data), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["data"]["customer"] == "华美家具有限公司"
