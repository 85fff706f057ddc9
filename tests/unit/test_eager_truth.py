"""The float64 truth redraws inputs that take an op outside its domain."""
import numpy as np

from fuzzer.choices import NumpyChoices
from fuzzer.ir import DType, Graph, TensorType
from fuzzer.run.eager import reference


def test_an_integer_divisor_that_wraps_to_zero_is_redrawn_not_an_error():
    # fmod(x, x + 1) in uint8: x = 255 makes the divisor wrap to 0 (torch raises ZeroDivisionError)
    g = Graph()
    t = TensorType(DType.uint8, (4,))
    x = g.add_input(t)
    one = g.add_const(np.ones(4, dtype=np.uint8), DType.uint8)
    (d,) = g.add_node("add", [x, one], {}, [t]).outputs
    (y,) = g.add_node("fmod", [x, d], {}, [t]).outputs
    g.outputs = [y]
    given = {x.name: np.full(4, 255, dtype=np.uint8)}
    found = reference(g, NumpyChoices(0), given)
    assert found is not None
    ref, inputs = found
    assert (inputs[x.name] != 255).all()
    want = np.fmod(inputs[x.name].astype(np.int64), inputs[x.name].astype(np.int64) + 1)
    assert ref.truth[0].astype(np.int64).tolist() == want.tolist()
