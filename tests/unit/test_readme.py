"""The README's two set-up commands are the ones CI and users run."""
from conftest import ROOT


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci_command = (ROOT / ".ci" / "run").read_text().strip().splitlines()[-1]
    assert ci_command in readme


def test_readme_main_command_uses_a_shipped_example():
    readme = (ROOT / "README.md").read_text()
    assert "eksdoctor analyze --example sso-role-path" in readme
    assert (ROOT / "eksdoctor" / "examples" / "sso-role-path.json").is_file()
