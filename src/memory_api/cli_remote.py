"""CLI commands that talk to a running server through the SDK: index, status, query, state,
stats, jobs, cancel, tenant delete. Results go to stdout, progress and errors to stderr."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from rich.markup import escape

from memory_api.cli_state import add_state_actions, run_state
from memory_api.client import MemoryAPIClientError, MemoryClient
from memory_api.client._base import DEFAULT_URL
from memory_api.indexing.schemas import IndexTaskStatusResponse
from memory_api.jobs.status import JobStatus

Handler = Callable[[argparse.Namespace, MemoryClient], int]


def _print_json(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _json_object(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise MemoryAPIClientError(f"invalid JSON for {what}: {error}") from None
    if not isinstance(value, dict):
        raise MemoryAPIClientError(f"{what} must be a JSON object")
    return value


def _print_status(status: IndexTaskStatusResponse) -> None:
    """The job's state, then every file it could not index with the reason."""
    print(f"{status.status}: {status.details}")
    result = status.result or {}
    listed = result.get("failed_files") or []
    for item in listed:
        print(f"  failed {item.get('path')}: {item.get('reason')}")
    unlisted = int(result.get("failed") or 0) - len(listed)
    if unlisted > 0:
        print(f"  ... and {_plural(unlisted, 'more failed file')}")


def _index(args: argparse.Namespace, client: MemoryClient) -> int:
    extensions = args.ext or None
    # The server cannot know this shell's working directory: send an absolute path.
    directory = os.path.abspath(os.path.expanduser(args.directory)) if args.directory else None
    if not args.wait:
        started = client.index(directory, extensions, args.force, args.collection)
        print(f"job {started.task_id} started; follow it with: memory-api status {started.task_id}")
        return 0
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("[bold]indexing"),
        BarColumn(),
        TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.description}"),
        console=console,
        transient=True,
        disable=not console.is_terminal,  # no bar (and no stray newline) in a pipe or a log
    ) as progress:
        bar = progress.add_task("waiting", total=100)

        def show(status: IndexTaskStatusResponse) -> None:
            progress.update(bar, completed=status.progress, description=escape(status.details))

        final = client.index_and_wait(
            directory, extensions, args.force, args.collection, poll_interval=0.3, on_progress=show
        )
    _print_status(final)
    return 0 if final.status == JobStatus.COMPLETED else 1


def _status(args: argparse.Namespace, client: MemoryClient) -> int:
    status = client.index_status(args.task_id)
    if args.json:
        _print_json(status)
    else:
        print(f"{status.task_id} {status.progress}%")
        _print_status(status)
    return 0


def _query(args: argparse.Namespace, client: MemoryClient) -> int:
    where = _json_object(args.filter, "--filter") if args.filter is not None else None
    answer = client.query(
        args.text, top_k=args.k, filter_metadata=where, mode=args.mode, collection=args.collection
    )
    if args.json:
        _print_json(answer)
        return 0
    from rich.console import Console
    from rich.table import Table

    title = f"{_plural(len(answer.results), 'result')} in {answer.execution_time_ms:.1f} ms"
    table = Table(title=title)
    for column in ("score", "source", "chunk", "content"):
        table.add_column(column, overflow="fold")
    for result in answer.results:
        excerpt = " ".join(result.content.split())[:200]
        source = str(result.metadata.get("relative_path") or result.metadata.get("source", ""))
        chunk = str(result.metadata.get("chunk_index", ""))
        table.add_row(f"{result.similarity_score:.3f}", escape(source), chunk, escape(excerpt))
    Console().print(table)
    return 0


def _state(args: argparse.Namespace, client: MemoryClient) -> int:
    return run_state(args, client, _print_json)


def _stats(args: argparse.Namespace, client: MemoryClient) -> int:
    stats = client.stats(args.collection)
    if args.json:
        _print_json(stats)
        return 0
    print(
        f"collection   {stats.collection} ({stats.embedding_model}, {stats.embedding_dimension} d)"
    )
    print(f"documents    {stats.documents}")
    print(f"chunks       {stats.chunks} (vectors: {stats.vectors})")
    print(f"last indexed {stats.last_indexed_at or 'never'}")
    for extension, counts in stats.by_extension.items():
        documents, chunks = _plural(counts.documents, "document"), _plural(counts.chunks, "chunk")
        print(f"  {extension:<10} {documents}, {chunks}")
    print("jobs         " + ", ".join(f"{k} {v}" for k, v in stats.jobs.items()))
    return 0


def _jobs(args: argparse.Namespace, client: MemoryClient) -> int:
    jobs = client.list_jobs(args.status, args.limit)
    if args.json:
        _print_json(jobs)
        return 0
    if not jobs:
        print("no indexing jobs" + (f" with status {args.status}" if args.status else ""))
    for job in jobs:
        created = job.created_at.strftime("%Y-%m-%d %H:%M:%S")
        cancel = " (cancel requested)" if job.cancel_requested else ""
        print(
            f"{job.task_id}  {job.status:<11} {job.progress:>3}%  {created}  {job.directory}"
            f"  {job.details}{cancel}"
        )
    return 0


def _cancel(args: argparse.Namespace, client: MemoryClient) -> int:
    job = client.cancel_job(args.task_id)
    if job.status == JobStatus.IN_PROGRESS:
        print(f"job {job.task_id}: cancel requested; it stops at its next step")
    else:
        print(f"job {job.task_id}: cancelled")
    return 0


