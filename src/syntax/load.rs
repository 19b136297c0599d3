//! Loading a script from disk or memory, with its `include`d files spliced in.
//!
//! Later phases see one [`ast::Module`]: the declarations of an included file
//! stand where its `include` stood (the `Include` declaration is kept, just
//! before them). Every file read is added to the [`SourceMap`], so spans of
//! included declarations point into their own file.
//!
//! `include "f.csp"` is resolved relative to the folder of the including
//! file, then relative to the top-level file's folder (for [`load_str`]: the
//! current directory). A missing or unreadable file is reported at the
//! include's span; an include cycle is an error.

use super::ast::{self, Decl, DeclKind};
use super::diagnostic::{Diagnostic, Severity};
use super::parser::parse_module;
use super::span::{FileId, SourceFile, SourceMap, Span};
use std::path::{Path, PathBuf};

/// A successfully loaded script: its files and its declarations.
#[derive(Debug)]
pub struct Loaded {
    /// Every file read (the top-level file first, then includes in load order).
    pub sources: SourceMap,
    /// All declarations, includes spliced in place.
    pub module: ast::Module,
}

/// A script that could not be loaded: the files read so far and every error.
#[derive(Debug)]
pub struct LoadFailure {
    /// Every file read (so diagnostics can be rendered).
    pub sources: SourceMap,
    /// Parse errors, missing includes, include cycles, unreadable files.
    pub diagnostics: Vec<Diagnostic>,
}

/// Includes nested deeper than this are rejected (cycles are caught earlier).
const MAX_INCLUDE_DEPTH: usize = 64;

/// Loads the script at `path` and everything it includes.
pub fn load_file(path: &Path) -> Result<Loaded, LoadFailure> {
    let mut loader = Loader::new(path.parent().map(Path::to_path_buf));
    let name = path.display().to_string();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            loader.diagnostics.push(Diagnostic {
                severity: Severity::Error,
                code: "io",
                message: format!("cannot read `{name}`: {e}"),
                labels: Vec::new(),
                notes: Vec::new(),
                help: None,
            });
            return loader.finish(Vec::new());
        }
    };
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let Some(id) = loader.add_file(name, Some(path.to_path_buf()), bytes, None) else {
        return loader.finish(Vec::new());
    };
    loader.stack.push(canonical);
    let decls = loader.load(id, path.parent().map(Path::to_path_buf));
    loader.finish(decls)
}

/// Loads a script given as text; `name` is how diagnostics refer to it.
pub fn load_str(name: &str, text: &str) -> Result<Loaded, LoadFailure> {
    let mut loader = Loader::new(None);
    let id = loader
        .sources
        .add(SourceFile::new(name, None, text.to_string()));
    let decls = loader.load(id, None);
    loader.finish(decls)
}

/// State of one load: files read, errors so far, the include chain.
struct Loader {
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
    /// The top-level file's folder (fallback for includes).
    top_dir: Option<PathBuf>,
    /// Canonical paths of the files being loaded, outermost first.
    stack: Vec<PathBuf>,
}

impl Loader {
    fn new(top_dir: Option<PathBuf>) -> Loader {
        Loader {
            sources: SourceMap::new(),
            diagnostics: Vec::new(),
            top_dir,
            stack: Vec::new(),
        }
    }

    fn finish(self, decls: Vec<Decl>) -> Result<Loaded, LoadFailure> {
        if self.diagnostics.is_empty() {
            Ok(Loaded {
                sources: self.sources,
                module: ast::Module { decls },
            })
        } else {
            Err(LoadFailure {
                sources: self.sources,
                diagnostics: self.diagnostics,
            })
        }
    }

