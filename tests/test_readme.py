"""The README's Python example runs as written, and its commands match .ci/run."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_python_example_runs():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks, "the README should hold a Python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"```bash\n(.*?)\n```", README, flags=re.S)
    assert len(commands) >= 2, "the README should start with the main-job and the test commands"
    assert "mustknow run" in commands[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1].strip() in ci


def test_the_full_profile_data_table_matches_the_configs(image_data_root):
    """Each row of the README's full-profile data table names exactly the sets its question's full configs use."""
    from mustknow.lab.questions import questions
    from mustknow.lab.questions._images import TITLES

    rows = dict(re.findall(r"^\| (\d+) [^|]+\| ([^|]+) \|$", README, flags=re.M))
    used = {q.number: {TITLES[cfg["dataset"]] for c in q.claims for cfg in c.trial_configs("full") if "dataset" in cfg}
            for q in questions()}
    assert set(rows) == {str(n) for n, sets in used.items() if sets}
    for number, text in rows.items():
        named = {title for title in TITLES.values() if re.search(rf"(?<![\w-]){re.escape(title)}(?![\w-])", text)}
        assert named == used[int(number)], f"README row {number}: {named} vs configs {used[int(number)]}"
