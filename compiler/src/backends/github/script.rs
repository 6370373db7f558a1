//! Script rendering: every run-time reference in a script becomes an environment variable.
//!
//! Invariant (the security core of the backend): text this module returns for a `run:` script
//! (or a `github-script` body) never contains `${{`. Each reference is bound once per step to
//! a variable with a deterministic name (`GIT_SHA`, `INPUT_TARGET`, `NEEDS_BUILD_DIGEST`...),
//! the variable's `${{ expr }}` value goes into the step's `env:`, and the script reads the
//! variable the way its language does (in a shell, between quotes when the reference stands
//! inside a single-quoted string). A literal `${{` in a script is routed the same way.

use super::expr;
use super::model::IndexMap;
use super::Ctx;
use crate::ir::{GitField, Ref, Template, TemplatePart};
use std::borrow::Cow;
use std::collections::BTreeMap;

/// How a script reads an environment variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// bash (GitHub's default on Linux and macOS runners).
    Bash,
    /// A POSIX shell without bash's substring expansion.
    Sh,
    Pwsh,
    Cmd,
    /// JavaScript (the `script` input of `actions/github-script`).
    Js,
}

impl Lang {
    /// The language of a `shell:` value; anything unknown is treated like bash.
    pub fn of_shell(shell: &str) -> Lang {
        let program = shell.split_whitespace().next().unwrap_or("bash");
        match program {
            "sh" | "dash" => Lang::Sh,
            "pwsh" | "powershell" => Lang::Pwsh,
            "cmd" => Lang::Cmd,
            _ => Lang::Bash,
        }
    }
}

/// How a script of `lang` reads `var` (its first seven characters when `short`), at a point
/// of a JavaScript body in state `js`.
fn read(lang: Lang, js: JsState, var: &str, short: bool) -> String {
    match (lang, short) {
        (Lang::Bash | Lang::Sh, false) => format!("${{{var}}}"),
        (Lang::Bash, true) => format!("${{{var}:0:7}}"),
        (Lang::Sh, true) => format!("${{{var}%\"${{{var}#???????}}\"}}"),
        (Lang::Pwsh, false) => format!("${{env:{var}}}"),
        (Lang::Pwsh, true) => format!("$(${{env:{var}}}.Substring(0, 7))"),
        (Lang::Cmd, false) => format!("%{var}%"),
        (Lang::Cmd, true) => format!("%{var}:~0,7%"),
        (Lang::Js, _) => {
            let value = if short {
                format!("process.env.{var}.slice(0, 7)")
            } else {
                format!("process.env.{var}")
            };
            match js {
                JsState::Str(q) => format!("{q} + {value} + {q}"),
                JsState::Template => format!("${{{value}}}"),
                _ => value,
            }
        }
    }
}

/// Where a point of JavaScript text is, so a reference inside a string literal stays part of
/// the string (the value is spliced in by concatenation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsState {
    Code,
    /// Inside a `'` or `"` string.
    Str(char),
    /// Inside a backquoted template literal.
    Template,
    LineComment,
    BlockComment,
}

impl JsState {
    /// The state after `text`.
    fn advance(self, text: &str) -> JsState {
        let mut state = self;
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            state = match (state, c) {
                (JsState::Str(_) | JsState::Template, '\\') => {
                    chars.next();
                    state
                }
                (JsState::Code, '\'' | '"') => JsState::Str(c),
                (JsState::Code, '`') => JsState::Template,
                (JsState::Code, '/') if chars.peek() == Some(&'/') => JsState::LineComment,
                (JsState::Code, '/') if chars.peek() == Some(&'*') => {
                    chars.next();
                    JsState::BlockComment
                }
                (JsState::Str(q), c) if c == q || c == '\n' => JsState::Code,
                (JsState::Template, '`') | (JsState::LineComment, '\n') => JsState::Code,
                (JsState::BlockComment, '*') if chars.peek() == Some(&'/') => {
                    chars.next();
                    JsState::Code
                }
                (s, _) => s,
            };
        }
        state
    }
}

/// Where a point of a POSIX shell script is, so a reference inside a single-quoted string,
/// where no variable expands, is read between quotes (`'a/'"${VAR}"'/b'`). Command
/// substitutions and parentheses nest, each with quotes of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ShState {
    /// Innermost last; never empty.
    stack: Vec<ShQuote>,
    /// The next character starts a word (so `#` starts a comment).
    word_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ShQuote {
    Code,
    Single,
    Double,
    Comment,
}

impl ShState {
    fn start() -> ShState {
        ShState {
            stack: vec![ShQuote::Code],
            word_start: true,
        }
    }

    /// Moves past `text`.
    fn advance(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let at = *self.stack.last().unwrap_or(&ShQuote::Code);
            match (at, c) {
                (ShQuote::Code | ShQuote::Double, '\\') => {
                    chars.next();
                }
                (ShQuote::Code | ShQuote::Double, '$') if chars.peek() == Some(&'(') => {
                    chars.next();
                    self.stack.push(ShQuote::Code);
                }
                (ShQuote::Code, '(') => self.stack.push(ShQuote::Code),
                (ShQuote::Code, '\'') => self.stack.push(ShQuote::Single),
                (ShQuote::Code, '"') => self.stack.push(ShQuote::Double),
                (ShQuote::Code, '#') if self.word_start => self.stack.push(ShQuote::Comment),
                (ShQuote::Code, ')')
                | (ShQuote::Single, '\'')
                | (ShQuote::Double, '"')
                | (ShQuote::Comment, '\n')
                    if self.stack.len() > 1 =>
                {
                    self.stack.pop();
                }
                _ => {}
            }
            self.word_start = c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(');
        }
    }

