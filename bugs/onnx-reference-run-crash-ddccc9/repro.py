"""The ONNX reference evaluator (onnx.reference) fails to run a valid model: Greater -> Cast -> Bernoulli on a 0-d float32 (opset 25)

OpenVINO (CPU) run the same model correctly. Found with onnx 1.23.2.
Exits 1 while the bug reproduces, 0 once it is fixed, 2 if another step fails first.
"""
import sys

import numpy as np
import onnx

MODEL = onnx.parser.parse_model('''
<
   ir_version: 13,
   opset_import: ["" : 25]
>
repro (float x12) => (int32 out0) 
   <float t1 =  {0}>
{
   t2 = Greater (x12, t1)
   t3 = Cast <to: int = 1> (t2)
   out0 = Bernoulli <dtype: int = 6, seed: float = 1> (t3)
}
''')
INPUTS = {'x12': np.array(-1.4002634286880493, dtype=np.float32)}

def run_model(model_bytes, feeds):
    from onnx.reference import ReferenceEvaluator
    session = ReferenceEvaluator(onnx.load_model_from_string(model_bytes))
    return session.run(None, {name: feeds[name] for name in session.input_names})


def main():
    try:
        actual = run_model(MODEL.SerializeToString(), INPUTS)
    except Exception as e:
        print('the ONNX reference evaluator (onnx.reference) raises', type(e).__name__, str(e)[:2000])
        return 1 if all(s in f'{type(e).__name__}: {e}' for s in ('TypeError: Issues with types', 'and linked attributes=', "operator 'Bernoulli'")) else 2
    print('the ONNX reference evaluator (onnx.reference) runs the model: fixed')
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # another step failed first: that says nothing about the bug
        sys.exit(print("another step failed:", type(e).__name__, e) or 2)
