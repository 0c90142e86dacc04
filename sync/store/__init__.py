"""Local SQLite stores: safe opening and migrations, the outbox (up) and the inbox (down)."""

from sync.store.database import Store, Transaction, store_error
from sync.store.inbox import Inbox
from sync.store.outbox import AckRecord, DeadLetter, Outbox
from sync.store.schema import Migration

__all__ = ["AckRecord", "DeadLetter", "Inbox", "Migration", "Outbox", "Store", "Transaction", "store_error"]
