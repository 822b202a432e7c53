"""bench/optimizer.py: Keras's Adam and core's alternate in fresh processes; first-step and steady-step ratios."""

import json

from bench import optimizer


def test_the_baseline_children_train_with_keras_classes_and_the_others_with_core(tmp_path):
    log = tmp_path / "log.jsonl"
    models = {"stand_in": {"builder": "tests.bench.fake_training:optimizer_step", "batch": 8, "quick_batch": 1,
                           "input": "{batch} stand-in batch", "config": {"log": str(log), "seconds": 0.01}}}
    (row,) = optimizer.run(["stand_in"], rounds=1, repeats=2, quick=True, models=models)
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [entry["adam"] for entry in logged] == ["keras.src.optimizers.adam", "core.optimizers"]
    assert [entry["adamw"] for entry in logged] == ["keras.src.optimizers.adamw", "core.optimizers"]
    assert len({entry["pid"] for entry in logged}) == 2  # a fresh process each
    assert row["input"] == "1 stand-in batch"
    assert 0.009 < row["step s keras"] < 0.05 and 0.009 < row["step s core"] < 0.05
    assert row["first step s keras/core"] == row["first step s keras"] / row["first step s core"]
