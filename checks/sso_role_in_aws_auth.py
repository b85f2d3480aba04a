"""sso_role_in_aws_auth: an IAM Identity Center role mapped in aws-auth with its aws-reserved path."""
from eksdoctor.check import Check

from ._aws_auth_path import run_path_check

CHECK = Check(
    id="sso_role_in_aws_auth",
    title="IAM Identity Center role mapped in aws-auth with its path",
    severity="high",
    stage="authentication",
    needs=("kubernetes:configmaps/kube-system/aws-auth",),
    docs="docs/checks/sso_role_in_aws_auth.md",
    summary=("IAM Identity Center roles live under the path aws-reserved/sso.amazonaws.com/<region>/. "
             "STS reports sessions without that path, and aws-auth matches the path-less ARN, so a "
             "rolearn written with the path never matches and the user gets 401 Unauthorized."),
    remediation="rewrite rolearn to arn:<partition>:iam::<account>:role/AWSReservedSSO_<PermissionSet>_<hex>",
    run=lambda bundle: run_path_check(bundle, sso=True),
)
