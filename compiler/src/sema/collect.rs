//! Collection: every top-level declaration by kind, `use` imports, loops expanded; then the
//! project, registries, secrets and pins, which depend on nothing else.

use super::eval::Scope;
use super::value::{V, VK};
use super::{ActionPin, Ctx, Global, ImagePin, Item};
use crate::ast::{Decl, File, Name, Stmt, StmtKind};
use crate::diagnostics::{Code, Diagnostic, Span};
use crate::ir;
use std::rc::Rc;

const TOP_LEVEL: &[&str] = &[
    "project",
    "registry",
    "service",
    "environment",
    "secret",
    "task",
    "pipeline",
    "deployment",
    "cronjob",
    "pin",
    "image",
];

impl<'a> Ctx<'a> {
    pub(super) fn collect_file(&mut self, file: &'a File, module: Option<&str>) {
        let module: Option<Rc<str>> = module.map(Rc::from);
        for stmt in &file.stmts {
            self.collect_stmt(stmt, &Scope::default(), module.as_ref());
        }
    }

    fn collect_stmt(&mut self, stmt: &'a Stmt, scope: &Scope, module: Option<&Rc<str>>) {
        match &stmt.kind {
            StmtKind::Use { path, alias } => self.collect_use(path, alias.as_ref(), stmt.span),
            StmtKind::For { var, iter, body } => {
                let v = self.eval(iter, scope);
                let name: Rc<str> = var.name.as_str().into();
                for item in self.into_list(v) {
                    let inner = scope.clone().with(name.clone(), item);
                    for s in &body.stmts {
                        self.collect_stmt(s, &inner, module);
                    }
                }
            }
            StmtKind::Attr { key, .. } => self.diags.push(
                Diagnostic::new(
                    Code::UnknownKeyword,
                    key.span,
                    format!(
                        "`{}` is a field, but fields belong inside a declaration",
                        key.name
                    ),
                )
                .label("at the top level")
                .help("put it inside `project`, `service`, `environment`..."),
            ),
            StmtKind::Decl(d) => self.collect_decl(d, stmt.span, scope, module),
        }
    }

    fn collect_use(
        &mut self,
        path: &[crate::ast::Ident],
        alias: Option<&crate::ast::Ident>,
        span: Span,
    ) {
        let names: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
        match names.as_slice() {
            ["std", m] if self.modules.contains_key(*m) => {
                let local = alias.map_or(m.to_string(), |a| a.name.clone());
                self.aliases.insert(local, (*m).into());
            }
            ["std", m] => {
                let mods: Vec<String> = self.modules.keys().cloned().collect();
                let d = Diagnostic::new(
                    Code::UnknownModule,
                    path[1].span,
                    format!("the standard library has no module `{m}`"),
                )
                .label("unknown module")
                .did_you_mean(m, mods.iter().map(String::as_str));
                self.diags.push(d);
            }
            _ => self.diags.push(
                Diagnostic::new(
                    Code::UnknownModule,
                    span,
                    format!("cannot import `{}`", names.join(".")),
                )
                .label("not a standard library module")
                .help("modules are imported as `use std.NAME`"),
            ),
        }
    }

    fn decl_name(&mut self, d: &Decl, scope: &Scope) -> Option<(String, Span)> {
        match &d.name {
            Some(Name::Ident(i)) => Some((i.name.clone(), i.span)),
            Some(Name::Str(s)) => {
                let v = self.eval_str(s, scope);
                self.into_str(v).map(|n| (n, s.span))
            }
            None => None,
        }
    }

    fn collect_decl(&mut self, d: &'a Decl, span: Span, scope: &Scope, module: Option<&Rc<str>>) {
        let kw = d.keyword.name.as_str();
        if !TOP_LEVEL.contains(&kw) {
            self.unknown_keyword(kw, d.keyword.span, "a file", TOP_LEVEL);
            return;
        }
        let Some((name, name_span)) = self.decl_name(d, scope) else {
            if d.name.is_none() {
                let msg = format!("a `{kw}` declaration needs a name");
                self.diags.push(
                    Diagnostic::new(Code::MissingField, d.keyword.span, msg)
                        .label("name expected after this"),
                );
            }
            return;
        };
        let item = Item {
            decl: d,
            span,
            name,
            name_span,
            scope: scope.clone(),
            module: module.cloned(),
        };
        match kw {
            "project" => self.add_project(item),
            "registry" => self.add_global(item, |cx, i| Global::Registry(cx.push_registry_item(i))),
            "environment" => self.add_global(item, |cx, i| Global::Env(cx.push_env_item(i))),
            "service" => self.add_global(item, |cx, i| Global::Service(cx.push_service_item(i))),
            "task" => self.add_task(item),
            "pipeline" => self.add_unique(item, |cx| &mut cx.pipeline_items),
            "deployment" => self.add_unique(item, |cx| &mut cx.deployment_items),
            "cronjob" => self.add_unique(item, |cx| &mut cx.cronjob_items),
            "secret" => self.add_secret(item),
            "pin" => self.add_pin(item),
            _ => self.add_image(item),
        }
    }

