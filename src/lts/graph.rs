//! Process graphs for people: Graphviz DOT and JSON export of LTSs.
//!
//! `hoare graph` shows either the whole LTS of a process (from the reference
//! explorer, so it is exactly the term semantics) or the LTS of each leaf of
//! its compiled network. Events are in CSPM notation; τ and ✓ are shown.

use super::explicit::ExplicitLts;
use super::{compile, describe_term, reference, CompileOptions, Forcer};
use crate::eval::ProcRef;
use crate::syntax::Diagnostic;
use serde::Serialize;
use std::fmt::Write;

/// An LTS ready to print: states with descriptions, labelled transitions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LtsGraph {
    /// What the graph shows (process name, or leaf number and term).
    pub name: String,
    /// The initial state's id.
    pub initial: u32,
    /// The states, by id.
    pub states: Vec<GraphState>,
    /// The transitions, by source state.
    pub transitions: Vec<GraphTransition>,
}

/// One state of an [`LtsGraph`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphState {
    /// State number.
    pub id: u32,
    /// The state's process term.
    pub label: String,
    /// True for Ω (successfully terminated).
    pub terminated: bool,
}

/// One transition of an [`LtsGraph`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct GraphTransition {
    /// Source state.
    pub from: u32,
    /// Target state.
    pub to: u32,
    /// The event in CSPM notation, `τ` or `✓`.
    pub event: String,
}

fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl LtsGraph {
    fn from_explicit(name: String, lts: &ExplicitLts, label: impl Fn(u32) -> String) -> LtsGraph {
        LtsGraph {
            name,
            initial: 0,
            states: (0..lts.num_states() as u32)
                .map(|s| GraphState {
                    id: s,
                    label: label(s),
                    terminated: lts.terminated[s as usize],
                })
                .collect(),
            transitions: lts
                .transitions
                .iter()
                .enumerate()
                .flat_map(|(s, ts)| {
                    ts.iter().map(move |&(e, t)| GraphTransition {
                        from: s as u32,
                        to: t,
                        event: lts.events.name(e),
                    })
                })
                .collect(),
        }
    }

    /// The graph as a Graphviz `digraph`.
    pub fn to_dot(&self) -> String {
        let mut out = format!("digraph \"{}\" {{\n", escape(&self.name));
        self.write_body(&mut out, "", "  ");
        out.push_str("}\n");
        out
    }

    fn write_body(&self, out: &mut String, prefix: &str, indent: &str) {
        let _ = writeln!(
            out,
            "{indent}node [shape=box, style=rounded, fontname=\"monospace\"];"
        );
        let _ = writeln!(out, "{indent}{prefix}start [shape=point, label=\"\"];");
        let _ = writeln!(out, "{indent}{prefix}start -> {prefix}s{};", self.initial);
        for s in &self.states {
            let extra = if s.terminated { ", peripheries=2" } else { "" };
            let _ = writeln!(
                out,
                "{indent}{prefix}s{} [label=\"{}\"{extra}];",
                s.id,
                escape(&s.label)
            );
        }
        for t in &self.transitions {
            let style = if t.event == "τ" {
                ", style=dashed"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "{indent}{prefix}s{} -> {prefix}s{} [label=\"{}\"{style}];",
                t.from,
                t.to,
                escape(&t.event)
            );
        }
    }

    /// The graph as pretty-printed JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// Several graphs (e.g. the leaves of a network) as one DOT file, one cluster each.
pub fn graphs_to_dot(name: &str, graphs: &[LtsGraph]) -> String {
    let mut out = format!("digraph \"{}\" {{\n", escape(name));
    for (i, g) in graphs.iter().enumerate() {
        let _ = writeln!(out, "  subgraph cluster_{i} {{");
        let _ = writeln!(out, "    label=\"{}\";", escape(&g.name));
        g.write_body(&mut out, &format!("g{i}_"), "    ");
        out.push_str("  }\n");
    }
    out.push_str("}\n");
    out
}

/// The whole LTS of `term` by the reference semantics, at most `max_states` states.
pub fn process_graph(
    name: &str,
    term: &ProcRef,
    forcer: &dyn Forcer,
    max_states: usize,
) -> Result<LtsGraph, Diagnostic> {
    let r = reference::explore(term, forcer, max_states).map_err(|d| {
        d.with_help("show the compiled leaves instead (`hoare graph --leaves`), or raise the limit")
    })?;
    Ok(LtsGraph::from_explicit(name.to_string(), &r.lts, |s| {
        describe_term(&r.terms[s as usize], forcer)
    }))
}

/// The LTS of each leaf of the compiled network of `term`, in leaf order.
pub fn leaf_graphs(
    term: &ProcRef,
    forcer: &dyn Forcer,
    options: &CompileOptions,
) -> Result<Vec<LtsGraph>, Diagnostic> {
    let net = compile(term.clone(), forcer, options)?;
    let mut out = Vec::new();
    for i in 0..net.leaf_count() {
        let (Some(leaf), Some(t)) = (net.leaf(i), net.leaf_term(i)) else {
            continue;
        };
        let n = leaf.num_states as usize;
        let lts = ExplicitLts {
            events: net.events().clone(),
            transitions: (0..leaf.num_states)
                .map(|s| leaf.transitions_of(s).to_vec())
                .collect(),
            terminated: (0..n as u32).map(|s| Some(s) == leaf.omega).collect(),
        };
        out.push(LtsGraph::from_explicit(
            format!("leaf {i}: {}", describe_term(t, forcer)),
            &lts,
            |s| leaf.describe_state(s, forcer),
        ));
    }
    Ok(out)
}
