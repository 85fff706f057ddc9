"""Fair sharing of campaign time between converters.

The dynamo exporter costs about 40 times what the TorchScript exporter does
per case, and OpenVINO's model compilation dwarfs ONNX Runtime's session
creation. Giving each plugin every case would let the slowest set the pace;
so each case goes only to the plugins that have used the least time so far
(within a quantum), and every plugin gets about the same share of wall time.
"""
from __future__ import annotations


class FairShare:
    def __init__(self, names: list[str], quantum: float = 1.0, warmup: int = 0) -> None:
        """warmup: how many first charges of each plugin count at most one quantum. Each
        worker's first call imports the plugin's framework (TensorFlow: ~30 s; dynamo:
        ~3 s); charged in full, that one-off cost would starve the plugin for minutes."""
        if not names:
            raise ValueError("no converters to share time between")
        self.spent = {n: 0.0 for n in names}
        self.quantum = quantum
        self.warmup = {n: warmup for n in names}

    def pick(self, at_least: int = 1, among=None) -> list[str]:
        """The plugins the next case should use: those within a quantum of the least used,
        topped up with the next least used to at least `at_least` of them.

        among: only these plugins may be picked (a swarm's, fuzzer.generate.swarm); None or
        empty for all. The least used of them is picked whatever the others have spent."""
        spent = {n: s for n, s in self.spent.items() if not among or n in among} or self.spent
        low = min(spent.values())
        chosen = [n for n, s in spent.items() if s <= low + self.quantum]
        if len(chosen) < at_least:
            rest = sorted((n for n in spent if n not in chosen), key=spent.__getitem__)
            chosen += rest[: at_least - len(chosen)]
        return [n for n in self.spent if n in chosen]  # keep the configured order

    def charge(self, name: str, seconds: float) -> None:
        if name in self.spent:
            if self.warmup[name] > 0:
                self.warmup[name] -= 1
                seconds = min(seconds, self.quantum)
            self.spent[name] += seconds