    fn add_project(&mut self, item: Item<'a>) {
        if let Some(first) = &self.project {
            let d = Diagnostic::new(
                Code::ProjectMissing,
                item.name_span,
                "a program has exactly one `project`",
            )
            .label("second project")
            .secondary(first.name_span, "first project");
            self.diags.push(d);
            return;
        }
        self.project = Some(item);
    }

    fn duplicate(&mut self, name: &str, span: Span, first: Span) {
        let d = Diagnostic::new(Code::Duplicate, span, format!("`{name}` is declared twice"))
            .label("declared again here")
            .secondary(first, "first declared here");
        self.diags.push(d);
    }

    fn add_global(&mut self, item: Item<'a>, push: impl FnOnce(&mut Self, Item<'a>) -> Global) {
        if let Some((_, first)) = self.names.get(&item.name) {
            let first = *first;
            self.duplicate(&item.name, item.name_span, first);
            return;
        }
        let (name, span) = (item.name.clone(), item.name_span);
        let g = push(self, item);
        self.names.insert(name, (g, span));
    }

    fn push_registry_item(&mut self, item: Item<'a>) -> usize {
        self.registry_items.push(item);
        self.registry_items.len() - 1
    }

    fn push_env_item(&mut self, item: Item<'a>) -> usize {
        self.env_items.push(item);
        self.env_items.len() - 1
    }

    fn push_service_item(&mut self, item: Item<'a>) -> usize {
        self.service_items.push(item);
        self.service_items.len() - 1
    }

    fn add_task(&mut self, item: Item<'a>) {
        let key = match &item.module {
            Some(m) => format!("{m}.{}", item.name),
            None => item.name.clone(),
        };
        if let Some(first) = self.task_items.get(&key) {
            let first = first.name_span;
            self.duplicate(&item.name, item.name_span, first);
            return;
        }
        if item.module.is_none() {
            if let Some((_, first)) = self.names.get(&item.name) {
                let first = *first;
                self.duplicate(&item.name, item.name_span, first);
                return;
            }
            self.names.insert(
                item.name.clone(),
                (Global::Task(key.as_str().into()), item.name_span),
            );
        }
        self.tasks.insert(key.clone(), None);
        self.task_items.insert(key, item);
    }

    fn add_unique(&mut self, item: Item<'a>, list: impl Fn(&mut Self) -> &mut Vec<Item<'a>>) {
        if let Some(first) = list(self)
            .iter()
            .find(|i| i.name == item.name)
            .map(|i| i.name_span)
        {
            self.duplicate(&item.name, item.name_span, first);
            return;
        }
        list(self).push(item);
    }

    fn add_secret(&mut self, item: Item<'a>) {
        if let Some((first, _)) = self.secrets.get(&item.name) {
            let first = *first;
            self.duplicate(&item.name, item.name_span, first);
            return;
        }
        let f = self.fields(
            item.decl.body.as_ref(),
            super::fields::What::named("secret", &item.name),
            item.name_span,
            &["description"],
            &[],
        );
        let description = self
            .get(&f, "description", &item.scope)
            .and_then(|v| self.into_str(v))
            .unwrap_or_default();
        self.secrets
            .insert(item.name.clone(), (item.name_span, description));
    }

    fn add_pin(&mut self, item: Item<'a>) {
        let what = super::fields::What::named("pin", &item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            &["sha", "version"],
            &[],
        );
        let sha = self
            .require(&f, "sha", &item.scope)
            .and_then(|v| self.into_str(v));
        let version = self
            .require(&f, "version", &item.scope)
            .and_then(|v| self.into_str(v));
        let (Some(sha), Some(version)) = (sha, version) else {
            return;
        };
        if !is_full_sha(&sha) {
            let span = f.expr("sha").map_or(item.name_span, |e| e.span);
            let d = Diagnostic::new(
                Code::UnpinnedAction,
                span,
                format!("`{sha}` is not a full 40-character commit SHA"),
            )
            .label("not a full SHA")
            .help("pin the commit the release tag points to (`git rev-list -n1 TAG`)");
            self.diags.push(d);
            return;
        }
        // A later pin (the user's program comes after the stdlib) overrides an earlier one.
        let key = if item.name.bytes().any(|b| b.is_ascii_uppercase()) {
            item.name.to_ascii_lowercase()
        } else {
            item.name
        };
        self.pins.insert(
            key,
            ActionPin {
                sha,
                version,
                span: item.name_span,
            },
        );
    }

    fn add_image(&mut self, item: Item<'a>) {
        let what = super::fields::What::named("image", &item.name);
        let f = self.fields(
            item.decl.body.as_ref(),
            what,
            item.name_span,
            &["name", "tag", "digest"],
            &[],
        );
        let name = self
            .require(&f, "name", &item.scope)
            .and_then(|v| self.into_str(v));
        let tag = self
            .require(&f, "tag", &item.scope)
            .and_then(|v| self.into_str(v));
        let digest = self
            .get(&f, "digest", &item.scope)
            .and_then(|v| self.into_str(v));
        let (Some(name), Some(tag)) = (name, tag) else {
            return;
        };
        let reference = match digest {
            Some(d) if !d.is_empty() => format!("{name}:{tag}@{d}"),
            _ => format!("{name}:{tag}"),
        };
        self.images.insert(
            item.name.clone(),
            ImagePin {
                reference,
                span: item.name_span,
            },
        );
    }

    pub(super) fn check_project(&mut self) {
        let Some(item) = self.project.clone() else {
            let span = self.first_span();
            let d = Diagnostic::new(
                Code::ProjectMissing,
                span,
                "the program has no `project` declaration",
            )
            .label("expected a project")
            .help("add `project NAME { app_repo = \"https://github.com/OWNER/REPO\" }`");
            self.diags.push(d);
            return;
        };
        const FIELDS: &[&str] = &[
            "app_repo",
            "gitops_repo",
            "branch",
            "argocd_namespace",
            "tekton_namespace",
            "paths",
        ];
        let f = self.fields(
            item.decl.body.as_ref(),
            format!("project `{}`", item.name),
            item.name_span,
            FIELDS,
            &[],
        );
        self.k8s_name(&item.name, item.name_span, "a project");
        let app = self
            .require(&f, "app_repo", &item.scope)
            .and_then(|v| self.url_(&v))
            .unwrap_or_default();
        let gitops = self
            .get(&f, "gitops_repo", &item.scope)
            .and_then(|v| self.url_(&v))
            .unwrap_or_else(|| app.clone());
        let text = |cx: &mut Self, name: &str, default: &str| {
            cx.get(&f, name, &item.scope)
                .and_then(|v| cx.into_str(v))
                .unwrap_or_else(|| default.to_string())
        };
        self.project_ir = ir::Project {
            name: item.name.clone(),
            app_repo: app,
            gitops_repo: gitops,
            default_branch: text(self, "branch", "main"),
            argocd_namespace: text(self, "argocd_namespace", "argocd"),
            tekton_namespace: text(self, "tekton_namespace", "tekton-pipelines"),
        };
        if let Some(v) = self.get(&f, "paths", &item.scope) {
            self.routing_paths(&v);
        }
    }

    fn routing_paths(&mut self, v: &V) {
        let Some(rec) = self.record_(v) else { return };
        self.check_keys(
            &rec,
            "`paths`",
            &["github", "tekton", "argocd", "kustomize"],
        );
        for (k, (_, val)) in rec.iter() {
            let Some(p) = self.str_(val) else { continue };
            let p = p.trim_matches('/').to_string();
            match k.as_str() {
                "github" => self.routing.github = p,
                "tekton" => self.routing.tekton = p,
                "argocd" => self.routing.argocd = p,
                "kustomize" => self.routing.kustomize = p,
                _ => {}
            }
        }
    }

    /// An `https://` (or `ssh`/`git@`) repository URL.
    pub fn url_(&mut self, v: &V) -> Option<String> {
        let s = self.str_(v)?;
        let ok = (s.starts_with("https://")
            || s.starts_with("http://")
            || s.starts_with("git@")
            || s.starts_with("ssh://"))
            && !s.contains(char::is_whitespace);
        if !ok {
            let d = Diagnostic::new(
                Code::InvalidValue,
                v.span,
                format!("`{s}` is not a repository URL"),
            )
            .label("expected `https://…` or `git@…`");
            self.diags.push(d);
            return None;
        }
        Some(s)
    }

    fn first_span(&self) -> Span {
        self.service_items
            .first()
            .or(self.env_items.first())
            .or(self.pipeline_items.first())
            .map(|i| Span {
                end: i.span.start,
                ..i.span
            })
            .unwrap_or_default()
    }

    pub(super) fn check_registries(&mut self) {
        for item in self.registry_items.clone() {
            let reg = self.registry(&item);
            std::sync::Arc::make_mut(&mut self.registries).push(reg);
        }
    }

    fn registry(&mut self, item: &Item<'a>) -> ir::Registry {
        let fallback = ir::Registry {
            name: item.name.clone(),
            kind: ir::RegistryKind::Generic {
                host: "localhost".into(),
                prefix: String::new(),
            },
        };
        let Some(value) = &item.decl.value else {
            let d = Diagnostic::new(
                Code::MissingField,
                item.name_span,
                format!("registry `{}` needs a kind", item.name),
            )
            .label("write `registry NAME = ghcr { owner = \"…\" }`")
            .help("the kinds are ecr, ghcr, dockerhub, harbor and generic");
            self.diags.push(d);
            return fallback;
        };
        let v = self.eval(value, &item.scope);
        let Some(var) = self.variant_(
            &v,
            "a registry kind",
            &["ecr", "ghcr", "dockerhub", "harbor", "generic"],
        ) else {
            return fallback;
        };
        let what = format!("a `{}` registry", var.tag);
        let allowed: &[&str] = match var.tag {
            "ecr" => &["account", "region", "role", "create_repositories"],
            "ghcr" => &["owner"],
            "dockerhub" => &["namespace", "username", "token"],
            "harbor" => &["host", "project", "username", "token"],
            _ => &["host", "prefix"],
        };
        self.check_keys(&var.fields, &what, allowed);
        let s = |cx: &mut Self, k: &str, required: bool| -> String {
            match var.fields.get(k) {
                Some((_, v)) => match (&v.kind, k) {
                    (VK::Secret(name), _) => name.clone(),
                    (_, "username" | "token") => {
                        cx.mismatch(v, "a secret (`secrets.NAME`)");
                        String::new()
                    }
                    _ => cx.str_(v).unwrap_or_default(),
                },
                None => {
                    if required {
                        cx.missing(var.span, &what, k);
                    }
                    String::new()
                }
            }
        };
        let kind = match var.tag {
            "ecr" => {
                let account = s(self, "account", true);
                if !account.is_empty()
                    && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
                {
                    let span = var.fields.get("account").map_or(var.span, |(_, v)| v.span);
                    let d =
                        Diagnostic::new(Code::InvalidValue, span, "an AWS account id is 12 digits")
                            .label("not an account id");
                    self.diags.push(d);
                }
                let create = var
                    .fields
                    .get("create_repositories")
                    .and_then(|(_, v)| self.bool_(v))
                    .unwrap_or(false);
                let role = s(self, "role", false);
                ir::RegistryKind::Ecr {
                    account,
                    region: s(self, "region", true),
                    role: (!role.is_empty()).then_some(role),
                    create_repositories: create,
                }
            }
            "ghcr" => ir::RegistryKind::Ghcr {
                owner: s(self, "owner", true).to_ascii_lowercase(),
            },
            "dockerhub" => ir::RegistryKind::DockerHub {
                namespace: s(self, "namespace", true),
                username: s(self, "username", true),
                token: s(self, "token", true),
            },
            "harbor" => ir::RegistryKind::Harbor {
                host: s(self, "host", true),
                project: s(self, "project", true),
                username: s(self, "username", true),
                token: s(self, "token", true),
            },
            _ => ir::RegistryKind::Generic {
                host: s(self, "host", true),
                prefix: s(self, "prefix", false),
            },
        };
        ir::Registry {
            name: item.name.clone(),
            kind,
        }
    }
}

/// Whether `s` is a full 40-character hexadecimal commit SHA.
pub fn is_full_sha(s: &str) -> bool {
    s.len() == 40
        && s.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

impl V {
    /// The value as a secret name, when it is one.
    pub fn secret_name(&self) -> Option<&str> {
        match &self.kind {
            VK::Secret(n) => Some(n),
            _ => None,
        }
    }
}
