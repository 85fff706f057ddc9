import os

# One thread per test process: the machine has two cores and campaign tests spawn workers.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# Filing a bug localizes its rule at fault in a process of its own (seconds each): the tests that
# file many bugs leave it out; tests/unit/test_fault.py turns it on where it is the subject.
os.environ.setdefault("ONNXFUZZ_RULE_AT_FAULT", "0")


import pytest  # noqa: E402


@pytest.fixture
def faulty(monkeypatch):
    """The deliberately broken plugins of tests/plugins/faulty.py, registered as a user would."""
    from fuzzer.plugin import ENV_VAR
    from tests.plugins.faulty import PLUGINS

    monkeypatch.setenv(ENV_VAR, PLUGINS)
