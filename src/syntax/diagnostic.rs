//! One diagnostic type for every phase, rendered once at the edge.
//!
//! Phases produce [`Diagnostic`]s with spans; [`render`] turns them into the
//! text users read (`file:line:col`, the source line, the span underlined),
//! and [`Diagnostic::to_json`] into the wire form of `--format json`.

use super::span::{SourceMap, Span};
use serde::Serialize;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The script cannot be used.
    Error,
    /// Suspicious but usable.
    Warning,
}

/// A span with a short text shown under it.
#[derive(Clone, Debug, Serialize)]
pub struct Label {
    /// The marked source range.
    pub span: Span,
    /// What the mark means (may be empty).
    pub message: String,
}

/// A located problem report.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A short stable code such as `parse`, `undefined-name`, `arity`.
    pub code: &'static str,
    /// The headline.
    pub message: String,
    /// Marked spans; the first is the primary location.
    pub labels: Vec<Label>,
    /// Extra lines of explanation.
    pub notes: Vec<String>,
    /// A suggestion, if there is one.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with `code` and headline `message`, marked at `span`.
    pub fn error(code: &'static str, message: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            labels: vec![Label {
                span,
                message: String::new(),
            }],
            notes: Vec::new(),
            help: None,
        }
    }

    /// Sets the text of the primary label.
    pub fn with_label_text(mut self, text: impl Into<String>) -> Diagnostic {
        if let Some(l) = self.labels.first_mut() {
            l.message = text.into();
        }
        self
    }

    /// Adds a secondary label.
    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Diagnostic {
        self.labels.push(Label {
            span,
            message: text.into(),
        });
        self
    }

    /// Adds a note line.
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// The primary span.
    pub fn span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }

    /// The JSON form: `{severity, code, message, file, line, column, notes, help, rendered}`.
    pub fn to_json(&self, sources: &SourceMap) -> serde_json::Value {
        let (file, line, column) = match self.span() {
            Some(s) => {
                let f = sources.file(s.file);
                let (l, c) = f.line_col(s.start as usize);
                (f.name.clone(), l, c)
            }
            None => (String::new(), 0, 0),
        };
        serde_json::json!({
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": file,
            "line": line,
            "column": column,
            "notes": self.notes,
            "help": self.help,
            "rendered": render(self, sources),
        })
    }
}

/// Renders one diagnostic as plain text (no colour): headline,
/// `file:line:col`, the source lines with the spans underlined, notes, help.
pub fn render(diag: &Diagnostic, sources: &SourceMap) -> String {
    use ariadne::{Config, Label as ALabel, Report, ReportKind, Source};
    let kind = match diag.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
    };
    let Some(primary) = diag.span() else {
        let mut out = format!("error: {}\n", diag.message);
        for n in &diag.notes {
            out.push_str(&format!("  = note: {n}\n"));
        }
        if let Some(h) = &diag.help {
            out.push_str(&format!("  = help: {h}\n"));
        }
        return out;
    };
    let file = sources.file(primary.file);
    // ariadne counts in characters; convert byte offsets.
    let to_chars = |b: u32| {
        file.text
            .get(..b as usize)
            .map_or(b as usize, |s| s.chars().count())
    };
    let name = sources.location(primary);
    let mut report = Report::build(
        kind,
        (
            name.clone(),
            to_chars(primary.start)..to_chars(primary.start),
        ),
    )
    .with_config(Config::default().with_color(false))
    .with_code(diag.code)
    .with_message(&diag.message);
    for l in diag.labels.iter().filter(|l| l.span.file == primary.file) {
        let range = to_chars(l.span.start)..to_chars(l.span.end.max(l.span.start));
        let mut label = ALabel::new((name.clone(), range));
        if !l.message.is_empty() {
            label = label.with_message(&l.message);
        }
        report = report.with_label(label);
    }
    for n in &diag.notes {
        report = report.with_note(n);
    }
    if let Some(h) = &diag.help {
        report = report.with_help(h);
    }
    let mut buf = Vec::new();
    let written = report
        .finish()
        .write((name.clone(), Source::from(file.text.as_str())), &mut buf);
    match written {
        Ok(()) => String::from_utf8_lossy(&buf).into_owned(),
        Err(_) => format!("error: {} at {}\n", diag.message, name),
    }
}

/// Renders all diagnostics, one after another.
pub fn render_all(diags: &[Diagnostic], sources: &SourceMap) -> String {
    diags.iter().map(|d| render(d, sources)).collect()
}
