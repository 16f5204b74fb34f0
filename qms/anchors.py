"""Chain heads that leave the folder: the workspace key, signed heads of the audit log, and the check
that today's log still extends a head taken earlier.

The audit log is a sha256 chain with no secret: whoever can write the folder can drop lines and
re-hash the rest, and the chain is intact again. A **chain head** (seq, hash and time of the last
log line, and the fingerprint of the workspace key) signed with the workspace's Ed25519 key is
small enough to leave the folder: in every evidence bundle's manifest, on every PDF's footer and
in its XMP metadata, in ``qms head`` and ``qms verify --json``. Whoever keeps a head (an auditor
after a visit, the management review minutes) can later run ``qms verify --since HEAD``: the line
at that seq must still carry that hash, or the log was truncated or rewritten before that point.

The workspace keeps a history of its own heads too: after a write, at most once per
``ANCHOR_EVERY`` audit entries and at least once a day, and on ``qms head --save``, a head is saved as
``records/anchors/head-<seq>.json`` (outside the chain); ``qms verify --since`` takes any of them.

The key lives in ``records/keys/`` (outside the object store), created on first use. A head is
a pure function of the last log line and the key (Ed25519 signatures are deterministic, and its
time is the time of that line), so the same input at the same chain head renders the same bytes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms.audit import GENESIS, canonical
from qms.errors import QMSError, UsageError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from qms.store import Store

FORMAT = "qms-chain-head/1"
KEY_DIR = "keys"
PRIVATE_NAME = "workspace.key"
PUBLIC_NAME = "workspace.pub"
#: The XMP namespace of the chain head in a PDF's metadata.
XMP_NS = "http://ns.qms.local/chain-head/1.0/"
_TEXT = re.compile(r"^qms-chain-head/1 #(\d+) ([0-9a-f]{64}) (\S+) key ([0-9a-f]{32}) sig ([A-Za-z0-9_-]{86})$")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def fingerprint(public_raw: bytes) -> str:
    """The fingerprint of a raw Ed25519 public key: the first 32 hex digits of its sha256."""
    return hashlib.sha256(public_raw).hexdigest()[:32]


@dataclass(frozen=True)
class ChainHead:
    """A signed head of the audit log: the last line's seq, hash and time, and the signing key."""

    seq: int
    hash: str
    at: str
    key: str
    signature: str
    public_key: str = ""

    def payload(self) -> bytes:
        """The bytes signed: every field but the signature and the public key itself, canonical JSON."""
        return canonical({"format": FORMAT, "seq": self.seq, "hash": self.hash, "at": self.at, "key": self.key})

    def as_dict(self) -> dict[str, Any]:
        """Plain data for ``--json`` and manifests, with the one-line form beside it."""
        return {"format": FORMAT, **asdict(self), "text": self.text()}

    def text(self) -> str:
        """The one-line form, complete enough to check against: ``qms-chain-head/1 #SEQ HASH AT key FPR sig SIG``."""
        return f"{FORMAT} #{self.seq} {self.hash} {self.at or '-'} key {self.key} sig {self.signature}"

    def public_raw(self) -> bytes | None:
        """The raw public key the head carries (None in the one-line form)."""
        try:
            return _unb64(self.public_key) if self.public_key else None
        except ValueError:
            return None

    def footer(self) -> str:
        """The short line printed at the foot of every PDF page."""
        return f"链头 chain head #{self.seq} {self.hash[:16]}… · 密钥 key {self.key[:8]}"


class WorkspaceKey:
    """The workspace's Ed25519 signing key."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

        self.private = private
        self.public_raw = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.fingerprint = fingerprint(self.public_raw)

    def sign(self, seq: int, hash_: str, at: str) -> ChainHead:
        """The signed head for the log line ``seq`` with ``hash_`` written at ``at``."""
        unsigned = ChainHead(seq=seq, hash=hash_, at=at, key=self.fingerprint, signature="")
        signature = _b64(self.private.sign(unsigned.payload()))
        return ChainHead(seq=seq, hash=hash_, at=at, key=self.fingerprint, signature=signature,
                         public_key=_b64(self.public_raw))


def key_dir(records: Path) -> Path:
    """``records/keys/`` of a workspace whose record store is ``records``."""
    return records / KEY_DIR


def load_key(records: Path, *, create: bool = True) -> WorkspaceKey:
    """The workspace key, made on first use; two processes making it at once end with the same one."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
        PublicFormat,
        load_pem_private_key,
    )

    path = key_dir(records) / PRIVATE_NAME
    if not path.exists():
        if not create:
            raise UsageError(f"{path} is missing: this workspace has no key to sign chain heads with")
        fresh = Ed25519PrivateKey.generate()
        pem = fresh.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{PRIVATE_NAME}.{os.getpid()}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
                f.flush()
                os.fsync(f.fileno())
            try:
                # link, not rename: whoever links first wins, and nobody overwrites a key in use.
                os.link(tmp, path)
            except FileExistsError:
                pass
            finally:
                tmp.unlink(missing_ok=True)
            public = fresh.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
            pub_path = path.with_name(PUBLIC_NAME)
            if not pub_path.exists():
                pub_path.write_bytes(public)
        except OSError as exc:
            raise UsageError(f"cannot create the workspace key {path} ({exc.strerror}); "
                             f"run the command where the workspace can be written") from exc
    try:
        private = load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise QMSError(f"{path} is not a readable Ed25519 key ({exc}); restore it from the company's copy") from exc
    if not isinstance(private, Ed25519PrivateKey):
        raise QMSError(f"{path} is not an Ed25519 key; restore it from the company's copy")
    return WorkspaceKey(private)


