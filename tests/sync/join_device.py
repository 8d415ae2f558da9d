"""Join a server with a whole profile in its own process (the join tests kill it half-way)."""

import sys

from accountdesk.services.context import open_profile
from accountdesk.sync.client import SyncEngine, push
from accountdesk.sync.credentials import Credentials

data_dir, url, user, password, batch_size, delay_after = sys.argv[1:7]
push.LARGE_PUSH = 500  # the join of a small ledger sets the outbox's indexes aside, as a large one does
ctx = open_profile(data_dir)
engine = SyncEngine(
    ctx,
    url,
    Credentials(url, user, password=password, use_keyring=False),
    batch_size=int(batch_size),
    include_demo_data=True,
)
engine._http.headers["X-Test-Delay-After-Ms"] = delay_after
print("starting", flush=True)
engine.sync()
print("finished", flush=True)
