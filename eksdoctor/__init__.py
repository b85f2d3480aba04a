"""eksdoctor: diagnose kubectl Unauthorized/Forbidden on Amazon EKS and print the exact fix.

Data flows one way: collect -> evidence bundle -> checks -> findings -> render.
"""
__version__ = "0.1.0"
