"""Helpers shared by the PyTorch reference scripts (generate_torch.py, train_torch.py)."""

import json
import struct

import torch


def read_safetensors(path):
    """A float32 .safetensors file as {name: tensor}, read directly (no safetensors package here)."""
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    body = memoryview(raw)[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        a, b = info["data_offsets"]
        out[name] = torch.frombuffer(bytearray(body[a:b]), dtype=torch.float32).reshape(info["shape"])
    return out


def rotate_half(x):
    """transformers' rotate_half for rotary embeddings."""
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)
