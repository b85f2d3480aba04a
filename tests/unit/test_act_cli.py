"""The changing commands' bad input is a one-line error and exit 2, found before anything is read or changed."""
import pytest
from conftest import run_cli


@pytest.mark.parametrize("args, message", [
    (("diagnose", "--apply"), "eksdoctor: error: --apply, --yes and --switch-mode go with --fix"),
    (("diagnose", "--fix", "-o", "json"), "eksdoctor: error: --fix prints a plan after the findings: use the table output"),
    (("grant", "--cluster", "prod", "--arn", "arn:aws:iam::111122223333:role/dev"),
     "eksdoctor: error: say what to grant: --policy NAME [--namespace NS …] or --group G …"),
    (("grant", "--cluster", "prod", "--arn", "arn:aws:iam::111122223333:role/dev", "--group", "devs", "--namespace", "a"),
     "eksdoctor: error: --namespace scopes an access policy: give --policy too"),
    (("grant", "--cluster", "prod", "--arn", "dev", "--group", "devs"),
     "eksdoctor: error: --arn 'dev': arn 'dev' is invalid: 'arn: invalid prefix'"),
    (("grant", "--cluster", "prod", "--arn", "arn:aws:iam::111122223333:group/devs", "--group", "devs"),
     "eksdoctor: error: --arn 'arn:aws:iam::111122223333:group/devs': unrecognized resource group/devs for service iam"),
])
def test_bad_input_is_refused_before_any_call(args, message):
    result = run_cli(*args, env={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"})
    assert (result.code, result.err.strip()) == (2, message)
    assert "Traceback" not in result.err
