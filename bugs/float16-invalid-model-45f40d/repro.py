"""onnxconverter-common's float16 conversion produces a model the ONNX checker rejects: TfIdfVectorizer on int32 (opset 20)

onnxconverter-common's float16 conversion turns a model that passes the checker and runs correctly into one the checker rejects. Found with onnx 1.23.2, onnxconverter-common 1.16.0.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 9,
   opset_import: ["" : 20]
>
repro (int32[1] x1) => (float[5] out0) {
   out0 = TfIdfVectorizer <max_gram_length: int = 3, max_skip_count: int = 1, min_gram_length: int = 2, mode: string = "TFIDF", ngram_counts: ints = [0, 2, 2], ngram_indexes: ints = [1, 3, 4, 0], pool_int64s: ints = [-1, 4, 2, 2, 0, 3, -1, 1], weights: floats = [1, 0.75, 0.25, 1]> (x1)
}
''')

def transform_model(model_bytes, opset):
    import onnx
    from onnxconverter_common import float16
    model = onnx.load_model_from_string(model_bytes)
    return float16.convert_float_to_float16(model, keep_io_types=True).SerializeToString()


def main():
    model = MODEL.SerializeToString()
    model = transform_model(model, 20)
    try:
        onnx.checker.check_model(onnx.load_model_from_string(model), full_check=True)
    except Exception as e:
        print('the model is invalid:', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('InferenceError', 'Inference error(s): (op_type:TfIdfVectorizer', 'Inferred elem type differs from existing elem type')) else 2
    print('the model passes the checker: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
