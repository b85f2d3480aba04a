"""What changes things, only under an explicit --apply: plans, aws-auth writes, access entries.

Nothing here runs during diagnose. Every write is planned first, printed with its equivalent
aws/eksctl/kubectl commands, confirmed, backed up where it can be, and verified afterwards.
"""
