"""The end-to-end lab: real AWS CLI and kubectl against moto and a Kubernetes API stand-in."""
