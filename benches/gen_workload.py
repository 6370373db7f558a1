#!/usr/bin/env python3
"""Writes the benchmark workload as a .gitops program: N services x 3 environments.

The workload (one monorepo, N services, environments dev, staging and prod): per service and
environment an Argo CD Application and a Kustomize overlay (namespace, image, replicas 1, 2, 3;
prod tracks the `release` branch and does not self-heal); one GitHub Actions workflow with a
change-detection job and one job per service that checks out, builds, tests and pushes the
service's image. The services' base manifests already exist in the repository (`base/<svc>`).

The program holds only the service list; the compiler does the fan-out.

usage: gen_workload.py N > workload.gitops
"""
import sys

n = int(sys.argv[1])
out = sys.stdout
out.write('''project monorepo {
  app_repo = "https://github.com/example/monorepo.git"
  paths    = { kustomize = "." }
}

registry ghcr = ghcr { owner = "example" }

for name in [
''')
out.write("".join(f'  "svc-{i}",\n' for i in range(1, n + 1)))
out.write(''']
{
  service "${name}" {
    path      = "services/${name}"
    build     = docker
    port      = 8080
    manifests = existing { path = "base/${name}" }
  }
}

environment dev { sync = auto { prune = true, self_heal = true } }
environment staging { replicas = 2, promote_from = dev, sync = auto { prune = true, self_heal = true } }
environment prod {
  replicas     = 3
  branch       = "release"
  promote_from = staging
  sync         = auto { prune = true, self_heal = false }
}

deployment monorepo { project = "default" }

task build {
  param svc: service
  step build { run = "make build", workdir = svc.path }
  step test { run = "make test", workdir = svc.path }
  step image = std.image.push_ghcr(svc)
}

pipeline ci {
  on push { branches = ["main"] }
  on pull_request { branches = ["main"] }
  for svc in services.changed {
    job build = build(svc)
  }
}
''')