    /// A variable read at this point of a script of `lang`.
    fn place(&mut self, lang: Lang, read: String) -> String {
        self.word_start = false;
        match (lang, self.stack.last()) {
            (Lang::Bash | Lang::Sh, Some(ShQuote::Single)) => format!("'\"{read}\"'"),
            _ => read,
        }
    }
}

/// What a variable carries: a reference, or the text `${{` itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Bound {
    Ref(Ref),
    ExprOpen,
}

/// The environment of one step: the step's own variables, then one per reference its script
/// reads.
pub struct StepEnv<'c, 'a, 't> {
    ctx: &'c Ctx<'a>,
    /// Variable name to its `${{ }}` value, in the order variables were added.
    pub vars: IndexMap<Cow<'t, str>, Cow<'t, str>>,
    bound: BTreeMap<Bound, String>,
}

impl<'c, 'a, 't> StepEnv<'c, 'a, 't> {
    /// Starts from the step's own `env:` entries, already rendered inline.
    pub fn new(ctx: &'c Ctx<'a>, own: impl Iterator<Item = (Cow<'t, str>, Cow<'t, str>)>) -> Self {
        StepEnv {
            ctx,
            vars: own.collect(),
            bound: BTreeMap::new(),
        }
    }

    /// Renders a script: literal text as written, each reference as a variable read.
    pub fn script<'s>(&mut self, t: &'s Template, lang: Lang) -> Cow<'s, str> {
        let mut out = String::new();
        // Plain text without a reference or a `${{` is the script as it is.
        if t.parts.iter().all(|p| match p {
            TemplatePart::Lit(s) => expr::find_expr_open(s).is_none(),
            TemplatePart::Ref(_) => false,
        }) {
            if let [TemplatePart::Lit(s)] = t.parts.as_slice() {
                return Cow::Borrowed(s);
            }
            for p in &t.parts {
                if let TemplatePart::Lit(s) = p {
                    out.push_str(s);
                }
            }
            return Cow::Owned(out);
        }
        let mut js = JsState::Code;
        let mut sh = ShState::start();
        for p in &t.parts {
            let (bound, short) = match p {
                TemplatePart::Lit(s) => {
                    let mut pieces = s.split("${{");
                    let first = pieces.next().unwrap_or_default();
                    js = js.advance(first);
                    sh.advance(first);
                    out.push_str(first);
                    for piece in pieces {
                        let var = self.bind(Bound::ExprOpen);
                        out.push_str(&sh.place(lang, read(lang, js, &var, false)));
                        js = js.advance(piece);
                        sh.advance(piece);
                        out.push_str(piece);
                    }
                    continue;
                }
                TemplatePart::Ref(Ref::Git(GitField::ShortSha)) => {
                    (Bound::Ref(Ref::Git(GitField::Sha)), true)
                }
                TemplatePart::Ref(r) => (Bound::Ref(r.clone()), false),
            };
            let var = self.bind(bound);
            out.push_str(&sh.place(lang, read(lang, js, &var, short)));
        }
        Cow::Owned(out)
    }

    /// The variable holding `b`, added on first use. A name the step already uses for another
    /// value gets a numeric suffix.
    fn bind(&mut self, b: Bound) -> String {
        if let Some(v) = self.bound.get(&b) {
            return v.clone();
        }
        let (base, value) = match &b {
            Bound::Ref(r) => (var_name(self.ctx, r), expr::ref_inline(self.ctx, r)),
            Bound::ExprOpen => ("GITOPSC_EXPR_OPEN".to_string(), "${{ '${{' }}".to_string()),
        };
        let mut name = base.clone();
        let mut n = 2;
        while let Some(existing) = self.vars.get(name.as_str()) {
            if *existing == value {
                break;
            }
            name = format!("{base}_{n}");
            n += 1;
        }
        self.vars
            .insert(Cow::Owned(name.clone()), Cow::Owned(value));
        self.bound.insert(b, name.clone());
        name
    }
}

/// The deterministic variable name of a reference.
fn var_name(ctx: &Ctx, r: &Ref) -> String {
    let raw = match r {
        Ref::Git(f) => match f {
            GitField::Sha | GitField::ShortSha => "GIT_SHA".to_string(),
            GitField::Ref => "GIT_REF".into(),
            GitField::RefName => "GIT_REF_NAME".into(),
            GitField::Repository => "GIT_REPOSITORY".into(),
            GitField::RepoUrl => "GIT_REPO_URL".into(),
            GitField::Actor => "GIT_ACTOR".into(),
        },
        Ref::Input(n) => format!("INPUT_{n}"),
        Ref::Result { job, name } => format!("NEEDS_{}_{name}", ctx.job_id(*job)),
        Ref::Secret(n) => format!("SECRET_{n}"),
        Ref::Param(p) => format!("PARAM_{p}"),
        Ref::Event(p) => format!("EVENT_{p}"),
        Ref::Matrix(a) => format!("MATRIX_{a}"),
        Ref::RunId => "RUN_ID".into(),
    };
    env_name(&raw)
}

/// Upper case, with every character other than a letter or digit turned into `_`.
pub fn env_name(raw: &str) -> String {
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}
