"""Uploaded file -> plain text, with the type checked by content, never by name.

Accepted: PDF (``%PDF-`` magic and pypdf parses it), DOCX (a ZIP whose ``word/document.xml``
python-docx opens) and plain text (UTF-8, or UTF-16 with a BOM, no NUL bytes). At most
:data:`MAX_BYTES`. The name's extension must agree with the content (``resume.pdf`` that is a
text file is refused), so a user learns that they picked the wrong file.

Every refusal is an :class:`UploadError` with an HTTP status and a stable code:

=====================  ======  ==============================================================
code                   status  when
=====================  ======  ==============================================================
``file_too_large``     413     more than 5 MB
``empty_file``         400     zero bytes
``unsupported_type``   415     content is not PDF, DOCX or text (or the extension is none of them)
``type_mismatch``      415     content and extension disagree (``.pdf`` holding a DOCX, ...)
``unreadable_file``    422     the magic bytes match but the parser fails (corrupt, encrypted)
``no_text``            422     parsed, but fewer than :data:`MIN_TEXT_CHARS` characters of text
=====================  ======  ==============================================================
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

MAX_BYTES = 5 * 1024 * 1024
MIN_TEXT_CHARS = 40
MAX_TEXT_CHARS = 60_000           # what parsing and storage keep of a long document
EXTENSIONS = {"pdf": "pdf", "docx": "docx", "txt": "text", "text": "text", "md": "text"}


class UploadError(Exception):
    """A refused upload: ``status`` (HTTP), ``code`` (stable), ``message`` (English)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class Extracted:
    """``kind``: "pdf" | "docx" | "text"; ``text``: the document's text (lines kept)."""

    kind: str
    text: str


def sniff(data: bytes) -> str | None:
    """The content type by magic bytes: "pdf", "docx", "text" or None."""
    if data[:5] == b"%PDF-":
        return "pdf"
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return "docx" if "word/document.xml" in z.namelist() else None
        except zipfile.BadZipFile:
            return None
    return "text" if _decode_text(data) is not None else None


def _decode_text(data: bytes) -> str | None:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return None
    else:
        if b"\x00" in data:
            return None
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            return None
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\n\r\f")
    return None if bad > max(2, len(text) // 100) else text


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise UploadError(422, "unreadable_file", "the PDF is encrypted; upload an unprotected copy")
        return "\n".join((page.extract_text() or "") for page in reader.pages)
    except UploadError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError, RecursionError) as e:
        raise UploadError(422, "unreadable_file", f"the PDF could not be read ({type(e).__name__})") from e


def _docx_text(data: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        doc = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile, OSError) as e:
        raise UploadError(422, "unreadable_file", f"the DOCX could not be read ({type(e).__name__})") from e
    lines = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            lines.append(" | ".join(c.text.strip() for c in row.cells if c.text.strip()))
    return "\n".join(lines)


def _clean(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()[:MAX_TEXT_CHARS]


def extract(data: bytes, filename: str) -> Extracted:
    """Check ``data`` against ``filename``'s extension and return its text.

    Raises:
        UploadError: see the module docstring for the codes.
    """
    if len(data) > MAX_BYTES:
        raise UploadError(413, "file_too_large", f"the file is over {MAX_BYTES // (1024 * 1024)} MB")
    if not data:
        raise UploadError(400, "empty_file", "the file is empty")
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claimed = EXTENSIONS.get(ext) if ext else "text"
    if claimed is None:
        raise UploadError(415, "unsupported_type", "upload a PDF, DOCX or plain-text (.txt, .md) file")
    actual = sniff(data)
    if actual is None:
        raise UploadError(415, "unsupported_type" if claimed == "text" else "type_mismatch",
                          f"the file is not a {claimed.upper() if claimed != 'text' else 'text'} file"
                          " (checked by content)")
    if actual != claimed:
        raise UploadError(415, "type_mismatch", f"the name says {claimed} but the content is {actual}")
    raw = _pdf_text(data) if actual == "pdf" else _docx_text(data) if actual == "docx" else _decode_text(data)
    text = _clean(raw or "")
    if len(re.sub(r"\s", "", text)) < MIN_TEXT_CHARS:
        what = "the PDF has no text layer (a scan?)" if actual == "pdf" else "the file has almost no text"
        raise UploadError(422, "no_text", f"{what}; upload a document with selectable text")
    return Extracted(actual, text)