    /// Adds a file to the source map; reports non-UTF-8 contents (at the
    /// first bad byte) and returns `None` for them.
    fn add_file(
        &mut self,
        name: String,
        path: Option<PathBuf>,
        bytes: Vec<u8>,
        include_span: Option<Span>,
    ) -> Option<FileId> {
        match String::from_utf8(bytes) {
            Ok(text) => Some(self.sources.add(SourceFile::new(name, path, text))),
            Err(e) => {
                let bad = e.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(e.as_bytes()).into_owned();
                let id = self.sources.add(SourceFile::new(name.clone(), path, lossy));
                let mut d = Diagnostic::error(
                    "io",
                    format!("`{name}` is not UTF-8 text"),
                    Span::new(id, bad, bad + 1),
                )
                .with_label_text("this byte is not valid UTF-8");
                if let Some(s) = include_span {
                    d = d.with_label(s, "included here");
                }
                self.diagnostics.push(d);
                None
            }
        }
    }

    /// Parses file `id` and splices in its includes.
    fn load(&mut self, id: FileId, dir: Option<PathBuf>) -> Vec<Decl> {
        let text = self.sources.file(id).text.clone();
        let module = match parse_module(&text, id) {
            Ok(m) => m,
            Err(diags) => {
                self.diagnostics.extend(diags);
                return Vec::new();
            }
        };
        let mut out = Vec::with_capacity(module.decls.len());
        for decl in module.decls {
            let include = match &decl.kind {
                DeclKind::Include(name) => Some((name.clone(), decl.span)),
                _ => None,
            };
            out.push(decl);
            if let Some((name, span)) = include {
                out.extend(self.include(&name, span, dir.as_deref()));
            }
        }
        out
    }

    /// Resolves, reads and loads one `include`.
    fn include(&mut self, name: &str, span: Span, dir: Option<&Path>) -> Vec<Decl> {
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            self.diagnostics.push(
                Diagnostic::error(
                    "include",
                    format!("includes are nested more than {MAX_INCLUDE_DEPTH} deep"),
                    span,
                )
                .with_label_text("while including this"),
            );
            return Vec::new();
        }
        let mut tried = Vec::new();
        let mut candidates = Vec::new();
        let given = Path::new(name);
        if given.is_absolute() {
            candidates.push(given.to_path_buf());
        } else {
            candidates.push(dir.unwrap_or(Path::new(".")).join(given));
            if let Some(top) = &self.top_dir {
                candidates.push(top.join(given));
            }
        }
        let found = candidates.into_iter().find(|c| {
            tried.push(c.display().to_string());
            c.is_file()
        });
        let Some(path) = found else {
            tried.dedup();
            self.diagnostics.push(
                Diagnostic::error(
                    "include",
                    format!("cannot find included file `{name}`"),
                    span,
                )
                .with_label_text("included here")
                .with_note(format!("looked for: {}", tried.join(", "))),
            );
            return Vec::new();
        };
        let canonical = path.canonicalize().unwrap_or_else(|_| path.clone());
        if self.stack.contains(&canonical) {
            let chain: Vec<String> = self
                .stack
                .iter()
                .chain(std::iter::once(&canonical))
                .map(|p| {
                    p.file_name()
                        .map_or_else(|| p.display().to_string(), |f| f.to_string_lossy().into())
                })
                .collect();
            self.diagnostics.push(
                Diagnostic::error(
                    "include",
                    format!("include cycle: `{name}` is already being loaded"),
                    span,
                )
                .with_label_text("this include closes the cycle")
                .with_note(format!("cycle: {}", chain.join(" -> "))),
            );
            return Vec::new();
        }
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                self.diagnostics.push(
                    Diagnostic::error("io", format!("cannot read `{name}`: {e}"), span)
                        .with_label_text("included here"),
                );
                return Vec::new();
            }
        };
        let shown = path.display().to_string();
        let Some(id) = self.add_file(shown, Some(path.clone()), bytes, Some(span)) else {
            return Vec::new();
        };
        self.stack.push(canonical);
        let decls = self.load(id, path.parent().map(Path::to_path_buf));
        self.stack.pop();
        decls
    }
}
