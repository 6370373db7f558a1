//! Services: toolchain, image, port, probes, replicas, manifests and per-environment overrides.

use super::value::VK;
use super::{Ctx, Item};
use crate::diagnostics::{Code, Diagnostic};
use crate::ir;
use indexmap::IndexMap;

const SERVICE_FIELDS: &[&str] = &[
    "path",
    "build",
    "image",
    "port",
    "health",
    "replicas",
    "resources",
    "env",
    "manifests",
    "watch",
    "dockerfile",
];
const TOOLCHAINS: &[&str] = &["maven", "gradle", "npm", "python", "go", "docker"];

impl<'a> Ctx<'a> {
    pub(super) fn check_services(&mut self) {
        // Lent out while the services are read, none of which looks at the declarations.
        let items = std::mem::take(&mut self.service_items);
        std::sync::Arc::make_mut(&mut self.services).reserve(items.len());
        for item in &items {
            let s = self.service(item);
            std::sync::Arc::make_mut(&mut self.services).push(s);
        }
        self.service_items = items;
    }

    fn service(&mut self, item: &Item<'a>) -> ir::Service {
        let what = super::fields::What::named("service", &item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            SERVICE_FIELDS,
            &["in"],
        );
        let sc = &item.scope;
        self.k8s_name(&item.name, item.name_span, "a service");
        let text = |cx: &mut Self, k: &str| cx.get(&f, k, sc).and_then(|v| cx.into_str(v));
        let path = text(self, "path").unwrap_or_else(|| ".".into());
        let toolchain = match self.get(&f, "build", sc) {
            Some(v) => self.toolchain(&v),
            None => ir::Toolchain {
                kind: ir::ToolchainKind::Docker,
                version: String::new(),
            },
        };
        let (registry, repository) = self.service_image(item, &f);
        let image = self
            .registries
            .get(registry)
            .map_or_else(|| repository.clone(), |r| r.image(&repository));
        let port = self
            .get(&f, "port", sc)
            .and_then(|v| self.int_in(&v, 1, 65535, "a port"))
            .map(|p| p as u16);
        let health = self.get(&f, "health", sc).and_then(|v| self.health(&v));
        let replicas = self
            .get(&f, "replicas", sc)
            .and_then(|v| self.int_in(&v, 0, 1000, "replicas"))
            .unwrap_or(1) as u32;
        let resources = self
            .get(&f, "resources", sc)
            .and_then(|v| self.resources(&v));
        let env = self
            .get(&f, "env", sc)
            .map_or(IndexMap::new(), |v| self.env_map(&v));
        let manifests = self
            .get(&f, "manifests", sc)
            .map_or(ir::Manifests::Generated, |v| self.manifests(&v));
        let watch = self
            .get(&f, "watch", sc)
            .map_or(Vec::new(), |v| self.strings_(&v));
        let dockerfile = text(self, "dockerfile").unwrap_or_else(|| "Dockerfile".into());
        let mut overrides = IndexMap::new();
        for d in f.decls.clone() {
            let Some((env, name, of)) = self.in_env_block(
                d,
                "in prod { replicas = 3 }",
                &["replicas", "resources", "env"],
            ) else {
                continue;
            };
            let o = ir::ServiceOverride {
                replicas: self
                    .get(&of, "replicas", sc)
                    .and_then(|v| self.int_in(&v, 0, 1000, "replicas"))
                    .map(|n| n as u32),
                resources: self
                    .get(&of, "resources", sc)
                    .and_then(|v| self.resources(&v)),
                env: self
                    .get(&of, "env", sc)
                    .map_or(IndexMap::new(), |v| self.env_map(&v)),
            };
            if overrides.insert(env, o).is_some() {
                let d = Diagnostic::new(
                    Code::Duplicate,
                    name.span,
                    format!("`in {}` is written twice", name.name),
                )
                .label("second override for this environment");
                self.diags.push(d);
            }
        }
        ir::Service {
            name: item.name.clone(),
            path: if path.ends_with('/') {
                path.trim_end_matches('/').to_string()
            } else {
                path
            },
            watch,
            toolchain,
            dockerfile,
            registry,
            repository,
            image,
            port,
            health,
            replicas,
            resources,
            env,
            manifests,
            overrides,
        }
    }

    fn service_image(&mut self, item: &Item<'a>, f: &super::fields::Fields) -> (usize, String) {
        match self.get(f, "image", &item.scope) {
            Some(v) => match &v.kind {
                VK::RegImage(r, repo) => (*r, repo.clone()),
                VK::Error => (0, item.name.clone()),
                _ => {
                    self.mismatch(&v, "an image from a registry (`REGISTRY.image(\"name\")`)");
                    (0, item.name.clone())
                }
            },
            None if !self.registries.is_empty() => (0, item.name.clone()),
            None => {
                let d = Diagnostic::new(Code::MissingField, item.name_span, format!("service `{}` needs an `image`", item.name))
                    .label("no image, and no registry to put it in")
                    .help("declare a registry (`registry ghcr = ghcr { owner = \"…\" }`); services default to it");
                self.diags.push(d);
                (0, item.name.clone())
            }
        }
    }