def head_of(entry: dict[str, Any] | None, key: WorkspaceKey) -> ChainHead:
    """The signed head after ``entry`` (the genesis head, seq 0, for an empty log)."""
    if entry is None:
        return key.sign(0, GENESIS, "")
    return key.sign(int(entry.get("seq", 0)), str(entry.get("hash", "")), str(entry.get("at", "")))


def current_head(store: Store) -> ChainHead:
    """The signed head of the store's committed work (only the log's tail is read).

    Never the entry of another writer's unit of work still under way: a refusal or a crash could
    roll it back, and a head handed out for it would later look like a truncated log.
    """
    return head_of(store.last_committed(), load_key(store.root))


# -- the workspace's own history of heads ----------------------------------------------------

#: ``records/anchors/``: signed heads the workspace keeps of itself, one file per head, named by seq.
ANCHOR_DIR = "anchors"
#: A head is kept after a write at most once per this many audit entries, and at least once a day
#: that anything is written.
ANCHOR_EVERY = 100
_ANCHOR_NAME = re.compile(r"^head-(\d{10})\.json$")


def anchor_path(records: Path, seq: int) -> Path:
    """Where the kept head at ``seq`` lives: ``records/anchors/head-<seq, 10 digits>.json``."""
    return records / ANCHOR_DIR / f"head-{seq:010d}.json"


def last_anchor(records: Path) -> tuple[int, str] | None:
    """The seq and time of the latest kept head, or None when none was kept (one directory listing)."""
    try:
        with os.scandir(records / ANCHOR_DIR) as found:
            seqs = [int(m.group(1)) for e in found if (m := _ANCHOR_NAME.match(e.name))]
    except FileNotFoundError:
        return None
    if not seqs:
        return None
    seq = max(seqs)
    try:
        at = str(json.loads(anchor_path(records, seq).read_bytes()).get("at") or "")
    except (OSError, ValueError, AttributeError):
        at = ""  # an unreadable kept head counts as old: the next one replaces it as the latest
    return seq, at


def save_anchor(store: Store) -> tuple[Path, ChainHead]:
    """Keep the signed head of the store's committed work under ``records/anchors/`` (``qms head --save``).

    The file is outside the audit chain (keeping it logs nothing), so it can be written after any
    write without a write of its own; copies of it kept elsewhere are what ``verify --since`` needs.
    """
    head = current_head(store)
    path = anchor_path(store.root, head.seq)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Its own temporary name, not the store's ``.tmp-*``: a writer killed here leaves nothing that
    # looks like an unfinished store write, and the head (a pure function of the log) is kept next time.
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        tmp.write_bytes(json.dumps(head.as_dict(), ensure_ascii=False, indent=2).encode("utf-8") + b"\n")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _LATEST[store.root] = (head.seq, head.at)
    return path, head


#: The latest head this process kept or found per workspace, so a write does not list the folder of
#: kept heads again: another process keeping one meanwhile at worst makes this one keep one early.
_LATEST: dict[Path, tuple[int, str]] = {}


def keep_periodic_anchor(store: Store) -> Path | None:
    """After a committed write: keep a head when ``ANCHOR_EVERY`` entries were logged since the last
    kept one, or the last one is of an earlier day (or there is none); the path kept, or None."""
    last = store.audit.last()
    if last is None:
        return None
    seq, day = int(last.get("seq", 0)), str(last.get("at", ""))[:10]
    prior = _LATEST.get(store.root)
    if prior is None:
        prior = last_anchor(store.root)
        if prior is not None:
            _LATEST[store.root] = prior
    if prior is not None and (prior[0] >= seq or (seq - prior[0] < ANCHOR_EVERY and prior[1][:10] == day)):
        return None
    try:
        return save_anchor(store)[0]
    except (OSError, QMSError):
        return None  # the write itself succeeded; the next one keeps the head instead


