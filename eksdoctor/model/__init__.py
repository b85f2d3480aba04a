"""Pure domain logic: ARNs, tokens, aws-auth, access entries, identities. No I/O, no clock."""