    fn toolchain(&mut self, v: &super::V) -> ir::Toolchain {
        let fallback = ir::Toolchain {
            kind: ir::ToolchainKind::Docker,
            version: String::new(),
        };
        let Some(var) = self.variant_(v, "a toolchain", TOOLCHAINS) else {
            return fallback;
        };
        let kind = match var.tag {
            "maven" => ir::ToolchainKind::Maven,
            "gradle" => ir::ToolchainKind::Gradle,
            "npm" => ir::ToolchainKind::Npm,
            "python" => ir::ToolchainKind::Python,
            "go" => ir::ToolchainKind::Go,
            _ => ir::ToolchainKind::Docker,
        };
        let allowed: &[&str] = if kind == ir::ToolchainKind::Docker {
            &[]
        } else {
            &["version"]
        };
        self.check_keys(
            &var.fields,
            format_args!("the `{}` toolchain", var.tag),
            allowed,
        );
        let default = match kind {
            ir::ToolchainKind::Maven | ir::ToolchainKind::Gradle => "17",
            ir::ToolchainKind::Npm => "24",
            ir::ToolchainKind::Python => "3.12",
            ir::ToolchainKind::Go => "1.26",
            ir::ToolchainKind::Docker => "",
        };
        let version = var
            .fields
            .get("version")
            .and_then(|(_, v)| match &v.kind {
                VK::Int(n) => Some(n.to_string()),
                _ => self.str_(v),
            })
            .unwrap_or_else(|| default.to_string());
        ir::Toolchain { kind, version }
    }

    fn health(&mut self, v: &super::V) -> Option<ir::Health> {
        match &v.kind {
            VK::Str(p) => Some(ir::Health {
                liveness: p.clone(),
                readiness: p.clone(),
            }),
            _ => {
                let rec = self.record_(v)?;
                self.check_keys(&rec, "`health`", &["liveness", "readiness"]);
                let live = rec.get("liveness").and_then(|(_, v)| self.str_(v));
                let ready = rec.get("readiness").and_then(|(_, v)| self.str_(v));
                match (live, ready) {
                    (Some(l), Some(r)) => Some(ir::Health {
                        liveness: l,
                        readiness: r,
                    }),
                    (Some(p), None) | (None, Some(p)) => Some(ir::Health {
                        liveness: p.clone(),
                        readiness: p,
                    }),
                    (None, None) => {
                        self.missing(v.span, "`health`", "liveness");
                        None
                    }
                }
            }
        }
    }

    fn manifests(&mut self, v: &super::V) -> ir::Manifests {
        let Some(var) = self.variant_(v, "a manifests source", &["generated", "existing", "helm"])
        else {
            return ir::Manifests::Generated;
        };
        match var.tag {
            "generated" => {
                self.check_keys(&var.fields, "`generated`", &[]);
                ir::Manifests::Generated
            }
            "existing" => {
                self.check_keys(&var.fields, "`existing`", &["path"]);
                match var.fields.get("path").and_then(|(_, p)| self.str_(p)) {
                    Some(path) => ir::Manifests::Existing { path },
                    None => {
                        if !var.fields.contains_key("path") {
                            self.missing(var.span, "`existing`", "path");
                        }
                        ir::Manifests::Generated
                    }
                }
            }
            _ => {
                self.check_keys(&var.fields, "`helm`", &["chart", "values"]);
                let chart = var.fields.get("chart").and_then(|(_, p)| self.str_(p));
                let values = var
                    .fields
                    .get("values")
                    .and_then(|(_, p)| self.str_(p))
                    .unwrap_or_else(|| "values-{env}.yaml".into());
                match chart {
                    Some(chart) => ir::Manifests::Helm { chart, values },
                    None => {
                        self.missing(var.span, "`helm`", "chart");
                        ir::Manifests::Generated
                    }
                }
            }
        }
    }
}

impl<'a> Ctx<'a> {
    /// An `in ENV { ... }` block: the environment it names, that name, and its fields (only
    /// `allowed` ones). A block without a name is E0005 with `example` as the fix.
    pub(super) fn in_env_block<'b>(
        &mut self,
        d: &'b crate::ast::Decl,
        example: &str,
        allowed: &'static [&'static str],
    ) -> Option<(ir::EnvId, crate::ast::Ident, super::fields::Fields<'b>)> {
        let Some(crate::ast::Name::Ident(name)) = &d.name else {
            let diag = Diagnostic::new(
                Code::MissingField,
                d.keyword.span,
                "`in` needs an environment name",
            )
            .label(format!("write `{example}`"));
            self.diags.push(diag);
            return None;
        };
        let ev = super::V::new(
            self.global(&name.name)
                .unwrap_or(VK::Sym(name.name.clone())),
            name.span,
        );
        let env = self.env_(&ev)?;
        let of = self.fields(
            d.body.as_ref(),
            format!("`in {}`", name.name),
            name.span,
            allowed,
            &[],
        );
        Some((env, name.clone(), of))
    }
}
