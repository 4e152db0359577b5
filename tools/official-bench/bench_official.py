#!/usr/bin/env python3
"""Time the official ARPG code (github.com/hp-l33/ARPG) on this machine with random weights.

The README's "ours against the official code" ratios come from running this and
`arpg bench --model ARPG-L --random-weights` one after the other on the same machine.
Nothing of the official code is copied here: pass the path of a clone with --official.

The official models import einops and transformers only for small things; where those
packages are missing (Debian's python3-torch has neither) the shims below stand in for
exactly what the generation and decoding paths use, and fail loudly on anything else.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time
import types


def install_einops_shim():
    """einops.rearrange for the four patterns models/arpg.py and models/vq_model.py use."""
    def rearrange(t, pattern, **sizes):
        if pattern == 'b n (h d) -> b n h d':
            b, n, hd = t.shape
            return t.reshape(b, n, sizes['h'], hd // sizes['h'])
        if pattern == 'b h n d -> b n (h d)':
            b, h, n, d = t.shape
            return t.permute(0, 2, 1, 3).reshape(b, n, h * d)
        if pattern == 'b c h w -> b (h w) c':
            b, c, h, w = t.shape
            return t.reshape(b, c, h * w).permute(0, 2, 1)
        if pattern == 'b (h w) c -> b c h w':
            b, hw, c = t.shape
            return t.permute(0, 2, 1).reshape(b, c, sizes['h'], sizes['w'])
        raise NotImplementedError(f"einops shim: pattern {pattern!r} is not one the official models use")

    def reduce(*args, **kwargs):  # only the training loss's entropy term calls it
        raise NotImplementedError("einops shim: reduce is used in training only")

    sys.modules['einops'] = types.SimpleNamespace(rearrange=rearrange, reduce=reduce)


def install_transformers_shim():
    """ModelArgs derives from PretrainedConfig only to be a dataclass-friendly config holder."""
    class PretrainedConfig:
        pass

    configuration_utils = types.ModuleType('transformers.configuration_utils')
    configuration_utils.PretrainedConfig = PretrainedConfig
    transformers = types.ModuleType('transformers')
    transformers.configuration_utils = configuration_utils
    sys.modules['transformers'] = transformers
    sys.modules['transformers.configuration_utils'] = configuration_utils


def install_sdpa_fallback(torch):
    """torch < 2.0 lacks F.scaled_dot_product_attention; inference calls it unmasked, non-causal."""
    def scaled_dot_product_attention(q, k, v, attn_mask=None, is_causal=False, dropout_p=0.0):
        if attn_mask is not None or is_causal or dropout_p != 0.0:
            raise NotImplementedError("attention fallback: only the inference form (no mask, not causal, no dropout)")
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        return scores.softmax(dim=-1) @ v

    torch.nn.functional.scaled_dot_product_attention = scaled_dot_product_attention


def import_official(path, torch):
    for name in ('models/arpg.py', 'models/vq_model.py'):
        if not os.path.isfile(os.path.join(path, name)):
            sys.exit(f"--official {path}: not a clone of github.com/hp-l33/ARPG ({name} missing)")
    for module, install in (('einops', install_einops_shim), ('transformers', install_transformers_shim)):
        try:
            __import__(module)
        except ImportError:
            install()
    if not hasattr(torch.nn.functional, 'scaled_dot_product_attention'):
        install_sdpa_fallback(torch)
    sys.path.insert(0, path)
    from models.arpg import ARPG_models
    from models.vq_model import VQ_models
    return ARPG_models, VQ_models


def clone_commit(path):
    try:
        return subprocess.run(['git', '-C', path, 'rev-parse', 'HEAD'], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def timed(call):
    start = time.perf_counter()
    result = call()
    return result, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--official', required=True, help='path of a clone of github.com/hp-l33/ARPG')
    parser.add_argument('--model', default='ARPG-L', help='ARPG-L, ARPG-XL or ARPG-XXL')
    parser.add_argument('--batch', type=int, default=1, help='images per run')
    parser.add_argument('--steps', type=int, default=64, help='decoding steps')
    parser.add_argument('--cfg', type=float, default=4.0, help='guidance scale (generate()\'s default)')
    parser.add_argument('--threads', type=int, default=2, help='torch.set_num_threads')
    parser.add_argument('--warmup', type=int, default=0, help='untimed generate() runs first')
    parser.add_argument('--vq', action='store_true', help='also time one decode_code of the batch with VQ-16')
    parser.add_argument('--json', action='store_true', help='print one JSON object instead of lines')
    args = parser.parse_args()
    if args.batch < 1 or args.steps < 1 or args.threads < 1 or args.warmup < 0:
        sys.exit('--batch, --steps and --threads must be at least 1, --warmup at least 0')

    import torch
    ARPG_models, VQ_models = import_official(os.path.abspath(args.official), torch)
    if args.model not in ARPG_models:
        sys.exit(f"--model {args.model}: not one of {', '.join(ARPG_models)}")

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = ARPG_models[args.model]().eval()  # the modules' own random initialisation
    labels = torch.randint(0, 1000, (args.batch,))
    generate = lambda: model.generate(labels, guidance_scale=args.cfg, num_iter=args.steps)
    with torch.inference_mode():
        for _ in range(args.warmup):
            generate()
        tokens, generate_seconds = timed(generate)
        vq_seconds = None
        if args.vq:
            vq = VQ_models['VQ-16']().eval()
            shape = (tokens.shape[0], 8, 16, 16)  # as the official sample_c2i_ddp.py passes it
            _, vq_seconds = timed(lambda: vq.decode_code(tokens.clone(), shape=shape))

    record = {
        'tool': 'official-arpg', 'commit': clone_commit(args.official), 'torch': torch.__version__,
        'threads': args.threads, 'model': args.model, 'batch': args.batch, 'steps': args.steps,
        'cfg': args.cfg, 'generate_seconds': round(generate_seconds, 3),
        'vq_decode_seconds': None if vq_seconds is None else round(vq_seconds, 3),
    }
    if args.json:
        print(json.dumps(record))
    else:
        print(f"official {args.model}, batch {args.batch}, {args.steps} steps, {args.threads} threads: "
              f"generate {generate_seconds:.2f} s")
        if vq_seconds is not None:
            print(f"official VQ-16 decode of {args.batch} image(s): {vq_seconds:.2f} s")


if __name__ == '__main__':
    main()
