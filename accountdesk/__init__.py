"""AccountDesk: an offline-first workstation for key-account managers."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("accountdesk")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

#: Version of the local data schema as seen by the sync protocol (bump with every migration
#: that changes a synced entity). The server accepts a range of these.
SCHEMA_VERSION = 1
#: Version of the wire protocol.
PROTOCOL_VERSION = 1