# -- reading a head back ---------------------------------------------------------------------


def from_dict(data: Any) -> ChainHead:
    """A head from its JSON form; a ``qms verify --json`` report or a bundle manifest holding one also works."""
    if isinstance(data, dict) and isinstance(data.get("chain_head"), dict):
        data = data["chain_head"]
    if not isinstance(data, dict) or data.get("format", FORMAT) != FORMAT:
        raise UsageError(f"not a chain head: expected the JSON of `qms head --json` (format {FORMAT})")
    try:
        head = ChainHead(seq=int(data["seq"]), hash=str(data["hash"]), at=str(data.get("at") or ""),
                         key=str(data["key"]), signature=str(data["signature"]),
                         public_key=str(data.get("public_key") or ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"not a chain head: the field {exc} is missing or wrong; "
                         f"use the JSON of `qms head --json` unchanged") from exc
    if head.seq < 0 or not re.fullmatch(r"[0-9a-f]{64}", head.hash):
        raise UsageError("not a chain head: seq must be 0 or more and hash 64 hex digits")
    return head


def from_text(text: str) -> ChainHead:
    """A head from its one-line form."""
    m = _TEXT.match(text.strip())
    if m is None:
        raise UsageError(f"not a chain head: expected `{FORMAT} #SEQ HASH TIME key FINGERPRINT sig SIGNATURE` "
                         f"as `qms head` prints it")
    at = "" if m.group(3) == "-" else m.group(3)
    return ChainHead(seq=int(m.group(1)), hash=m.group(2), at=at, key=m.group(4), signature=m.group(5))


def _bundle_manifest(path: Path) -> Any:
    """The manifest of an evidence bundle (zip or unpacked folder)."""
    if path.is_dir():
        raw = (path / "manifest.json").read_bytes() if (path / "manifest.json").is_file() else None
    else:
        with zipfile.ZipFile(path) as zf:
            try:
                raw = zf.read("manifest.json")
            except KeyError:
                raw = None
    if raw is None:
        raise UsageError(f"{path} has no manifest.json: it is not a qms evidence bundle")
    manifest = json.loads(raw)
    if not isinstance(manifest, dict) or "chain_head" not in manifest:
        raise UsageError(f"{path}'s manifest holds no signed chain head (exported before bundles carried one); "
                         f"give a head from `qms head --json` instead")
    return manifest


def _pdf_head(data: bytes, name: str) -> ChainHead:
    """The head a qms PDF carries in its XMP metadata (the metadata stream may be deflated)."""
    for m in re.finditer(rb"stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        if end < 0:
            break
        body = data[m.end():end]
        for text in (body, _inflate(body)):
            found = re.search(rb"<qmschain:head>([^<]+)</qmschain:head>", text)
            if found:
                return from_text(found.group(1).decode("utf-8"))
    raise UsageError(f"{name} carries no chain head (a PDF made by qms before PDFs carried one, or not by qms)")


def _inflate(body: bytes) -> bytes:
    try:
        return zlib.decompressobj().decompress(body)
    except zlib.error:
        return b""


def load_head(source: str) -> ChainHead:
    """A head from ``source``: its JSON, its one-line form, a file holding either, a qms PDF or an evidence bundle."""
    path = Path(source)
    try:
        is_file = len(source) < 4096 and path.exists()
    except OSError:
        is_file = False
    try:
        if is_file and (path.is_dir() or zipfile.is_zipfile(path)):
            return from_dict(_bundle_manifest(path))
        if is_file and path.read_bytes()[:5] == b"%PDF-":
            return _pdf_head(path.read_bytes(), source)
        text = path.read_text(encoding="utf-8") if is_file else source
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
        raise UsageError(f"cannot read a chain head from {source} ({exc})") from exc
    text = text.strip()
    if text.startswith("{"):
        try:
            return from_dict(json.loads(text))
        except json.JSONDecodeError as exc:
            raise UsageError(f"the chain head's JSON is broken ({exc.msg} at line {exc.lineno}); "
                             f"take it again with `qms head --json`") from exc
    return from_text(text)


def check_signature(head: ChainHead, workspace_public: bytes | None) -> None:
    """Refuse a head whose signature does not verify against its key (UsageError, one line)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    raw: bytes | None = None
    if head.public_key:
        try:
            raw = _unb64(head.public_key)
        except ValueError:
            raw = None
        if raw is None or fingerprint(raw) != head.key:
            raise UsageError(f"chain head #{head.seq} refused: its public key does not have its fingerprint "
                             f"{head.key} (the head was altered)")
    elif workspace_public is not None and fingerprint(workspace_public) == head.key:
        raw = workspace_public
    if raw is None:
        raise UsageError(f"chain head #{head.seq} refused: it was signed by key {head.key}, which is not this "
                         f"workspace's key; give the head's JSON form (it carries its public key)")
    try:
        Ed25519PublicKey.from_public_bytes(raw).verify(_unb64(head.signature), head.payload())
    except (InvalidSignature, ValueError) as exc:
        raise UsageError(f"chain head #{head.seq} refused: its signature does not verify against key {head.key} "
                         f"(the head was altered or not made by qms)") from exc


def extension_problems(head: ChainHead, entries: list[dict[str, Any]], workspace_key: str) -> list[tuple[str, str]]:
    """Where the log ``entries`` fail to extend ``head``: (object, message) pairs, empty when it does.

    The chain after the head is checked line by line by the audit log itself; this adds the one
    thing a re-hashed chain cannot fake: the line at the head's seq still carries the head's hash.
    """
    problems: list[tuple[str, str]] = []
    where = f"audit.log entry {head.seq}"
    if head.key != workspace_key:
        problems.append(("records/keys/workspace.key",
                         f"the head was signed by key {head.key}, the workspace key is now {workspace_key} "
                         f"(the key was replaced, or the head is from another workspace)"))
    if head.seq == 0:
        return problems
    if len(entries) < head.seq:
        last = entries[-1] if entries else {}
        problems.append((where, f"missing: the log ends at #{last.get('seq', 0)} but had #{head.seq} "
                                f"with hash {head.hash[:16]}… at {head.at} (the log was truncated)"))
        return problems
    found = entries[head.seq - 1]
    if found.get("seq") != head.seq or found.get("hash") != head.hash:
        problems.append((where, f"rewritten: expected hash {head.hash[:16]}… (at {head.at}), found "
                                f"{str(found.get('hash', ''))[:16]}… in line {head.seq} (seq {found.get('seq')}, "
                                f"at {found.get('at')}); the log was rewritten at or before #{head.seq}"))
    return problems


def signed_head_problems(data: Any, entries: list[dict[str, Any]]) -> list[str]:
    """What is wrong with a bundle manifest's signed head against the bundle's own log (empty when nothing)."""
    try:
        head = from_dict(data)
        if not head.public_key:
            raise UsageError("the chain head carries no public key")
        check_signature(head, None)
    except UsageError as exc:
        return [f"chain_head: {exc}"]
    last = entries[-1] if entries else {"seq": 0, "hash": GENESIS}
    if (head.seq, head.hash) != (last.get("seq"), last.get("hash")):
        return [f"chain_head #{head.seq} {head.hash[:16]}… is not the last line of audit.log "
                f"(#{last.get('seq')} {str(last.get('hash', ''))[:16]}…)"]
    return []


# -- into a PDF --------------------------------------------------------------------------------

#: The page numbers of ``qms.css``'s @bottom-center, repeated here because the footer box is
#: replaced as a whole to add the chain head as a second line.
_PAGE_NUMBERS = '"第 " counter(page) " 页 / 共 " counter(pages) " 页  (Page " counter(page) " of " counter(pages) ")"'


def footer_css(head: ChainHead) -> str:
    """A style element that adds the head's footer line under the page numbers of every page."""
    line = head.footer().replace("\\", "").replace('"', "")
    return (f'<style>@page {{ @bottom-center {{ content: {_PAGE_NUMBERS} "\\A {line}"; white-space: pre; }} }}'
            f"</style>")


def xmp_description(head: ChainHead) -> bytes:
    """The head as an ``rdf:Description`` for the PDF's XMP metadata."""
    # Imported here: xml.sax.saxutils brings urllib.request and http.client (13 ms), and every
    # command that opens the store imports this module for the periodic anchor.
    from xml.sax.saxutils import escape

    return (f'<rdf:Description xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" rdf:about="" '
            f'xmlns:qmschain="{XMP_NS}"><qmschain:seq>{head.seq}</qmschain:seq>'
            f"<qmschain:hash>{head.hash}</qmschain:hash><qmschain:at>{escape(head.at)}</qmschain:at>"
            f"<qmschain:key>{head.key}</qmschain:key><qmschain:head>{escape(head.text())}</qmschain:head>"
            f"</rdf:Description>").encode("utf-8")


__all__ = ["ChainHead", "WorkspaceKey", "anchor_path", "check_signature", "current_head", "extension_problems",
           "head_of", "keep_periodic_anchor", "last_anchor", "load_head", "load_key", "save_anchor",
           "signed_head_problems"]
