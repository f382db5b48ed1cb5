//! Data flows one way: validated scenario -> experiment -> engine -> outcome
//! -> analysis (compare, plan) -> renderers (report) -> output. A module may
//! use only modules of a lower layer; this test reads every `crate::` path in
//! the library's sources and fails on one that points up or sideways.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

/// Each top-level module of the library and its layer (lowest first).
/// ARCHITECTURE.md shows the same table.
const LAYERS: &[(&str, u32)] = &[
    ("time", 0),
    ("rng", 0),
    ("suggest", 0),
    ("stats", 0),
    ("response", 1),
    ("price", 1),
    ("objective", 1),
    ("threshold", 1),
    ("policy", 2),
    ("service", 3),
    ("workload", 3),
    ("strategy", 3),
    ("scenario", 4),
    ("outcome", 4),
    ("engine", 5),
    ("experiment", 6),
    ("compare", 7),
    ("plan", 7),
    ("tune", 7),
    ("sweep", 7),
    ("report", 8),
    ("output", 8),
    ("runner", 9),
];

fn layer(module: &str) -> Option<u32> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The modules `text` names after `crate::` outside comments, with the
/// line they appear on, up to its `#[cfg(test)]` module (unit tests may
/// build whole scenarios to test a lower layer).
fn references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let code = line.split("//").next().unwrap_or("");
        for (i, _) in code.match_indices("crate::") {
            let rest = &code[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((n + 1, name));
            }
        }
    }
    out
}

#[test]
fn no_module_imports_from_a_layer_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    let mut violations = Vec::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        // The binary's own modules (main.rs, cli/) sit above everything.
        if module == "main" || module == "cli" || module == "lib" {
            continue;
        }
        let own =
            layer(&module).unwrap_or_else(|| panic!("src/{module} has no layer in LAYERS: add it"));
        seen.insert(module.clone(), own);
        let text = fs::read_to_string(&file).unwrap();
        for (line, target) in references(&text) {
            if target == module {
                continue;
            }
            match layer(&target) {
                Some(l) if l < own => {}
                Some(l) => violations.push(format!(
                    "src/{}:{line}: {module} (layer {own}) uses crate::{target} (layer {l})",
                    rel.display()
                )),
                None => violations.push(format!(
                    "src/{}:{line}: crate::{target} is not a module in LAYERS",
                    rel.display()
                )),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "imports against the flow of data:\n{}",
        violations.join("\n")
    );
    assert!(seen.contains_key("engine") && seen.contains_key("report"));
}

#[test]
fn the_checker_sees_an_upward_import() {
    let refs = references(
        "use crate::report::charts;\n// use crate::plan;\nlet x = crate::engine::simulate;\n#[cfg(test)]\nuse crate::runner;",
    );
    let names: Vec<&str> = refs.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, ["report", "engine"]);
}
