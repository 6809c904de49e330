"""Writes small hand-built arm policies (safetensors, nn.Linear layout) for deploy tests.

usage: make_policy.py KIND OUT.safetensors

KIND:
  linear    goal = position + 0.5 * (offset to the target) (a reach controller, exactly representable)
  nan       every output is NaN (inf - inf inside the network)
  reckless  every goal is 5 rad, far beyond the joint limits
  steep     a linear policy with gain 500 (its Lipschitz certificate fails)
The observation is the sim arm's: 6 positions and 6 offsets to the target; 6 goals out.
"""
import sys

import numpy as np
from safetensors.numpy import save_file

N, OBS = 6, 12


def linear(a):
    """A ReLU network equal to x -> a @ x: relu(x) - relu(-x) = x."""
    w0 = np.concatenate([np.eye(OBS), -np.eye(OBS)]).astype(np.float32)
    w1 = np.concatenate([a, -a], axis=1).astype(np.float32)
    return {"net.0.weight": w0, "net.0.bias": np.zeros(2 * OBS, np.float32),
            "net.2.weight": w1, "net.2.bias": np.zeros(N, np.float32)}


def main():
    kind, out = sys.argv[1], sys.argv[2]
    if kind in ("linear", "steep"):
        a = np.zeros((N, OBS), np.float32)
        for i in range(N):
            a[i, i], a[i, 6 + i] = 1.0, 0.5
        if kind == "steep":
            a *= 500
        tensors = linear(a)
    elif kind == "nan":
        tensors = {"net.0.weight": np.zeros((2, OBS), np.float32), "net.0.bias": np.full(2, 3e38, np.float32),
                   "net.2.weight": np.tile(np.array([[2.0, -2.0]], np.float32), (N, 1)), "net.2.bias": np.zeros(N, np.float32)}
    elif kind == "reckless":
        tensors = {"net.0.weight": np.zeros((4, OBS), np.float32), "net.0.bias": np.zeros(4, np.float32),
                   "net.2.weight": np.zeros((N, 4), np.float32), "net.2.bias": np.full(N, 5.0, np.float32)}
    else:
        raise SystemExit("unknown kind " + kind)
    save_file(tensors, out)


if __name__ == "__main__":
    main()
