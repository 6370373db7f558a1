//! Rendering diagnostics: human (miette), JSON, GitHub workflow commands and SARIF 2.1.0.

use super::{Diagnostic, Severity, SourceMap};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource};
use serde_json::json;
use std::fmt;

/// How diagnostics are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Source excerpts with labels, for people.
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub workflow commands (`::error file=...`), shown inline on pull requests.
    Github,
    /// One SARIF 2.1.0 log, for code-scanning upload.
    Sarif,
}

/// Renders all diagnostics in `format`. `color` applies to `Human` only.
pub fn render(
    diags: &[Diagnostic],
    sources: &SourceMap,
    format: MessageFormat,
    color: bool,
) -> String {
    match format {
        MessageFormat::Human => diags.iter().map(|d| human(d, sources, color)).collect(),
        MessageFormat::Json => diags
            .iter()
            .map(|d| format!("{}\n", to_json(d, sources)))
            .collect(),
        MessageFormat::Github => diags.iter().map(|d| github(d, sources)).collect(),
        MessageFormat::Sarif => sarif(diags, sources),
    }
}

struct Report<'a> {
    diag: &'a Diagnostic,
    source: NamedSource<String>,
    labels: Vec<LabeledSpan>,
}

impl fmt::Debug for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl fmt::Display for Report<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.diag.message)
    }
}

impl std::error::Error for Report<'_> {}

impl miette::Diagnostic for Report<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.diag.code.as_str()))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diag.severity() {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(h.as_str()) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().cloned()))
    }
}

fn human(d: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let file = sources.get(d.primary.span.file);
    let text_len = file.text.len();
    let clamp = |s: super::Span| {
        let start = (s.start as usize).min(text_len);
        let end = (s.end as usize).clamp(start, text_len);
        (start, end - start)
    };
    let label = |l: &super::Label, primary: bool| {
        let (start, len) = clamp(l.span);
        let text = (!l.message.is_empty()).then(|| l.message.clone());
        if primary {
            LabeledSpan::new_primary_with_span(text, (start, len))
        } else {
            LabeledSpan::new_with_span(text, (start, len))
        }
    };
    let mut labels = vec![label(&d.primary, true)];
    let same_file = d
        .secondary
        .iter()
        .filter(|l| l.span.file == d.primary.span.file);
    labels.extend(same_file.map(|l| label(l, false)));
    let report = Report {
        diag: d,
        source: NamedSource::new(file.name.clone(), file.text.to_string()),
        labels,
    };
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false);
    let mut out = String::new();
    if handler.render_report(&mut out, &report).is_err() {
        out = format!("{}: {}\n", d.code.as_str(), d.message);
    }
    out.push('\n');
    out
}

fn location(sources: &SourceMap, span: super::Span) -> serde_json::Value {
    let (line, col) = sources.line_col(span.file, span.start);
    let (end_line, end_col) = sources.line_col(span.file, span.end);
    json!({
        "file": sources.get(span.file).name,
        "start": span.start, "end": span.end,
        "line": line, "column": col, "end_line": end_line, "end_column": end_col,
    })
}

fn severity_word(d: &Diagnostic) -> &'static str {
    match d.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// One diagnostic as a JSON object (the `json` message format).
pub fn to_json(d: &Diagnostic, sources: &SourceMap) -> serde_json::Value {
    let secondary: Vec<_> = d
        .secondary
        .iter()
        .map(|l| json!({"message": l.message, "location": location(sources, l.span)}))
        .collect();
    json!({
        "code": d.code.as_str(),
        "severity": severity_word(d),
        "message": d.message,
        "label": d.primary.message,
        "location": location(sources, d.primary.span),
        "secondary": secondary,
        "help": d.help,
    })
}

/// Escapes workflow-command data (`%`, CR, LF) and property values (also `:` and `,`).
fn gh_escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn github(d: &Diagnostic, sources: &SourceMap) -> String {
    let span = d.primary.span;
    let (line, col) = sources.line_col(span.file, span.start);
    let (end_line, end_col) = sources.line_col(span.file, span.end);
    let mut message = d.message.clone();
    if let Some(h) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(h);
    }
    format!(
        "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}\n",
        severity_word(d),
        gh_escape(&sources.get(span.file).name, true),
        line,
        col,
        end_line,
        end_col,
        gh_escape(&format!("gitopsc {}", d.code.as_str()), true),
        gh_escape(&message, false)
    )
}

fn sarif(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut codes: Vec<_> = diags.iter().map(|d| d.code).collect();
    codes.sort();
    codes.dedup();
    let rules: Vec<_> = codes
        .iter()
        .map(|c| {
            json!({
                "id": c.as_str(),
                "shortDescription": {"text": c.summary()},
                "helpUri": format!("https://gitopsc.dev/errors/{}.html", c.as_str()),
            })
        })
        .collect();
    let results: Vec<_> = diags
        .iter()
        .map(|d| sarif_result(d, sources, &codes))
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "gitopsc",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://gitopsc.dev",
                "rules": rules,
            }},
            "results": results,
        }],
    });
    format!(
        "{}\n",
        serde_json::to_string_pretty(&log).unwrap_or_default()
    )
}

fn sarif_result(d: &Diagnostic, sources: &SourceMap, codes: &[super::Code]) -> serde_json::Value {
    let span = d.primary.span;
    let (line, col) = sources.line_col(span.file, span.start);
    let (end_line, end_col) = sources.line_col(span.file, span.end);
    let index = codes.iter().position(|c| *c == d.code).unwrap_or(0);
    json!({
        "ruleId": d.code.as_str(),
        "ruleIndex": index,
        "level": severity_word(d),
        "message": {"text": d.message},
        "locations": [{"physicalLocation": {
            "artifactLocation": {"uri": sources.get(span.file).name},
            "region": {"startLine": line, "startColumn": col, "endLine": end_line, "endColumn": end_col},
        }}],
    })
}
