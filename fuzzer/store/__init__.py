"""The campaign database."""
from fuzzer.store.db import DB_NAME, Store, case_seed

__all__ = ["DB_NAME", "Store", "case_seed"]
