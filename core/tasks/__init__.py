from core.tasks.classifier import Classifier
from core.tasks.regressor import Regressor
from core.tasks.task import Task

__all__ = ["Classifier", "Regressor", "Task"]
