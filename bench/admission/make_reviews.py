#!/usr/bin/env python3
"""Writes the AdmissionReviews the admission bench sends: CREATE requests of a
realistic Deployment and a realistic Pod, each in a compliant (restricted) and a
violating form (privileged, host namespaces, added capabilities, no seccomp,
running as root). Usage: make_reviews.py OUT_DIR"""
import json
import sys

out = sys.argv[1]


def container(name, image, compliant):
    c = {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "args": ["--port=8080", "--log-level=info"],
        "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
        "env": [
            {"name": "APP_MODE", "value": "production"},
            {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
        ],
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "readinessProbe": {"httpGet": {"path": "/readyz", "port": 8080}, "periodSeconds": 10},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 20},
        "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
    }
    if compliant:
        c["securityContext"] = {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "runAsUser": 10001,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        }
    else:
        c["securityContext"] = {
            "privileged": True,
            "runAsUser": 0,
            "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]},
        }
    return c


def pod_spec(compliant):
    spec = {
        "serviceAccountName": "shop",
        "containers": [
            container("web", "registry.example.com/shop/web:1.24.3", compliant),
            container("sidecar", "registry.example.com/mesh/proxy:2.1.0", compliant),
        ],
        "volumes": [{"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}}],
    }
    if compliant:
        spec["securityContext"] = {
            "runAsNonRoot": True,
            "seccompProfile": {"type": "RuntimeDefault"},
            "fsGroup": 10001,
        }
    else:
        spec["hostNetwork"] = True
        spec["hostPID"] = True
        spec["volumes"].append({"name": "host", "hostPath": {"path": "/var/run"}})
    return spec


labels = {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop", "team": "checkout"}


def deployment(name, compliant):
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "shop", "labels": labels,
                     "annotations": {"deployment.kubernetes.io/revision": "3"}},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": labels}, "spec": pod_spec(compliant)},
        },
    }


def pod(name, compliant):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "labels": labels,
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                          "name": "web-7d9f8", "uid": "3c1f2a7e-0000-4000-8000-000000000001",
                                          "controller": True}]},
        "spec": pod_spec(compliant),
    }


def review(obj, uid):
    group, _, version = obj["apiVersion"].rpartition("/")
    resource = obj["kind"].lower() + "s"
    return {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": version, "kind": obj["kind"]},
            "resource": {"group": group, "version": version, "resource": resource},
            "requestKind": {"group": group, "version": version, "kind": obj["kind"]},
            "requestResource": {"group": group, "version": version, "resource": resource},
            "name": obj["metadata"]["name"],
            "namespace": "shop",
            "operation": "CREATE",
            "userInfo": {"username": "system:serviceaccount:kube-system:replicaset-controller",
                         "uid": "5e1c-0001",
                         "groups": ["system:serviceaccounts", "system:serviceaccounts:kube-system",
                                    "system:authenticated"]},
            "object": obj,
            "oldObject": None,
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        },
    }


cases = {
    "deployment-ok": deployment("web", True),
    "deployment-bad": deployment("web-debug", False),
    "pod-ok": pod("web-7d9f8-abcde", True),
    "pod-bad": pod("web-debug-7d9f8-fghij", False),
}
for i, (name, obj) in enumerate(cases.items()):
    with open(f"{out}/{name}.json", "w") as f:
        json.dump(review(obj, f"bench-{i}"), f, separators=(",", ":"))
