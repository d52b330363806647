"""The ingested articles: list, read, upload, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from api.deps import KB, reader, writer
from api.errors import responses
from api.schemas import Deleted, DocumentOut, DocumentSummary, UploadOut, UrlIn

router = APIRouter(prefix="/documents", tags=["documents"])

MAX_FILES = 100
_READ_BLOCK = 1 << 16


@router.get("", response_model=list[DocumentSummary], dependencies=[Depends(reader)],
            responses=responses(401))
async def list_documents(kb: KB) -> object:
    """Every ingested source with its title, publication date, outlet and chunk count."""
    records = await run_in_threadpool(kb.documents)
    return [record.summary() for record in records]


@router.get("/{source:path}", response_model=DocumentOut, dependencies=[Depends(reader)],
            responses=responses(401, 404))
async def get_document(source: str, kb: KB) -> object:
    """One source's metadata and its cleaned text (title, date and outlet lines removed,
    share widgets, link lists and copyright footers dropped)."""
    document = await run_in_threadpool(kb.document, source)
    return document.as_dict()


@router.post("", response_model=UploadOut, dependencies=[Depends(writer)],
             responses={**responses(401, 413, 422, 503),
                        207: {"model": UploadOut,
                              "description": "Some files were ingested, some failed"}})
async def upload_documents(files: Annotated[list[UploadFile], File(
                               description="One or more .txt, .md or .html articles.")],
        kb: KB) -> object:
    """Upload articles and ingest them as `rag ingest` does.

    File names are made safe (no folders, ASCII letters, digits, `._-`) and become
    the source names; uploading a name again replaces that source. Each file
    must be under RAG_MAX_FILE_BYTES (else 413, and nothing is stored) and must
    parse as an article. If no file could be ingested the answer is 422 with
    the reasons; if only some could, 207 with the failures listed.
    """
    if len(files) > MAX_FILES:
        raise HTTPException(413, f"{len(files)} files in one upload; the limit is {MAX_FILES}")
    limit = kb.settings.ingest.max_file_bytes
    received = []
    for upload in files:
        raw = await _read_limited(upload, limit)
        received.append((upload.filename or "upload.txt", raw))
    report, sources = await run_in_threadpool(kb.add_files, received)
    body = {**report.as_dict(), "sources": sources}
    if report.failed:
        ingested = report.added + report.updated + report.unchanged
        if not ingested:
            reasons = "; ".join(f"{f['path']}: {f['error']}" for f in report.failed)
            raise HTTPException(422, f"nothing ingested: {reasons}")
        return JSONResponse(body, status_code=207)
    return body


@router.post("/url", response_model=UploadOut, dependencies=[Depends(writer)],
             responses=responses(401, 403, 422, 503))
async def add_url(body: UrlIn, kb: KB) -> object:
    """Fetch a news page, keep its article as a text snapshot and ingest it.

    The source is named after the address (`host/path.txt`); fetching the same
    address again replaces its chunks if the article changed. Addresses in
    private, loopback and link-local ranges are refused (403) unless the server
    runs with RAG_FETCH_ALLOW_PRIVATE=true; a page that cannot be fetched (status,
    type, size, timeout, redirects) or holds no article is a 422 with the reason.
    """
    page = await run_in_threadpool(kb.fetch_snapshot, body.url)
    report, sources = await run_in_threadpool(kb.add_snapshots, [page])
    if report.failed:
        raise HTTPException(422, "; ".join(f"{f['path']}: {f['error']}" for f in report.failed))
    return {**report.as_dict(), "sources": sources}


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    data = bytearray()
    while block := await upload.read(_READ_BLOCK):
        data += block
        if len(data) > limit:
            raise HTTPException(413, f"{upload.filename}: over the {limit:,}-byte limit "
                                     "(RAG_MAX_FILE_BYTES); nothing was stored")
    return bytes(data)


@router.delete("/{source:path}", response_model=Deleted, dependencies=[Depends(writer)],
               responses=responses(401, 404))
async def delete_document(source: str, kb: KB) -> object:
    """Remove a source and its chunks (and its file, if it was uploaded here)."""
    record = await run_in_threadpool(kb.delete, source)
    return {"deleted": record.source, "chunks": record.chunks}
