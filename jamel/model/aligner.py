"""`MemoryAligner`: compressor hidden states -> policy embedding space (trained with the policy)."""
from __future__ import annotations

from typing import Any

import torch
from torch import nn


class MemoryAligner(nn.Module):
    """Linear(compressor_hidden -> policy_hidden), then LayerNorm, then (optionally) an RMS cap.

    RMS cap (`rms_cap=True`, the default, as in the release): LayerNorm output has RMS ~1 per token while
    a policy's text embeddings have RMS ~0.01-0.05, so an uncapped prefix would dominate attention at the
    start of training. Each memory token is rescaled by min(1, target_rms / rms(token)), target_rms being the
    policy's text-embedding RMS (`MemoryAugmentedPolicy.text_embed_rms()`); since every token's RMS is then
    <= target_rms, the RMS of the whole prefix never exceeds it either. Per token, so a memory token's value
    does not depend on which other steps are in the prefix. The scale is differentiable (gradients flow).
    """

    def __init__(self, in_features: int, out_features: int, rms_cap: bool = True, layer_norm: bool = True,
                 eps: float = 1e-6):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.rms_cap, self.eps = rms_cap, eps
        self.proj = nn.Linear(in_features, out_features)
        self.norm = nn.LayerNorm(out_features, eps=1e-5) if layer_norm else nn.Identity()

    def forward(self, x: torch.Tensor, target_rms: torch.Tensor | float | None = None) -> torch.Tensor:
        y = self.norm(self.proj(x.to(self.proj.weight.dtype)))
        if self.rms_cap and target_rms is not None:
            rms = y.float().pow(2).mean(-1, keepdim=True).add(self.eps).sqrt()
            target = torch.as_tensor(target_rms, dtype=torch.float32, device=y.device)
            y = y * (target / rms).clamp(max=1.0).to(y.dtype)
        return y

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, "rms_cap": self.rms_cap,
                "layer_norm": isinstance(self.norm, nn.LayerNorm), "eps": self.eps}

    @classmethod
    def from_config(cls, cfg: dict[str, Any]) -> "MemoryAligner":
        return cls(cfg["in_features"], cfg["out_features"], rms_cap=cfg.get("rms_cap", True),
                   layer_norm=cfg.get("layer_norm", True), eps=cfg.get("eps", 1e-6))
