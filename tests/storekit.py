"""Changing a stored object behind the store's back, as someone with access to its files or its database
would: on the folder store by editing the bucket file, on PostgreSQL by updating the row as the
database's owner. Tamper tests use it so that they run on both stores."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from qms.store import Store


def _row(store: Store, sql: str, *params: object) -> list[tuple[Any, ...]]:
    import psycopg

    with psycopg.connect(store.url, autocommit=True) as conn:  # type: ignore[attr-defined]
        cur = conn.execute(sql.format(s=store.schema), params)  # type: ignore[attr-defined]
        return cur.fetchall() if cur.description else []


@contextmanager
def tampered(store: Store, collection: str, key: str,
             change: Callable[[dict[str, Any]], dict[str, Any]]) -> Iterator[None]:
    """Within the block the object ``collection/key`` is ``change(object)``, stored behind qms's back;
    afterwards it is put back as it was."""
    if store.kind == "postgresql":
        [(body,)] = _row(store, "SELECT body::text FROM {s}.objects WHERE collection = %s AND key = %s", collection, key)
        _row(store, "UPDATE {s}.objects SET body = %s::jsonb WHERE collection = %s AND key = %s",
             json.dumps(change(json.loads(body)), ensure_ascii=False), collection, key)
        try:
            yield
        finally:
            _row(store, "UPDATE {s}.objects SET body = %s::jsonb WHERE collection = %s AND key = %s",
                 body, collection, key)
        return
    bucket = store.bucket_path(collection, key)
    original = bucket.read_bytes()
    raw = json.loads(original)
    for doc in raw["objects"].values():
        if doc["_key"] == key:
            doc["obj"] = change(doc["obj"])
    bucket.write_text(json.dumps(raw, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    try:
        yield
    finally:
        bucket.write_bytes(original)
