"""Build sample_models/tiny-llama: a tiny, randomly initialised Llama causal LM with its tokenizer.

It exists so tests can run `generate()` under every generation setting in milliseconds, without
downloading anything. The weights are random (fixed seed), so its text is gibberish; what matters
is that it is a real core-transformers architecture with a real tokenizer (byte-level BPE, so any
ASCII text and digits round-trip), bos/eos/pad tokens and a chat template.

    python scripts/make_tiny_model.py [OUT_DIR]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_models" / "tiny-llama"
SEED = 0
VOCAB_SIZE = 512
SPECIAL_TOKENS = ["<pad>", "<s>", "</s>"]  # ids 0, 1, 2
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}"
    "{{ message['role'] }}: {{ message['content'] }}\n"
    "{% endfor %}{% if add_generation_prompt %}assistant: {% endif %}"
)
TRAINING_TEXT = """\
Question: What is 12 plus 30? Answer: 42.
Question: What is 7 times 8? Answer: 56.
Question: What is 100 minus 1? Answer: 99.
Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May.
How many clips did Natalia sell altogether in April and May? #### 72
The quick brown fox jumps over the lazy dog. 0123456789 + - * / = ( ) , . ? ! : ;
user: Solve the problem step by step. assistant: Let us think about it.
A language model predicts the next token; greedy search takes the most likely one, sampling
draws from the distribution, beam search keeps the best few sequences.
"""


def build_tokenizer():
    """A byte-level BPE tokenizer trained on TRAINING_TEXT, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(TRAINING_TEXT.splitlines() * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        padding_side="left",
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(tokenizer):
    """A 2-layer Llama with grouped-query attention, small enough for millisecond decode steps."""
    import torch
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

    torch.manual_seed(SEED)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    return model


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else DEFAULT_OUT
    tokenizer = build_tokenizer()
    model = build_model(tokenizer)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    size = sum(p.stat().st_size for p in out.iterdir())
    print(f"wrote {out} ({size / 1e6:.2f} MB, {model.num_parameters():,} parameters)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
