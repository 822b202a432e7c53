from core.training.callbacks import ScoreEvery, StepCounter, TimeBudget
from core.training.fit import fit, restore_best_weights, set_seed, standard_callbacks
from core.training.gan import GANModel
from core.training.multi_worker import apply_multi_worker_shim
from core.training.strategy import STRATEGIES, get_strategy, is_chief, split_cpu

__all__ = [
    "GANModel",
    "STRATEGIES",
    "ScoreEvery",
    "StepCounter",
    "TimeBudget",
    "apply_multi_worker_shim",
    "fit",
    "get_strategy",
    "is_chief",
    "restore_best_weights",
    "set_seed",
    "split_cpu",
    "standard_callbacks",
]
