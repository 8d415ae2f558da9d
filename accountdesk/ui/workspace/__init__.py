"""The client workspace: one tab per area of a client (docs/architecture.md, "Domain model"), the dialogs it opens."""

from .conflicts_dialog import ConflictsDialog
from .field_history_dialog import FieldHistoryDialog
from .handover_dialog import HandoverDialog
from .workspace import ClientWorkspace

__all__ = ["ClientWorkspace", "ConflictsDialog", "FieldHistoryDialog", "HandoverDialog"]
