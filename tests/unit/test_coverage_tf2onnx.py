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
