"""PyTorch's side of evaluation and BatchNorm re-estimation for `npm run bench:peer`.

The peer's network (../shared/peer/rn50.py, imported from there, unchanged), batch 32, 1 thread, random
data: ms per batch of inference (eval mode, no gradient) and of BatchNorm re-estimation (train-mode
forward without gradient, which updates the running statistics), each after two warm-up batches.

    python3 scripts/peer_eval.py WIDTH_DIVISOR BATCHES
"""
import json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'shared', 'peer'))
import torch  # noqa: E402
from rn50 import ResNet50  # noqa: E402

d, batches = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(1)
torch.manual_seed(1)
m = ResNet50(d)
B = 32
x = torch.randn((batches + 2) * B, 3, 32, 32)


def timed(train_mode):
    m.train(train_mode)
    with torch.no_grad():
        for i in range(2):
            m(x[i * B:(i + 1) * B])
        t0 = time.perf_counter()
        for i in range(batches):
            m(x[(i + 2) * B:(i + 3) * B])
    return (time.perf_counter() - t0) * 1000 / batches


print(json.dumps({'engine': 'pytorch', 'width': d, 'threads': 1, 'msPerEvalBatch': timed(False), 'msPerBnBatch': timed(True)}))
