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


def test_a_tie_between_values_computed_alike_is_not_judged_even_when_no_input_moves_it():
    """Review 9's b1c233: two rows of x @ ones are equal, their means are equal in float64 however
    x moves (x is tiny next to the weights), but a kernel that sums one row in another order leaves
    them an ulp apart in float32, and an argmax after them may pick either. The index is not
    judged; the means themselves are."""
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2, 2)))
    ones = g.add_const(np.ones((2, 5), dtype=np.float32), DType.float32)
    bias = g.add_const(np.array([1.1, 1.8, 0.2, 0.1, -1.6], dtype=np.float32), DType.float32)
    (m,) = g.add_node("matmul", [x, ones], {}, [TensorType(DType.float32, (2, 5))]).outputs
    (s,) = g.add_node("add", [m, bias], {}, [TensorType(DType.float32, (2, 5))]).outputs
    (r,) = g.add_node("mean", [s], {"dim": 1, "keepdim": False}, [TensorType(DType.float32, (2,))]).outputs
    (i,) = g.add_node("argmax", [r], {"dim": 0, "keepdim": False}, [TensorType(DType.int64, ())]).outputs
    g.outputs = [r, i]
    given = {x.name: np.full((2, 2), 1.1754942e-38, dtype=np.float32)}
    ref, _ = reference(g, NumpyChoices(0), given, special=False)
    assert ref.truth[0][0] == ref.truth[0][1]
    assert ref.tolerance(0)[1].all()  # the means are judged
    assert not ref.tolerance(1)[1].any()  # which of the tied two is the largest is not
    # with inputs that set the rows apart, the index is judged
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)}, special=False)
    assert ref.tolerance(1)[1].all()


def test_whole_numbers_inside_the_graph_are_not_moved():
    """A Floor's result is exact on every runtime: a Cast to int after it stays judged."""
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (3,)))
    (f,) = g.add_node("floor", [x], {}, [TensorType(DType.float32, (3,))]).outputs
    (c,) = g.add_node("cast", [f], {"to": "int64"}, [TensorType(DType.int64, (3,))]).outputs
    g.outputs = [c]
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([2.5, -1.25, 7.75], dtype=np.float32)}, special=False)
    assert ref.tolerance(0)[1].all()


def test_two_copies_of_one_value_are_a_tie_the_spec_breaks_and_stay_judged():
    """argmax of cat([x, x]): every runtime copies exactly, and ArgMax takes the first of equal
    values, so the index is judged (maintainer review: copying ops are not nudged)."""
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (2,)))
    (c,) = g.add_node("cat", [x, x], {"dim": 0}, [TensorType(DType.float32, (4,))]).outputs
    (i,) = g.add_node("argmax", [c], {"dim": 0, "keepdim": False}, [TensorType(DType.int64, ())]).outputs
    g.outputs = [i]
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([0.3, 0.1], dtype=np.float32)}, special=False)
    assert ref.tolerance(0)[1].all()


def test_a_deviation_of_equal_values_allows_the_rounding_of_its_own_mean():
    """camp40's 0b3781: the standard deviation of three equal values is 0, but a float16 kernel
    whose mean is an ulp off returns that ulp (x - mean does not cancel). The tolerance allows
    for the op's own rounding of its operands; a result many ulps off is still wrong."""
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (3,)))
    floor = g.add_const(np.array(-1.8455979, dtype=np.float32), DType.float32)
    (m,) = g.add_node("minimum", [x, floor], {}, [TensorType(DType.float32, (3,))]).outputs
    (s,) = g.add_node("std", [m], {"dim": 0, "correction": 0}, [TensorType(DType.float32, ())]).outputs
    g.outputs = [s]
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([-0.38, -0.29, -0.97], dtype=np.float32)}, special=False)
    assert ref.truth[0] == 0.0
    tol, mask = ref.tolerance(0, precision="float16")
    assert mask.all()
    one_ulp = float(np.spacing(np.float16(1.8455979)))
    assert 1.2 * one_ulp <= tol <= 10 * one_ulp  # an ulp of the mean and a little: not a free pass
    # in float32 the same case allows only float32's rounding
    assert ref.tolerance(0)[0] < 1e-5


