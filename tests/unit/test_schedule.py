from fuzzer.campaign.schedule import FairShare


def test_the_least_used_plugins_get_the_next_case():
    share = FairShare(["fast", "slow"], quantum=1.0)
    assert share.pick() == ["fast", "slow"]
    share.charge("slow", 5.0)
    share.charge("fast", 0.1)
    assert share.pick() == ["fast"]
    share.charge("fast", 4.5)
    assert share.pick() == ["fast", "slow"]


def test_at_least_tops_up_with_the_next_least_used_in_order():
    share = FairShare(["a", "b", "c"], quantum=0.1)
    share.charge("a", 3.0)
    share.charge("b", 1.0)
    assert share.pick(at_least=2) == ["b", "c"]
    assert share.pick(at_least=5) == ["a", "b", "c"]


def test_equal_time_not_equal_cases():
    share = FairShare(["cheap", "dear"], quantum=0.5)
    cases = {"cheap": 0, "dear": 0}
    for _ in range(200):
        for name in share.pick():
            cases[name] += 1
            share.charge(name, 0.01 if name == "cheap" else 0.5)
    assert cases["cheap"] > 10 * cases["dear"] > 0
    assert abs(share.spent["cheap"] - share.spent["dear"]) <= 1.0


def test_a_first_call_paying_a_framework_import_does_not_starve_its_plugin():
    share = FairShare(["tf2onnx", "torchscript"], quantum=1.0, warmup=1)
    share.charge("tf2onnx", 30.0)  # TensorFlow's import, paid once per worker
    share.charge("torchscript", 0.02)
    assert share.spent["tf2onnx"] == 1.0
    share.charge("tf2onnx", 3.0)  # after the warm-up, every second counts
    assert share.spent["tf2onnx"] == 4.0
