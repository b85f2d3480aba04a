"""ARN canonicalisation, checked against the authenticator's rules (reference/authenticator.md §3)."""
import pytest

from eksdoctor.model import arn


@pytest.mark.parametrize("given, expected", [
    ("arn:aws:sts::123456789012:assumed-role/Admin/Session", "arn:aws:iam::123456789012:role/Admin"),
    ("arn:aws:sts::123456789012:assumed-role/Org/Team/Admin/Session", "arn:aws:iam::123456789012:role/Org/Team/Admin"),
    ("arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/alice@example.com",
     "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef"),
    ("arn:aws-cn:sts::123456789012:assumed-role/Dev/s", "arn:aws-cn:iam::123456789012:role/Dev"),
    ("arn:aws-us-gov:sts::123456789012:assumed-role/Dev/s", "arn:aws-us-gov:iam::123456789012:role/Dev"),
    ("arn:aws:sts::123456789012:federated-user/bob", "arn:aws:sts::123456789012:federated-user/bob"),
    ("arn:aws:iam::123456789012:user/Alice", "arn:aws:iam::123456789012:user/Alice"),
    ("arn:aws:iam::123456789012:user/path/Alice", "arn:aws:iam::123456789012:user/path/Alice"),
    ("arn:aws:iam::123456789012:role/with/path/R", "arn:aws:iam::123456789012:role/with/path/R"),
    ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
])
def test_canonicalize(given, expected):
    assert arn.canonicalize(given) == expected


@pytest.mark.parametrize("given, message", [
    ("not-an-arn", "arn: invalid prefix"),
    ("arn:aws:iam::123", "arn: not enough sections"),
    ("arn:aws-xx:iam::123456789012:role/R", "does not have a recognized partition"),
    ("arn:AWS:iam::123456789012:role/R", "does not have a recognized partition"),
    ("arn:aws:sts::123456789012:assumed-role/OnlyRole", "does not have a role"),
    ("arn:aws:sts::123456789012:role/R", "unrecognized resource role/R for service sts"),
    ("arn:aws:iam::123456789012:group/G", "unrecognized resource group/G for service iam"),
    ("arn:aws:s3:::bucket", "is not a valid service for identities"),
])
def test_canonicalize_rejects_like_the_authenticator(given, message):
    with pytest.raises(arn.ArnError, match=message):
        arn.canonicalize(given)


def test_strip_path_only_rewrites_roles_with_paths():
    assert arn.strip_path("arn:aws:iam::1:role/a/b/R") == "arn:aws:iam::1:role/R"
    assert arn.strip_path("arn:aws:iam::1:role/R") == "arn:aws:iam::1:role/R"
    assert arn.strip_path("arn:aws:iam::1:user/p/U") == "arn:aws:iam::1:user/p/U"


def test_sso_roles_are_recognised_in_every_form():
    sso = "AWSReservedSSO_Admin_0123456789abcdef"
    assert arn.is_sso_role(f"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/eu-west-1/{sso}")
    assert arn.is_sso_role(f"arn:aws:iam::1:role/{sso}")
    assert arn.is_sso_role(f"arn:aws:sts::1:assumed-role/{sso}/alice")
    assert not arn.is_sso_role("arn:aws:iam::1:role/Admin")


def test_policy_arn_is_partition_correct():
    assert arn.policy_arn("aws-cn", "AmazonEKSViewPolicy") == "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSViewPolicy"


def test_the_aws_auth_sed_fix_rewrites_exactly_one_arn(tmp_path):
    """The printed sed must not touch a longer ARN that starts the same (role/dev in role/devops)."""
    import subprocess

    from eksdoctor.model.fixes import sed_replace_arn
    doc = tmp_path / "aws-auth.yaml"
    doc.write_text("- rolearn: arn:aws:iam::1:role/dev\n- rolearn: arn:aws:iam::1:role/devops\n"
                   "- rolearn: 'arn:aws:iam::1:role/dev'\n- rolearn: arn:aws:iam::1:role/dev-x\n"
                   "- rolearn: arn:aws:iam::1:role/a.b/c\n")
    for old, new in (("arn:aws:iam::1:role/dev", "arn:aws:iam::1:role/x"), ("arn:aws:iam::1:role/a.b/c", "arn:aws:iam::1:role/c")):
        subprocess.run(sed_replace_arn(old, new, str(doc)), shell=True, check=True)
    assert doc.read_text() == ("- rolearn: arn:aws:iam::1:role/x\n- rolearn: arn:aws:iam::1:role/devops\n"
                               "- rolearn: 'arn:aws:iam::1:role/x'\n- rolearn: arn:aws:iam::1:role/dev-x\n"
                               "- rolearn: arn:aws:iam::1:role/c\n")
