"""Every filed bug must reproduce with its own standalone repro.py, against the pinned versions.

A fresh interpreter per repro would spend most of this test importing torch, onnx and
onnxruntime again for each of the ~70 bugs. So each repro.py runs as `__main__` in its own
process, forked from a server that imported those packages once and has computed nothing
(a process forked after torch has computed can hang in OpenMP): its own folder, its own
globals, its exit code and output, a death or a hang costing only its own process. One repro
also runs exactly as a maintainer would (fuzzer.report.writer.run_repro, a fresh interpreter).
"""
import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fuzzer.report.writer import REPRO_TIMEOUT, run_repro

BUGS = Path(__file__).resolve().parents[2] / "bugs"
FOLDERS = sorted(p.parent for p in BUGS.glob("*/case.json"))

pytestmark = pytest.mark.slow

# Reads one folder per line, answers one JSON line {"code", "output"} per repro.
FORK_SERVER = r"""
import json, os, runpy, sys, tempfile, time, traceback
import numpy, onnx, onnxruntime, torch  # what every repro imports: paid once, nothing computed
log = os.path.join(tempfile.gettempdir(), f"onnxfuzz-repro-{os.getpid()}.log")
for line in sys.stdin:
    folder, timeout = line.rstrip("\n").rsplit("\t", 1)
    pid = os.fork()
    if pid == 0:
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(folder)
        sys.argv = ["repro.py"]
        try:
            runpy.run_path("repro.py", run_name="__main__")
            code = 0
        except SystemExit as e:
            if e.code is None or isinstance(e.code, int):
                code = e.code or 0
            else:  # sys.exit("message"), as the interpreter handles it
                print(e.code, file=sys.stderr)
                code = 1
        except BaseException:
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    deadline = time.monotonic() + float(timeout)
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            code = 124
            break
        time.sleep(0.05)
    with open(log, errors="replace") as f:
        output = f.read()
    print(json.dumps({"code": code, "output": output[-4000:]}), flush=True)
"""


@pytest.fixture(scope="module")
def run_forked():
    server = subprocess.Popen([sys.executable, "-c", FORK_SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def run(folder: Path) -> tuple[int, str]:
        server.stdin.write(f"{folder}\t{REPRO_TIMEOUT}\n")
        server.stdin.flush()
        answer = json.loads(server.stdout.readline())
        return answer["code"], answer["output"]

    yield run
    server.stdin.close()
    server.wait(timeout=30)


def test_a_repro_reproduces_in_a_fresh_interpreter():
    folder = FOLDERS[0]
    code, output = run_repro(folder)
    assert code == 1, output[-1500:]


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_repro_reproduces_and_is_standalone(folder, run_forked):
    script = (folder / "repro.py").read_text()
    imported = {
        (n.module if isinstance(n, ast.ImportFrom) else a.name).split(".")[0]
        for n in ast.walk(ast.parse(script)) if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in (n.names if isinstance(n, ast.Import) else [n])
    }
    assert not imported & {"fuzzer", "oracles", "onnxfuzz"}, imported
    meta = json.loads((folder / "case.json").read_text())["bug"]
    if meta.get("withdrawn"):
        pytest.skip(f"withdrawn: {meta['withdrawn']}")
    # each in its system's idiom: no torch for an ONNX-level system, a real conversion for tf2onnx
    if meta["role"] != "exporter":
        assert "torch" not in imported, "an ONNX-level repro imports torch"
    if meta["system"] == "tf2onnx":
        assert "tf2onnx" in imported and "tf2onnx.convert.from_function(" in script
    for name in ("report.md", "inputs.npz"):
        assert (folder / name).exists(), name
    code, output = run_forked(folder)
    assert code == 1, f"{meta['title']}: repro exits {code}\n{output[-1500:]}"


def test_bug_folders_are_complete():
    for folder in FOLDERS:
        case = json.loads((folder / "case.json").read_text())
        if case["bug"].get("found_by") == "onnxfuzz check":  # a user's model: no onnxfuzz graph, the model itself
            assert (folder / "model.onnx").exists()
        else:
            assert case["graph"]["format"] == "onnxfuzz-graph/1"
        assert case["bug"]["id"] == folder.name and case["bug"]["system"]
