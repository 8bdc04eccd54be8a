"""`MemoryAugmentedPolicy`: a Qwen-VL actor with a soft memory prefix (docs/method.md, Memory).

Sequence layout per sample: [memory prefix (N slots)] [prompt tokens (text + image tokens)] [generated].
  * embeddings: aligned memory tokens, then the base model's own input embeddings with the image features
    scattered into the `<|image_pad|>` slots (the base model's computation, step by step);
  * positions: the base model's M-RoPE ids (`get_rope_index`: 3 rows t/h/w, image tokens on their 2-D grid)
    for the prompt, shifted by n_b (the sample's number of memory items); the prefix gets 0..n_b-1 on all
    three rows. Generated tokens continue at max position + 1 (what HF's rope_deltas do);
  * attention mask: [memory_mask, attention_mask]; labels: -100 over the prefix.
With no memory (None, empty, or an all-zero mask) the computation is exactly the base model's forward
(`tests/test_model.py` checks bitwise-equal logits in fp32).

Memory inputs are compressor outputs (not yet aligned): a tensor [B, N, H_c] with `memory_mask` [B, N]
(left-padded: most recent item last), a tensor [N, H_c] for one sample, or a list of per-sample [N_b, H_c]
tensors (left-padded here). At most `max_memory_items` (512) most recent valid items per sample are kept.

Supported actors: `Qwen2_5_VLForConditionalGeneration` (the paper's) and `Qwen3VLForConditionalGeneration`
(deepstack visual features are routed to the shifted image positions). Attention implementation is the base
model's (`sdpa` default, `flash_attention_2` when installed; see `jamel.model.modeling.JamelModel.from_pretrained`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import torch
from torch import nn

from jamel.model.aligner import MemoryAligner

SUPPORTED_ACTORS = {"qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration",
                    "qwen3_vl": "Qwen3VLForConditionalGeneration"}


@dataclass
class PolicyOutput:
    logits: torch.Tensor  # [B, N + L, V] (or the last `logits_to_keep`)
    loss: torch.Tensor | None = None
    past_key_values: Any = None
    position_ids: torch.Tensor | None = None  # [3, B, N + L]
    attention_mask: torch.Tensor | None = None  # [B, N + L]
    memory_length: int = 0  # N: prefix slots in front of the prompt


def sample_next_token(logits: torch.Tensor, temperature: float, top_p: float,
                      generator: torch.Generator | None = None) -> torch.Tensor:
    """Temperature + nucleus (top-p) sampling over [B, V] logits; greedy when temperature <= 0.

    The nucleus is taken from the 256 most likely tokens when they hold top_p of the mass (the same set a
    full sort gives, without sorting 150k probabilities per token on peaked distributions), else from a full
    sort."""
    if temperature <= 0:
        return logits.argmax(-1)
    probs = torch.softmax(logits.float() / temperature, dim=-1)
    if top_p >= 1.0:
        return torch.multinomial(probs, 1, generator=generator).squeeze(-1)
    vocab = probs.shape[-1]
    top, order = probs.topk(min(vocab, 256), dim=-1)  # sorted, most likely first
    if top.shape[-1] < vocab and not bool((top.sum(-1) >= top_p).all()):
        top, order = probs.sort(dim=-1, descending=True)
    before = top.cumsum(-1) - top  # mass of strictly more likely tokens
    top = top.masked_fill(before >= top_p, 0.0)  # the most likely token always stays
    choice = torch.multinomial(top, 1, generator=generator)
    return order.gather(-1, choice).squeeze(-1)


class MemoryAugmentedPolicy(nn.Module):
    def __init__(self, base: nn.Module, aligner: MemoryAligner | None, max_memory_items: int = 512):
        super().__init__()
        model_type = base.config.model_type
        if model_type not in SUPPORTED_ACTORS:
            raise ValueError(f"unsupported actor {model_type!r}; supported: {sorted(SUPPORTED_ACTORS)}")
        self.base = base
        self.aligner = aligner
        self.max_memory_items = max_memory_items
        self.model_type = model_type
        self._rms_key: tuple | None = None
        self._rms: torch.Tensor | None = None
        if aligner is not None and aligner.out_features != self.hidden_size:
            raise ValueError(f"aligner outputs {aligner.out_features}, the policy's hidden size is {self.hidden_size}")

    # --- properties -----------------------------------------------------------------------------------
    @property
    def config(self):
        return self.base.config

    @property
    def text_config(self):
        return self.base.config.text_config

    @property
    def hidden_size(self) -> int:
        return int(self.text_config.hidden_size)

    @property
    def device(self) -> torch.device:
        return self.base.lm_head.weight.device

    @property
    def dtype(self) -> torch.dtype:
        return self.base.lm_head.weight.dtype

    def text_embed_rms(self) -> torch.Tensor:
        """RMS of the policy's text-embedding matrix (the aligner's RMS cap target), a constant for gradients.
        Recomputed only when the weights change (the tensor's version counter is bumped by optimizer steps).
        Works on FSDP2-sharded (DTensor) weights: sharded reduction, then all-reduce."""
        w = self.base.get_input_embeddings().weight
        key = (id(w), getattr(w, "_version", None), w.dtype, str(w.device), tuple(w.shape))
        if key != self._rms_key or self._rms is None:
            with torch.no_grad():
                wd = w.detach()
                if hasattr(wd, "full_tensor"):  # DTensor
                    self._rms = wd.float().pow(2).mean().full_tensor().sqrt()
                else:  # float64 sums, 16k rows at a time
                    total = sum(chunk.double().pow(2).sum() for chunk in wd.split(16384))
                    self._rms = (total / wd.numel()).sqrt().float()
            self._rms_key = key
        return self._rms

    # --- inputs ---------------------------------------------------------------------------------------
    def mm_token_type_ids(self, input_ids: torch.Tensor) -> torch.Tensor:
        mm = torch.zeros_like(input_ids, dtype=torch.int32)
        mm[input_ids == self.config.image_token_id] = 1
        mm[input_ids == self.config.video_token_id] = 2
        return mm

    def base_position_ids(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                          image_grid_thw: torch.Tensor | None = None,
                          mm_token_type_ids: torch.Tensor | None = None) -> torch.Tensor:
        """The base model's own M-RoPE position ids [3, B, L] (no memory)."""
        if mm_token_type_ids is None:
            mm_token_type_ids = self.mm_token_type_ids(input_ids)
        pos, _ = self.base.model.get_rope_index(input_ids, mm_token_type_ids=mm_token_type_ids,
                                                image_grid_thw=image_grid_thw, attention_mask=attention_mask)
        return pos

    def embed_inputs(self, input_ids: torch.Tensor, pixel_values: torch.Tensor | None = None,
                     image_grid_thw: torch.Tensor | None = None):
        """Input embeddings with image features in the image-token slots, as the base model computes them.
        Returns (embeds, visual_pos_masks, deepstack_visual_embeds); the last two only for Qwen3-VL."""
        inner = self.base.model
        embeds = inner.get_input_embeddings()(input_ids)
        visual_mask, deepstack = None, None
        if pixel_values is not None:
            if self.model_type == "qwen3_vl":
                feats = inner.get_image_features(pixel_values, image_grid_thw, return_dict=True)
                deepstack = feats.deepstack_features
            else:
                feats = inner.get_image_features(pixel_values, image_grid_thw)
            image_embeds = torch.cat(feats.pooler_output, dim=0).to(embeds.device, embeds.dtype)
            image_mask = input_ids == self.config.image_token_id
            if int(image_mask.sum()) != image_embeds.shape[0]:
                raise ValueError(f"{int(image_mask.sum())} image tokens but {image_embeds.shape[0]} image features")
            embeds = embeds.masked_scatter(image_mask.unsqueeze(-1).expand_as(embeds), image_embeds)
            if self.model_type == "qwen3_vl":
                visual_mask = image_mask
        return embeds, visual_mask, deepstack

    def memory_inputs(self, memory_tokens, memory_mask: torch.Tensor | None, batch_size: int):
        """Normalise memory inputs to ([B, N, H_c], mask [B, N] bool), the cap applied; (None, None) if empty."""
        if memory_tokens is None:
            return None, None
        if isinstance(memory_tokens, (list, tuple)):
            if len(memory_tokens) != batch_size:
                raise ValueError(f"{len(memory_tokens)} memory lists for a batch of {batch_size}")
            n = max((int(m.shape[0]) for m in memory_tokens), default=0)
            if n == 0:
                return None, None
            ref = next(m for m in memory_tokens if m.shape[0] > 0)
            tokens = ref.new_zeros(batch_size, n, ref.shape[-1])
            mask = torch.zeros(batch_size, n, dtype=torch.bool, device=ref.device)
            for b, m in enumerate(memory_tokens):
                if m.shape[0]:
                    tokens[b, n - m.shape[0]:] = m
                    mask[b, n - m.shape[0]:] = True
        else:
            tokens = memory_tokens if memory_tokens.dim() == 3 else memory_tokens.unsqueeze(0)
            if tokens.shape[0] != batch_size:
                raise ValueError(f"memory batch {tokens.shape[0]} != input batch {batch_size}")
            mask = (torch.ones(tokens.shape[:2], dtype=torch.bool, device=tokens.device) if memory_mask is None
                    else memory_mask.to(tokens.device).bool().reshape(tokens.shape[:2]))
        most = int(mask.sum(1).max()) if mask.numel() else 0
        if self.max_memory_items is not None and most > self.max_memory_items:
            after = mask.flip(1).long().cumsum(1).flip(1)  # valid items at or after each slot
            mask = mask & (after <= self.max_memory_items)
        keep = mask.any(0)
        if not bool(keep.any()):
            return None, None
        if not bool(keep.all()):
            tokens, mask = tokens[:, keep], mask[:, keep]
        return tokens, mask

    def align_memory(self, memory_tokens: torch.Tensor) -> torch.Tensor:
        if self.aligner is None:
            raise ValueError("this policy has no aligner; memory tokens cannot be used")
        target = self.text_embed_rms() if self.aligner.rms_cap else None
        return self.aligner(memory_tokens, target)

    # --- forward --------------------------------------------------------------------------------------
    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                pixel_values: torch.Tensor | None = None, image_grid_thw: torch.Tensor | None = None,
                memory_tokens=None, memory_mask: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, mm_token_type_ids: torch.Tensor | None = None,
                past_key_values: Any = None, use_cache: bool = False, logits_to_keep: int = 0,
                **_: Any) -> PolicyOutput:
        batch, length = input_ids.shape
        embeds, visual_mask, deepstack = self.embed_inputs(input_ids, pixel_values, image_grid_thw)
        position_ids = self.base_position_ids(input_ids, attention_mask, image_grid_thw, mm_token_type_ids)
        memory, mem_mask = self.memory_inputs(memory_tokens, memory_mask, batch)
        n = 0
        if memory is not None:
            n = memory.shape[1]
            memory, mem_mask = memory.to(embeds.device), mem_mask.to(embeds.device)
            prefix = self.align_memory(memory).to(embeds.dtype) * mem_mask.unsqueeze(-1).to(embeds.dtype)
            counts = mem_mask.long().sum(1)  # [B]
            mem_pos = (mem_mask.long().cumsum(1) - 1).clamp(min=0)  # 0..n_b-1 on the valid slots
            position_ids = torch.cat([mem_pos.unsqueeze(0).expand(3, -1, -1).to(position_ids),
                                      position_ids + counts.view(1, batch, 1).to(position_ids)], dim=2)
            embeds = torch.cat([prefix, embeds], dim=1)
            text_mask = attention_mask if attention_mask is not None else torch.ones_like(input_ids)
            attention_mask = torch.cat([mem_mask.to(text_mask.dtype), text_mask], dim=1)
            if visual_mask is not None:
                visual_mask = torch.cat([torch.zeros_like(mem_mask), visual_mask], dim=1)
            if labels is not None:
                labels = torch.cat([labels.new_full((batch, n), -100), labels], dim=1)
        extra = ({"visual_pos_masks": visual_mask, "deepstack_visual_embeds": deepstack}
                 if self.model_type == "qwen3_vl" else {})
        out = self.base.model.language_model(input_ids=None, inputs_embeds=embeds, position_ids=position_ids,
                                             attention_mask=attention_mask, past_key_values=past_key_values,
                                             use_cache=use_cache, **extra)
        hidden = out.last_hidden_state
        if logits_to_keep:
            hidden = hidden[:, -logits_to_keep:]
        logits = self.base.lm_head(hidden)
        loss = None
        if labels is not None:
            loss = self.base.loss_function(logits=logits, labels=labels, vocab_size=self.text_config.vocab_size)
        return PolicyOutput(logits=logits, loss=loss, past_key_values=out.past_key_values, position_ids=position_ids,
                            attention_mask=attention_mask, memory_length=n)

    # --- generation -----------------------------------------------------------------------------------
    def default_eos_ids(self) -> list[int]:
        ids = getattr(getattr(self.base, "generation_config", None), "eos_token_id", None) \
            or self.text_config.eos_token_id
        ids = [ids] if isinstance(ids, int) else list(ids or [])
        return ids + [special for special in (151645, 151643) if special not in ids]  # im_end, endoftext

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, attention_mask: torch.Tensor | None = None,
                 pixel_values: torch.Tensor | None = None, image_grid_thw: torch.Tensor | None = None,
                 memory_tokens=None, memory_mask: torch.Tensor | None = None,
                 mm_token_type_ids: torch.Tensor | None = None, temperature: float = 0.8, top_p: float = 0.9,
                 max_new_tokens: int = 256, eos_token_ids: Sequence[int] | None = None,
                 pad_token_id: int = 151643, generator: torch.Generator | None = None,
                 seed: int | None = None, **_: Any) -> torch.Tensor:
        """Sample up to `max_new_tokens` tokens per sample with a KV cache; returns them [B, T] (padded with
        `pad_token_id` after a sample's EOS, the EOS included). Prompts must be left-padded. Reproducible:
        the same inputs and `generator` state (or `seed`) give the same tokens."""
        if attention_mask is not None and not bool(attention_mask[:, -1].all()):
            raise ValueError("generate() needs left-padded prompts (the last position of every row must be real)")
        if generator is None and seed is not None:
            generator = torch.Generator(device=input_ids.device).manual_seed(seed)
        eos = torch.tensor(list(eos_token_ids or self.default_eos_ids()), device=input_ids.device)
        out = self.forward(input_ids, attention_mask, pixel_values, image_grid_thw, memory_tokens, memory_mask,
                           mm_token_type_ids=mm_token_type_ids, use_cache=True, logits_to_keep=1)
        batch = input_ids.shape[0]
        past, mask = out.past_key_values, out.attention_mask
        if mask is None:
            mask = torch.ones(batch, out.position_ids.shape[-1], dtype=torch.long, device=input_ids.device)
        next_pos = out.position_ids.amax(dim=(0, 2)) + 1  # [B]
        logits = out.logits[:, -1]
        done = torch.zeros(batch, dtype=torch.bool, device=input_ids.device)
        generated: list[torch.Tensor] = []
        embed = self.base.get_input_embeddings()
        for _ in range(max_new_tokens):
            token = sample_next_token(logits, temperature, top_p, generator)
            token = torch.where(done, torch.full_like(token, pad_token_id), token)
            generated.append(token)
            done |= torch.isin(token, eos)
            if bool(done.all()) or len(generated) == max_new_tokens:
                break
            mask = torch.cat([mask, mask.new_ones(batch, 1)], dim=1)
            pos = next_pos.view(1, batch, 1).expand(3, batch, 1)
            next_pos = next_pos + 1
            step = self.base.model.language_model(input_ids=None, inputs_embeds=embed(token[:, None]),
                                                  position_ids=pos, attention_mask=mask, past_key_values=past,
                                                  use_cache=True)
            past = step.past_key_values
            logits = self.base.lm_head(step.last_hidden_state[:, -1])
        if not generated:
            return input_ids.new_zeros(batch, 0)
        return torch.stack(generated, dim=1)
