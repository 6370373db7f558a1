#!/usr/bin/env python3
"""Writes the benchmark workload as a .gitops program: N services x 3 environments.

Per service and environment gitopsc emits an Argo CD Application and a Kustomize overlay; one
GitHub Actions workflow has a change-detection job and one job per service. The program holds
only the service list; the compiler does the fan-out.

usage: gen_workload.py N > workload.gitops
"""
import sys

n = int(sys.argv[1])
print('project monorepo {\n  app_repo = "https://github.com/example/monorepo.git"\n  paths = { kustomize = "." }\n}')
print('registry ghcr = ghcr { owner = "example" }\n')
print('for name in [')
for i in range(1, n + 1):
    print(f'  "svc-{i}",')
print(']{\n  service "${name}" { path = "services/${name}", build = docker, port = 8080 }\n}\n')
print('environment dev { namespace = "dev", sync = auto { prune = true, self_heal = true } }')
print('environment staging { namespace = "staging", sync = auto { prune = true, self_heal = true }, promote_from = dev }')
print('environment prod { namespace = "prod", branch = "release", sync = auto { prune = true, self_heal = false }, promote_from = staging }\n')
print('deployment monorepo { project = "default" }\n')
print('''task build {
  param svc: service
  step build { run = "make build", workdir = svc.path }
  step test { run = "make test", workdir = svc.path }
}

pipeline ci {
  on push { branches = ["main"] }
  for svc in services.changed {
    job build = build(svc)
  }
}''')
