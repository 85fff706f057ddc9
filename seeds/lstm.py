"""An LSTM sequence tagger: a single-layer LSTM over the sequence, then a linear tag
projection and log-softmax per step. The recurrence is unrolled into gate ops
(as torch's LSTM computes it: i, f, g, o gates from one input and one hidden matmul)."""
from __future__ import annotations

from fuzzer.ir import Graph
from seeds._build import SeedBuilder

SEQ, FEAT, HIDDEN, TAGS = 4, 6, 8, 5


def tagger() -> Graph:
    s = SeedBuilder(401)
    x = s.input(1, SEQ, FEAT)
    w_ih, w_hh = s.weight(4 * HIDDEN, FEAT), s.weight(4 * HIDDEN, HIDDEN)
    b_ih, b_hh = s.weight(4 * HIDDEN), s.weight(4 * HIDDEN)
    h = c = None
    steps = []
    for t in range(SEQ):
        xt = s.op("slice", x, narrow=[1, t, 1])                # (1, 1, FEAT)
        xt = s.op("reshape", xt, shape=[1, FEAT])
        gates = s.op("linear", xt, w_ih, b_ih)                   # (1, 4H)
        if h is not None:
            gates = s.op("add", gates, s.op("linear", h, w_hh, b_hh))
        else:
            gates = s.op("add", gates, b_hh)  # h0 = 0: only the hidden bias remains
        i, f, g, o = s.op_multi("chunk", gates, chunks=4, dim=-1, pieces=4)
        i, f, o = s.op("sigmoid", i), s.op("sigmoid", f), s.op("sigmoid", o)
        g = s.op("tanh", g)
        ig = s.op("mul", i, g)
        c = ig if c is None else s.op("add", s.op("mul", f, c), ig)
        h = s.op("mul", o, s.op("tanh", c))
        steps.append(s.op("unsqueeze", h, dim=1))               # (1, 1, H)
    seq = s.op("cat", *steps, dim=1)                             # (1, SEQ, H)
    logits = s.op("linear", seq, s.weight(TAGS, HIDDEN), s.weight(TAGS))
    return s.finish(s.op("log_softmax", logits, dim=-1))
