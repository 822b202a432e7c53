from core.tasks.classifier import Classifier
from core.tasks.gaussian import GaussianEnsemble, GaussianRegressor
from core.tasks.regressor import Regressor
from core.tasks.task import Task

__all__ = ["Classifier", "GaussianEnsemble", "GaussianRegressor", "Regressor", "Task"]
