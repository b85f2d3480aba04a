"""role_path_in_aws_auth: an IAM role mapped in aws-auth with its IAM path."""
from eksdoctor.check import Check

from ._aws_auth_path import run_path_check

CHECK = Check(
    id="role_path_in_aws_auth",
    title="IAM role mapped in aws-auth with its path",
    severity="high",
    stage="authentication",
    needs=("kubernetes:configmaps/kube-system/aws-auth",),
    docs="docs/checks/role_path_in_aws_auth.md",
    summary=("aws-auth compares rolearn with the caller's canonical ARN, which never carries the role's "
             "IAM path. A rolearn such as arn:aws:iam::111122223333:role/team/deploy never matches; "
             "write arn:aws:iam::111122223333:role/deploy, or use an access entry with the full ARN."),
    remediation="rewrite rolearn to arn:<partition>:iam::<account>:role/<name> (no path)",
    run=lambda bundle: run_path_check(bundle, sso=False),
)
