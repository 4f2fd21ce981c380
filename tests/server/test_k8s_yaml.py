"""examples/kubernetes/serve.yaml parses as YAML and describes what README promises: a Deployment of several
replicas of `sdxl-gen serve` probed on /health, the model on a read-only volume, a Service in front."""
import os

import yaml

from serverlib import Checks, parse_args

a = parse_args()
c = Checks()
path = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "kubernetes", "serve.yaml")
docs = [d for d in yaml.safe_load_all(open(path)) if d]
kinds = {d["kind"]: d for d in docs}
c.expect({"Deployment", "Service"} <= set(kinds), "a Deployment and a Service (%s)" % sorted(kinds))
dep = kinds.get("Deployment", {})
spec = dep.get("spec", {})
c.expect(spec.get("replicas", 0) > 1, "several replicas")
container = spec["template"]["spec"]["containers"][0]
c.expect(container["args"][0] == "serve", "runs sdxl-gen serve")
c.expect(container["readinessProbe"]["httpGet"]["path"] == "/health", "readiness on /health")
c.expect("httpGet" not in container.get("livenessProbe", {}),
         "liveness does not ask /health (503 while a checkpoint switch loads: a restart would follow)")
c.expect(container["resources"]["requests"].get("memory"), "memory request set")
mounts = {m["name"]: m for m in container["volumeMounts"]}
c.expect(mounts.get("models", {}).get("readOnly") is True, "the model volume is read-only")
c.expect(kinds["Service"]["spec"]["selector"] == spec["selector"]["matchLabels"], "the Service selects the pods")
c.done()
