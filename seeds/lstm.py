"""A BiLSTM sequence tagger: a bidirectional single-layer LSTM over the sequence
(batch first, with biases, zero initial state), then a linear tag projection and
log-softmax per step."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder

SEQ, FEAT, HIDDEN, TAGS = 5, 6, 5, 4


def tagger() -> Graph:
    s = SeedBuilder(401)
    x = s.input(1, SEQ, FEAT)
    weights = []
    for _direction in range(2):
        weights += [s.weight(4 * HIDDEN, FEAT), s.weight(4 * HIDDEN, HIDDEN),
                    s.weight(4 * HIDDEN), s.weight(4 * HIDDEN)]
    seq, _h, _c = s.op_multi("lstm", x, *weights, hidden=HIDDEN, num_layers=1, bidirectional=True,
                             has_biases=True, batch_first=True, h0=False)
    logits = s.op("linear", seq, s.weight(TAGS, 2 * HIDDEN), s.weight(TAGS))  # (1, SEQ, TAGS)
    return s.finish(s.op("log_softmax", logits, dim=-1))
