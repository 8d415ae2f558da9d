"""Run one large pull of a profile in its own process and die (no clean-up at all) right after
its first page was written: the search index is left suspended in the file."""

import os
import sys

from accountdesk.services.context import open_profile
from accountdesk.sync.client import SyncEngine
from accountdesk.sync.credentials import Credentials

data_dir, url, user, password = sys.argv[1:5]
ctx = open_profile(data_dir)
engine = SyncEngine(
    ctx, url, Credentials(url, user, password=password, use_keyring=False), page_size=10, bulk_rows=1
)


def progress(phase, done, _total):
    if phase == "pull" and done:
        print("first page written", flush=True)
        os._exit(9)  # a crash: no finally, no rollback of what was committed


engine.sync(progress=progress)
print("finished", flush=True)
