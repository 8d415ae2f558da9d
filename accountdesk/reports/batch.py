"""Render dossiers, one client or a whole selection, into one PDF — the entry points the CLI and the
desktop app call (from a worker thread: these functions block).

A large batch is split into contiguous chunks laid out in parallel processes (ReportLab is pure
Python, so threads would not help), then the chunk PDFs are concatenated in order with pypdf
(keeping the bookmarks). Each client starts on a new page and its pages are numbered on their
own ("n / N"), so chunking changes nothing in the printed result.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from reportlab.platypus import Flowable, PageBreak

from ..errors import AccountDeskError
from ..i18n import _, current_language, set_language
from ..services.context import AppContext
from ..services.dossier import ClientDossier, load_dossiers
from .document import CancelFn, ProgressFn, ReportMeta, build_pdf
from .dossier import dossier_story, marking
from .styles import Story, fmt_datetime

#: Batches at least this large are laid out in several processes.
PARALLEL_MIN = 24
#: Chunks per worker process (more chunks: finer progress and a quicker cancel).
CHUNKS_PER_WORKER = 4


def auto_workers(limit: int = 2) -> int:
    """Processes for a large batch: the idle cores, at most ``limit``. Splitting costs about a
    second per process to start and a few seconds to concatenate 1,000 pages, which pays only
    when the cores are free (on a loaded machine one process is faster)."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except (AttributeError, OSError):  # Windows: no load average
        busy = 0.0
    return max(1, min(limit, int(cores - busy + 0.5)))


class RenderCancelled(AccountDeskError):
    """The user cancelled a batch; no file was written."""


@dataclass(frozen=True)
class RenderResult:
    path: Path
    pages: int
    documents: int


def meta_for(
    kind: str, *, generated_at: dt.datetime, generated_by: str, title: str = "", audience: str = "internal"
) -> ReportMeta:
    return ReportMeta(
        kind=kind,
        marking=marking(audience),
        generated=_("Generated {when} by {who}").format(when=fmt_datetime(generated_at), who=generated_by),
        title=title or kind,
        author=generated_by,
    )


class _Progress(Flowable):  # type: ignore[misc]  # ReportLab has no type stubs: Any
    """Reports progress (and honours a cancel request) as the layout reaches each client."""

    def __init__(self, done: int, total: int, progress: ProgressFn | None, cancel: CancelFn | None):
        super().__init__()
        self.done, self.total, self.progress, self.cancel = done, total, progress, cancel

    def wrap(self, aw: float, ah: float) -> tuple[float, float]:
        if self.cancel is not None and self.cancel():
            raise RenderCancelled(_("Printing was cancelled."))
        return 0, 0

    def draw(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)


def _story(
    dossiers: Sequence[ClientDossier],
    *,
    offset: int = 0,
    total: int | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Story:
    story: Story = []
    total = total if total is not None else len(dossiers)
    for i, d in enumerate(dossiers):
        if i:
            story.append(PageBreak())
        story.append(_Progress(offset + i, total, progress, cancel))
        story += dossier_story(d)
    if dossiers:
        story.append(_Progress(offset + len(dossiers), total, progress, None))
    return story


def _meta(dossiers: Sequence[ClientDossier]) -> ReportMeta:
    first = dossiers[0]
    title = _("Client dossier") + (f" — {first.profile.name}" if len(dossiers) == 1 else "")
    return meta_for(
        _("Client dossier"),
        generated_at=first.generated_at,
        generated_by=first.generated_by,
        title=title,
        audience=first.audience,
    )


def _start_method() -> str:
    """``fork`` (instant, modules and fonts already loaded) from a single-threaded process on
    Linux, such as the command line; ``spawn`` anywhere else — never fork a GUI process."""
    if sys.platform == "linux" and threading.active_count() == 1 and "PySide6" not in sys.modules:
        return "fork"
    return "spawn"


def _render_chunk(dossiers: list[ClientDossier], lang: str, out_path: str) -> int:
    """Worker: lay out one chunk of dossiers into ``out_path``; returns its page count."""
    set_language(lang)
    return build_pdf(out_path, _story(dossiers), _meta(dossiers))


def render_dossier_data(
    dossiers: Sequence[ClientDossier],
    out_path: Path | str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    workers: int | None = None,
) -> RenderResult:
    """Lay out already loaded dossiers into one PDF (``workers``: processes; default automatic)."""
    if not dossiers:
        raise AccountDeskError(_("Choose at least one client."))
    out_path = Path(out_path)
    n = len(dossiers)
    if workers is None:
        workers = auto_workers() if n >= PARALLEL_MIN else 1
    if workers <= 1 or n < 2:
        pages = build_pdf(out_path, _story(dossiers, progress=progress, cancel=cancel), _meta(dossiers))
        return RenderResult(out_path, pages, n)
    return _render_parallel(list(dossiers), out_path, workers, progress, cancel)


def _render_parallel(
    dossiers: list[ClientDossier],
    out_path: Path,
    workers: int,
    progress: ProgressFn | None,
    cancel: CancelFn | None,
) -> RenderResult:
    from pypdf import PdfWriter

    n = len(dossiers)
    k = min(n, workers * CHUNKS_PER_WORKER)
    bounds = [round(i * n / k) for i in range(k + 1)]
    chunks = [dossiers[bounds[i] : bounds[i + 1]] for i in range(k)]
    lang = current_language()
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".accountdesk-print-", dir=out_path.parent) as tmp:
        paths = [os.path.join(tmp, f"part{i:03d}.pdf") for i in range(k)]
        pages = 0
        done = 0
        if progress:
            progress(0, n)
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context(_start_method())
        ) as pool:
            futures = {
                pool.submit(_render_chunk, chunk, lang, path): len(chunk)
                for chunk, path in zip(chunks, paths, strict=True)
            }
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                for f in finished:
                    pages += f.result()
                    done += futures[f]
                    if progress:
                        progress(done, n)
                if cancel is not None and cancel():
                    for f in pending:
                        f.cancel()
                    pool.shutdown(wait=True, cancel_futures=True)
                    raise RenderCancelled(_("Printing was cancelled."))
        writer = PdfWriter()
        for path in paths:
            writer.append(path)
        writer.add_metadata(
            {"/Title": _meta(dossiers).title, "/Creator": "AccountDesk", "/Author": dossiers[0].generated_by}
        )
        fd, tmp_out = tempfile.mkstemp(prefix=".~", suffix=".pdf", dir=out_path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                writer.write(fh)
            os.replace(tmp_out, out_path)
        finally:
            if os.path.exists(tmp_out):
                os.unlink(tmp_out)
    return RenderResult(out_path, pages, n)


def render_dossiers(
    ctx: AppContext,
    client_ids: Sequence[str],
    out_path: Path | str,
    *,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    workers: int | None = None,
    visit_photos: bool = False,
    audience: str = "internal",
) -> RenderResult:
    """Print the dossiers of these clients into one PDF, each client starting on a new page
    (``visit_photos``: each visit report with its photos, scaled; ``audience`` "external": a copy
    without personal data of contacts and without confidential figures, see ``load_dossiers``).

    ``progress(done, total)`` is called as clients are laid out; ``cancel()`` returning true stops
    the batch (raising :class:`RenderCancelled`, no file written). Blocks: call it off the GUI thread.
    """
    if not client_ids:
        raise AccountDeskError(_("Choose at least one client."))
    dossiers = load_dossiers(ctx, client_ids, visit_photos=visit_photos, audience=audience)
    return render_dossier_data(dossiers, out_path, progress=progress, cancel=cancel, workers=workers)
