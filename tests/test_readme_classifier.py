"""The README's classifier example runs as printed and learns its task."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_classifier_example_learns():
    blocks = (ROOT / "README.md").read_text().split("```python\n")[1:]
    code = next(block.split("\n```")[0] for block in blocks if "SequenceClassifier(" in block)
    namespace: dict = {}
    exec(compile(code.replace("print(", "_ = ("), "README.md", "exec"), namespace)
    assert namespace["trainer"].evaluate()["accuracy"] > 0.9