def _tenant(args: argparse.Namespace, client: MemoryClient) -> int:
    erased = client.delete_tenant(args.confirm)
    if args.json:
        _print_json(erased)
        return 0
    counts = ", ".join(f"{kind} {count}" for kind, count in erased.deleted.items())
    print(f"tenant {erased.tenant} erased: {counts}")
    return 0


def _add_tenant_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    remote: argparse.ArgumentParser,
    remote_again: argparse.ArgumentParser,
) -> None:
    tenant = commands.add_parser("tenant", parents=[remote], help="the API key's tenant")
    actions = tenant.add_subparsers(dest="action", required=True, metavar="ACTION")
    delete = actions.add_parser(
        "delete",
        parents=[remote_again],
        help="erase everything the tenant owns: sessions, collections, documents, vectors, jobs",
    )
    delete.add_argument(
        "--confirm", required=True, metavar="NAME", help="the tenant's name, repeated"
    )
    delete.add_argument("--json", action="store_true", help="print the counts as JSON")
    tenant.set_defaults(handler=_run(_tenant))


def _add_job_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    remote: argparse.ArgumentParser,
) -> None:
    jobs = commands.add_parser("jobs", parents=[remote], help="recent indexing jobs, newest first")
    jobs.add_argument(
        "--status",
        choices=[status.value for status in JobStatus],
        help="only jobs with this status (a cancelled job is failed)",
    )
    jobs.add_argument("--limit", type=int, default=20, help="at most this many jobs (1-1000)")
    jobs.add_argument("--json", action="store_true", help="print JSON")
    jobs.set_defaults(handler=_run(_jobs))

    cancel = commands.add_parser(
        "cancel", parents=[remote], help="cancel a pending or running indexing job"
    )
    cancel.add_argument("task_id", help="the job's task id (see `memory-api jobs`)")
    cancel.set_defaults(handler=_run(_cancel))


def _run(handler: Handler) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        try:
            with MemoryClient(args.url, api_key=args.api_key) as client:
                return handler(args, client)
        except MemoryAPIClientError as error:
            print(f"memory-api: {error}", file=sys.stderr)
            return 1

    return run


def _remote_options(*, suppress_defaults: bool = False) -> argparse.ArgumentParser:
    url = os.environ.get("MEMORY_API_URL", DEFAULT_URL)
    api_key = os.environ.get("MEMORY_API_KEY")
    if suppress_defaults:
        url = api_key = argparse.SUPPRESS
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--url", default=url, help=f"server URL (default: MEMORY_API_URL or {DEFAULT_URL})"
    )
    options.add_argument("--api-key", default=api_key, help="API key (default: MEMORY_API_KEY)")
    return options


def add_remote_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register index, query, state, stats, jobs, cancel and tenant on the main parser."""
    remote = _remote_options()
    # `state` actions accept the options too (before or after the action); SUPPRESS keeps an
    # action's parser from overwriting a value given before the action with its default.
    remote_again = _remote_options(suppress_defaults=True)

    index = commands.add_parser("index", parents=[remote], help="index a directory on the server")
    index.add_argument(
        "directory",
        nargs="?",
        help="directory to index, inside the server's MEMORY_API_INDEX_ROOTS; a relative path is "
        "taken from this shell's working directory (default: the server's first index root)",
    )
    index.add_argument(
        "--ext", action="append", help="file extension to index, e.g. .md (repeatable)"
    )
    index.add_argument("--force", action="store_true", help="re-embed unchanged files too")
    index.add_argument(
        "--collection", help="collection to index into (default: the default collection)"
    )
    index.add_argument("--wait", action="store_true", help="show progress until the job ends")
    index.set_defaults(handler=_run(_index))

    status = commands.add_parser("status", parents=[remote], help="state of an indexing job")
    status.add_argument("task_id", help="the task id that `index` printed")
    status.add_argument("--json", action="store_true", help="print the status as JSON")
    status.set_defaults(handler=_run(_status))

    query = commands.add_parser("query", parents=[remote], help="search long-term memory")
    query.add_argument("text", help="what to search for")
    query.add_argument("-k", type=int, default=5, help="number of results (1-20, default 5)")
    query.add_argument(
        "--filter",
        metavar="JSON",
        help='metadata filter (the API\'s filter_metadata), e.g. \'{"extension": ".md"}\'',
    )
    query.add_argument("--json", action="store_true", help="print the answer as JSON")
    query.add_argument(
        "--mode",
        choices=("hybrid", "semantic", "lexical"),
        help="hybrid (the server's default), semantic or lexical",
    )
    query.add_argument("--collection", help="the collection to search (default: the default)")
    query.set_defaults(handler=_run(_query))

    state = commands.add_parser("state", parents=[remote], help="session state")
    actions = state.add_subparsers(dest="action", required=True, metavar="ACTION")
    add_state_actions(actions, remote_again)
    state.set_defaults(handler=_run(_state))

    stats = commands.add_parser("stats", parents=[remote], help="collection statistics")
    stats.add_argument("--json", action="store_true", help="print the statistics as JSON")
    stats.add_argument("--collection", help="the collection (default: the default)")
    stats.set_defaults(handler=_run(_stats))
    _add_job_commands(commands, remote)
    from memory_api.cli_documents import add_document_commands

    add_document_commands(commands, remote, remote_again, _run)
    _add_tenant_commands(commands, remote, remote_again)
