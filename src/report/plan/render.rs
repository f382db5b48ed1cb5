//! A plan's blocks rendered twice: report.md, with the charts as PNG links,
//! and the self-contained report.html, with the charts inline.

use super::charts::CHARTS;
use super::document::blocks;
use crate::plan::PlanResult;
use crate::report::html::{self, escape, inline};
use crate::scenario::Scenario;
use std::fmt::Write as _;

/// A block of the report: a paragraph, a list or a table (the tune report
/// is written in the same blocks).
pub(crate) enum Block {
    /// A warning the reader must not miss, at the top.
    Banner(String),
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

/// The style of a [`Block::Banner`] in HTML.
pub(crate) const BANNER_STYLE: &str = "p.banner{background:#fdecea;border:2px solid #c62828;color:#7f1010;padding:.6em .9em;font-size:1.1em}";

/// report.md, with the charts as PNG links beside it.
pub fn report_md(sc: &Scenario, res: &PlanResult) -> String {
    let mut md = format!("# Capacity plan: {}\n\n", sc.name);
    md += &markdown(blocks(sc, res));
    md += "## Charts\n\n";
    for (stem, title) in CHARTS {
        let _ = writeln!(md, "### {title}\n\n![{title}]({stem}.png)\n");
    }
    md
}

/// One self-contained HTML page: no scripts, no fetches, SVG charts inline.
pub fn report_html(sc: &Scenario, res: &PlanResult, svgs: &[(&str, String)]) -> String {
    let mut h = html_blocks(blocks(sc, res));
    h += &html::charts(CHARTS, svgs);
    html::page(&format!("Capacity plan: {}", sc.name), BANNER_STYLE, &h)
}

/// `blocks` as markdown.
pub(crate) fn markdown(blocks: Vec<Block>) -> String {
    let mut md = String::new();
    for block in blocks {
        match block {
            Block::Banner(t) => {
                let _ = write!(md, "> ⚠ {t}\n\n");
            }
            Block::Heading(h) => {
                let _ = write!(md, "## {h}\n\n");
            }
            Block::Para(p) => {
                let _ = write!(md, "{p}\n\n");
            }
            Block::List(items) => {
                for i in items {
                    let _ = writeln!(md, "- {i}");
                }
                md.push('\n');
            }
            Block::Table(head, rows) => {
                let _ = writeln!(md, "| {} |", head.join(" | "));
                let _ = writeln!(md, "|---|{}", "---:|".repeat(head.len() - 1));
                for r in rows {
                    let _ = writeln!(md, "| {} |", r.join(" | "));
                }
                md.push('\n');
            }
        }
    }
    md
}

/// `blocks` as HTML.
pub(crate) fn html_blocks(blocks: Vec<Block>) -> String {
    let mut h = String::new();
    for block in blocks {
        match block {
            Block::Banner(t) => {
                let _ = writeln!(h, "<p class=\"banner\" role=\"alert\">⚠ {}</p>", inline(&t));
            }
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(&t));
            }
            Block::Para(p) => {
                let _ = writeln!(h, "<p>{}</p>", inline(&p));
            }
            Block::List(items) => {
                h += "<ul>\n";
                for i in items {
                    let _ = writeln!(h, "<li>{}</li>", inline(&i));
                }
                h += "</ul>\n";
            }
            Block::Table(head, rows) => {
                h += "<table>\n<tr>";
                for c in head {
                    let _ = write!(h, "<th>{}</th>", escape(&c));
                }
                h += "</tr>\n";
                for r in rows {
                    h += "<tr>";
                    for c in r {
                        let _ = write!(h, "<td>{}</td>", inline(&c));
                    }
                    h += "</tr>\n";
                }
                h += "</table>\n";
            }
        }
    }
    h
}
