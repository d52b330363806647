"""Feeds the service follows: list, add, remove, poll now."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException
from starlette.concurrency import run_in_threadpool

from api.deps import KB, reader, writer
from api.errors import responses
from api.schemas import FeedIn, FeedOut, PollOut
from rag.errors import ConfigError
from rag.feeds import parse_every

router = APIRouter(prefix="/feeds", tags=["feeds"])


@router.get("", response_model=list[FeedOut], dependencies=[Depends(reader)],
            responses=responses(401))
async def list_feeds(kb: KB) -> object:
    """Each feed with its interval, last poll, next poll, counts and last error in words."""
    feeds = await run_in_threadpool(kb.feeds.all)
    return [feed.as_dict() for feed in feeds]


@router.post("", response_model=FeedOut, dependencies=[Depends(writer)],
             responses=responses(401, 403, 422))
async def add_feed(body: FeedIn, kb: KB) -> object:
    """Follow an RSS or Atom feed; `rag serve` polls it when due (`every`: 15m, 2h, 1d).
    Adding a feed already followed changes its interval."""
    try:
        every = parse_every(body.every) if body.every else None
    except ConfigError as exc:
        raise HTTPException(422, str(exc)) from None
    feed = await run_in_threadpool(kb.add_feed, body.url, every)
    return feed.as_dict()


@router.delete("/{feed}", response_model=FeedOut, dependencies=[Depends(writer)],
               responses=responses(401, 404))
async def remove_feed(feed: str, kb: KB) -> object:
    """Stop following a feed (by its number); the articles it brought stay."""
    removed = await run_in_threadpool(kb.feeds.remove, feed)
    return removed.as_dict()


@router.post("/poll", response_model=list[PollOut], dependencies=[Depends(writer)],
             responses=responses(401))
async def poll_feeds(kb: KB, due: bool = False) -> object:
    """Poll every feed now (or only those due) and ingest new and changed entries. One
    failing feed is reported in its own result; the others are polled."""
    results = await run_in_threadpool(kb.poll_feeds, due)
    return [result.as_dict() for result in results]
