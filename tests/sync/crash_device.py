"""Run one sync of a profile in its own process (the crash tests kill it while it waits)."""

import sys

from accountdesk.services.context import open_profile
from accountdesk.sync.client import SyncEngine
from accountdesk.sync.credentials import Credentials

data_dir, url, user, password, delay_after = sys.argv[1:6]
ctx = open_profile(data_dir)
engine = SyncEngine(ctx, url, Credentials(url, user, password=password, use_keyring=False))
engine._http.headers["X-Test-Delay-After-Ms"] = delay_after
print("starting", flush=True)
engine.sync()
print("finished", flush=True)
