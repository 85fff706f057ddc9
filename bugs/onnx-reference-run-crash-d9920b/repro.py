"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: TfIdfVectorizer on int32 (opset 15)

ONNX Runtime, ONNX Runtime with basic graph optimizations, ONNX Runtime with extended graph optimizations, ONNX Runtime (multi-threaded), ONNX Runtime with graph optimizations disabled run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 8,
   opset_import: ["" : 15]
>
repro (int32[1] x0) => (float[5] out0) {
   out0 = TfIdfVectorizer <max_gram_length: int = 3, max_skip_count: int = 1, min_gram_length: int = 3, mode: string = "TFIDF", ngram_counts: ints = [0, 1, 1], ngram_indexes: ints = [4, 2, 3], pool_int64s: ints = [2, 2, 4, 4, 4, 2, 4], weights: floats = [2.25, 3, 1.75]> (x0)
}
''')
INPUTS = {'x0': np.array([3], dtype=np.int32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if 'IndexError: list index out of range' in f'{type(e).__name__}: {e}' else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
