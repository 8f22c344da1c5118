"""The README's two commands are the ones CI and newcomers run."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fenced_commands(text: str) -> list[str]:
    blocks = text.split("```bash\n")[1:3]
    return [block.split("\n```")[0].strip() for block in blocks]


def test_readme_starts_with_demo_and_test_commands():
    demo, tests = fenced_commands((ROOT / "README.md").read_text())
    assert demo == "pip install uv && uv run seqlab demo"
    assert tests == "pip install uv && uv run pytest"


def test_ci_runs_the_readme_test_command_exactly():
    _, tests = fenced_commands((ROOT / "README.md").read_text())
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert tests in ci_lines
