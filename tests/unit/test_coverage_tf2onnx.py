"""tf2onnx's rules (fuzzer.coverage.tf2onnx): a conversion records the TF op handlers it used,
the rewriters and the optimizers that changed its graph, with their inventories."""
import pytest

pytest.importorskip("tf2onnx")


def test_a_conversion_records_its_handlers_rewriters_and_optimizers(monkeypatch):
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage as _coverage

    # a fresh recorder: a system's inventory is handed on once per process, and an earlier test
    # in this process may have hit the system already
    monkeypatch.setattr(_coverage, "RECORDER", _coverage.Recorder())
    from fuzzer import coverage
    from fuzzer.coverage import tf2onnx as cov
    from fuzzer.materialize.tf_model import import_tf

    tf = import_tf()
    import tf2onnx

    cov.instrument()
    cov.instrument()  # once per process: a second call wraps nothing again

    @tf.function(input_signature=[tf.TensorSpec([2, 3, 4], tf.float32)])
    def f(x):
        # a transpose pair the transpose optimizer cancels, and a LeakyRelu the
        # rewriter rewrite_leakyrelu makes of max(x, 0.2 x)
        y = tf.transpose(tf.transpose(x, [1, 0, 2]), [1, 0, 2])
        return tf.maximum(y, 0.2 * y)

    coverage.begin_case()
    tf2onnx.convert.from_function(f, input_signature=f.input_signature, opset=17)
    hits, inventories = coverage.take()
    assert {"Placeholder", "Transpose"} <= set(hits[cov.HANDLERS])
    assert "Maximum" not in hits[cov.HANDLERS]  # rewritten into a LeakyRelu before mapping
    assert hits[cov.REWRITERS] == ["rewrite_leakyrelu"]  # the others left the graph as it was
    assert "optimize_transpose" in hits[cov.OPTIMIZERS]
    for system in (cov.HANDLERS, cov.REWRITERS, cov.OPTIMIZERS):
        inventory = inventories[system]
        assert set(hits[system]) <= set(inventory["rules"]), system
    assert len(inventories[cov.HANDLERS]["rules"]) > 200  # every TF op with a handler
    assert "fold_constants" in inventories[cov.OPTIMIZERS]["rules"]


def test_in_place_rewrites_and_optimizers_without_the_flag_are_recorded(monkeypatch):
    """rewrite_conv_dilations keeps its Conv2D and only rewires and re-attributes it, and
    remove_back_to_back never sets graph_been_opt: both are seen; a plain Relu shows neither,
    nor any optimizer but remove_identity."""
    monkeypatch.setenv("ONNXFUZZ_COVERAGE", "1")
    from fuzzer import coverage as _coverage

    monkeypatch.setattr(_coverage, "RECORDER", _coverage.Recorder())
    from fuzzer import coverage
    from fuzzer.coverage import tf2onnx as cov
    from fuzzer.materialize.tf_model import import_tf

    tf = import_tf()
    import tf2onnx

    cov.instrument()

    def rules(f, shape):
        fn = tf.function(f, input_signature=[tf.TensorSpec(shape, tf.float32)], autograph=False)
        coverage.begin_case()
        tf2onnx.convert.from_function(fn, input_signature=fn.input_signature, opset=13)
        hits, _ = coverage.take()
        return set(hits.get(cov.REWRITERS, [])), set(hits.get(cov.OPTIMIZERS, []))

    rewriters, _ = rules(lambda x: tf.nn.atrous_conv2d(x, tf.ones([3, 3, 2, 2]), 2, "SAME"), [1, 8, 8, 2])
    assert "rewrite_conv_dilations" in rewriters
    _, optimizers = rules(lambda x: tf.cast(tf.cast(x, tf.float64), tf.float32), [2, 3])
    assert "remove_back_to_back" in optimizers
    assert rules(tf.nn.relu, [2, 3]) == (set(), {"remove_identity"})
