"""Fair sharing of campaign time between converters.

The dynamo exporter costs about 40 times what the TorchScript exporter does
per case. Giving each exporter every case would let the slowest set the pace;
so each case goes only to the exporters that have used the least time so far
(within a quantum), and every exporter gets about the same share of wall time.
"""
from __future__ import annotations


class FairShare:
    def __init__(self, names: list[str], quantum: float = 1.0) -> None:
        if not names:
            raise ValueError("no converters to share time between")
        self.spent = {n: 0.0 for n in names}
        self.quantum = quantum

    def pick(self) -> list[str]:
        """The converters the next case should go through: never empty."""
        low = min(self.spent.values())
        return [n for n, s in self.spent.items() if s <= low + self.quantum]

    def charge(self, name: str, seconds: float) -> None:
        if name in self.spent:
            self.spent[name] += seconds