def test_a_copy_of_one_value_subtracted_from_it_stays_exact():
    """x - x reads its one operand once: the op's moved operand is the same on both sides, so no
    rounding is allowed where none can happen."""
    g = Graph()
    x = g.add_input(TensorType(DType.float32, (3,)))
    (d,) = g.add_node("sub", [x, x], {}, [TensorType(DType.float32, (3,))]).outputs
    g.outputs = [d]
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([1.5, -2.0, 3.25], dtype=np.float32)}, special=False)
    assert (ref.inner_jump[0] == 0).all()


def test_exact_copies_stay_exact_through_an_op_that_rounds_once():
    """The maintainer review of the rounding term: relu(x) - x is exactly 0 on every runtime for
    x > 0, so the sign of it is judged, and its tolerance allows no rounding a Sub cannot make.
    Only an op that rounds in several steps (a mean, a matmul) has its operands nudged."""
    from fuzzer.materialize.exactness import moves_operands, moves_result
    from fuzzer.ops import get_spec

    g = Graph()
    t = TensorType(DType.float32, (3,))
    x = g.add_input(t)
    (r,) = g.add_node("relu", [x], {}, [t]).outputs
    (d,) = g.add_node("sub", [r, x], {}, [t]).outputs
    (s,) = g.add_node("sign", [d], {}, [t]).outputs
    g.outputs = [d, s]
    ref, _ = reference(g, NumpyChoices(0), {x.name: np.array([1.9, 0.5, 3.25], dtype=np.float32)}, special=False)
    assert ref.tolerance(1)[1].all()  # the sign is judged
    assert (ref.inner_jump[0] == 0).all()  # and the difference allows nothing for rounding
    assert not moves_operands(get_spec("sub"), g.node(d.node_id)) and moves_result(get_spec("sub"))
    assert not moves_result(get_spec("relu"))


def test_a_step_within_float16_rounding_is_not_judged_on_a_path_that_lowers_to_float16():
    """Review 26's two false alarms: a QuantizeLinear's input 3.6e-4 (relative) from its rounding
    tie in the float32 truth sits past it once the float16 converter rounds the model, and the
    float16 model's one-step-off result was filed. Here round(3.4993) is 3, and the float16 model
    rounds 3.4993 to 3.5, then to 4: an artefact of the precision the path chose, not judged
    there; the same value on a float32 path still is."""
    import pickle

    from oracles import Kind, judge_outputs

    g = Graph()
    t = TensorType(DType.float32, (2,))
    x = g.add_input(t)
    (y,) = g.add_node("round", [x], {}, [t]).outputs
    g.outputs = [y]
    ref, inputs = reference(g, NumpyChoices(0), {x.name: np.array([3.4993, 1.25], dtype=np.float32)}, special=False)
    assert inputs[x.name].tolist() == np.array([3.4993, 1.25], dtype=np.float32).tolist()
    moved = pickle.loads(pickle.dumps(ref))  # before any judging fills its caches
    as_float16 = [np.array([4.0, 1.0], dtype=np.float32)]
    assert judge_outputs(ref, as_float16, "p>float16", "rt", precision="float16").kind is Kind.PASS
    assert judge_outputs(ref, as_float16, "p", "rt").kind is Kind.VALUE_MISMATCH
    # a value far from any tie is judged at float16 as before
    assert judge_outputs(ref, [np.array([3.0, 2.0], dtype=np.float32)], "p>float16", "rt", precision="float16").kind is Kind.VALUE_MISMATCH
    # a reference that travels to another process carries no torch module: it judges as before
    assert moved.remeasure is None
    assert judge_outputs(moved, as_float16, "p>float16", "rt", precision="float16").kind is Kind.VALUE_MISMATCH
