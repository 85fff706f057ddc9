"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: GatherElements with indices smaller than data on a dimension other than axis (opset 21)

ONNX Runtime run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 10,
   opset_import: ["" : 21]
>
repro (float[1,1,1,2] x6) => (float[1,1,1,1] out0) 
   <int32[1,1,1,1] t1 =  {0}>
{
   out0 = GatherElements <axis: int = 0> (x6, t1)
}
''')
INPUTS = {'x6': np.array([[[[0.44209685921669006, 1.4934219121932983]]]], dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('ValueError: Except for dimension', 'all dimensions of index and self should be the same size')) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
