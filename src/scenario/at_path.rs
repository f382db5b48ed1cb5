//! A scenario value by its path, and the scenario file with a value
//! written there.
//!
//! `ratesim sweep`'s `set` axes name any number of a scenario by where it
//! sits in the TOML: dotted keys (`policy.bucket.capacity`), an element of
//! a list by its index (`groups[0]`, `policy.models[1].rpm`) or by its
//! `name` (`groups.app`; `id` or `model` for the tables that have no name,
//! such as `[[policy.models]]` and `[[prices]]`); a key holding dots is
//! quoted (`policy.models."llama-3.3-70b".rpm`). A strategy written as a
//! preset name reads as `{ preset = "..." }`, so `groups.app.strategy.base`
//! overrides a parameter of the preset (docs/scenario.md, "a preset with
//! overrides").
//!
//! A value is written into the file as written (toml_edit keeps the rest of
//! it byte for byte) and the result is validated like any scenario file,
//! so a swept value means what it means typed into the file, and a value
//! the field refuses is refused with the validator's own message. The last
//! key of a path may be absent (it is added, and the validator says whether
//! the table has such a field); the lists and elements it passes through
//! must exist.

use toml_edit::{DocumentMut, InlineTable, Item, TableLike, Value};

/// One step of a path: a key of a table (or the name of a list element),
/// or an index into a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// The steps of `path`, or what is wrong with its syntax.
pub fn steps(path: &str) -> Result<Vec<Step>, String> {
    let bad = |why: &str| {
        format!("{path:?} is not a path ({why}); write it like `groups.app.strategy.base` or `policy.models[0].rpm`")
    };
    let mut out = Vec::new();
    let mut rest = path;
    loop {
        let key = if let Some(quoted) = rest.strip_prefix('"') {
            let end = quoted
                .find('"')
                .ok_or_else(|| bad("a quote is not closed"))?;
            rest = &quoted[end + 1..];
            &quoted[..end]
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            if !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(bad(
                    "a bare key holds only letters, digits, `_` and `-`; quote the others",
                ));
            }
            rest = &rest[end..];
            key
        };
        if key.is_empty() {
            return Err(bad("a key is empty"));
        }
        out.push(Step::Key(key.to_string()));
        while let Some(inner) = rest.strip_prefix('[') {
            let end = inner.find(']').ok_or_else(|| bad("a `[` is not closed"))?;
            let i = inner[..end]
                .parse()
                .map_err(|_| bad("an index is not a whole number"))?;
            out.push(Step::Index(i));
            rest = &inner[end + 1..];
        }
        match rest.strip_prefix('.') {
            Some(next) => rest = next,
            None if rest.is_empty() => return Ok(out),
            None => return Err(bad("expected `.` or `[` after a key")),
        }
    }
}

/// `source` with every `(steps, value)` written in turn and the `[sweep]`
/// table removed (a point of a sweep is a plain scenario), or, for the
/// first write that cannot be made, its position in `writes` and why.
pub fn source_with(
    source: &str,
    writes: &[(&[Step], &toml::Value)],
) -> Result<String, (usize, String)> {
    let mut doc: DocumentMut = source
        .parse()
        .map_err(|e: toml_edit::TomlError| (0, e.message().to_string()))?;
    for (i, (steps, value)) in writes.iter().enumerate() {
        let value = edit_value(value).map_err(|m| (i, m))?;
        into_item(doc.as_item_mut(), steps, value, "").map_err(|m| (i, m))?;
    }
    doc.remove("sweep");
    Ok(doc.to_string())
}

fn edit_value(v: &toml::Value) -> Result<Value, String> {
    Ok(match v {
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::String(s) => Value::from(s.as_str()),
        toml::Value::Boolean(b) => Value::from(*b),
        other => {
            return Err(format!(
                "expected a number, a string or a boolean, found {}",
                other.type_str()
            ))
        }
    })
}

fn join(done: &str, step: &Step) -> String {
    match step {
        Step::Index(i) => format!("{done}[{i}]"),
        Step::Key(k) if done.is_empty() => k.clone(),
        Step::Key(k) if k.contains(['.', '[', ']', ' ']) => format!("{done}.\"{k}\""),
        Step::Key(k) => format!("{done}.{k}"),
    }
}

/// The name a list element is addressed by: its `name`, else its `id`,
/// else its `model`.
fn element_name(t: &dyn TableLike) -> Option<&str> {
    ["name", "id", "model"]
        .iter()
        .find_map(|k| t.get(k))
        .and_then(Item::as_str)
}

/// The index of the element `step` names among `names` (one per element;
/// `None` for an element that is not a table).
fn element(names: &[Option<&str>], step: &Step, done: &str) -> Result<usize, String> {
    match step {
        Step::Index(i) if *i < names.len() => Ok(*i),
        Step::Index(i) => Err(format!(
            "`{done}` has {} element(s), so there is no [{i}]",
            names.len()
        )),
        Step::Key(k) => {
            let found: Vec<usize> = (0..names.len())
                .filter(|&i| names[i] == Some(k.as_str()))
                .collect();
            match found[..] {
                [i] => Ok(i),
                [] => {
                    let known: Vec<&str> = names.iter().flatten().copied().collect();
                    Err(format!(
                        "no element of `{done}` is called {k:?} (by its name, id or model){}",
                        if known.is_empty() {
                            String::new()
                        } else {
                            format!(": there are {}", known.join(", "))
                        }
                    ))
                }
                _ => Err(format!(
                    "more than one element of `{done}` is called {k:?}: use an index, `{done}[{}]`",
                    found[0]
                )),
            }
        }
    }
}

fn whole(here: &str) -> String {
    format!("`{here}` is a whole table: give a field of it, such as `{here}.<field>`")
}

fn into_item(item: &mut Item, steps: &[Step], value: Value, done: &str) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        return Err("the path is empty".into());
    };
    match item {
        Item::ArrayOfTables(a) => {
            let names: Vec<Option<&str>> = a.iter().map(|t| element_name(t)).collect();
            let i = element(&names, step, done)?;
            let here = join(done, step);
            if rest.is_empty() {
                return Err(whole(&here));
            }
            into_table(a.get_mut(i).expect("an element"), rest, value, &here)
        }
        Item::Table(t) => into_table(t, steps, value, done),
        Item::Value(v) => into_value(v, steps, value, done),
        Item::None => Err(format!("`{done}` is empty")),
    }
}

fn into_value(v: &mut Value, steps: &[Step], value: Value, done: &str) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        return Err("the path is empty".into());
    };
    match v {
        Value::InlineTable(t) => into_table(t, steps, value, done),
        Value::Array(a) => {
            let names: Vec<Option<&str>> = a
                .iter()
                .map(|e| e.as_inline_table().and_then(|t| element_name(t)))
                .collect();
            let i = element(&names, step, done)?;
            let here = join(done, step);
            let slot = a.get_mut(i).expect("an element");
            if rest.is_empty() {
                replace(slot, value);
                Ok(())
            } else {
                into_value(slot, rest, value, &here)
            }
        }
        other => Err(format!(
            "`{done}` holds {}, not a table or a list, so it has no {}",
            other.to_string().trim(),
            match step {
                Step::Key(k) => format!("field `{k}`"),
                Step::Index(i) => format!("element [{i}]"),
            }
        )),
    }
}

fn into_table(
    t: &mut dyn TableLike,
    steps: &[Step],
    value: Value,
    done: &str,
) -> Result<(), String> {
    let Some((step, rest)) = steps.split_first() else {
        return Err("the path is empty".into());
    };
    let Step::Key(k) = step else {
        return Err(format!(
            "`{done}` is a table, not a list: name one of its fields instead of {}",
            join("", step)
        ));
    };
    let here = join(done, step);
    if rest.is_empty() {
        match t.get_mut(k) {
            Some(Item::Value(old)) => replace(old, value),
            Some(_) => return Err(whole(&here)),
            None => {
                t.insert(k, Item::Value(value));
            }
        }
        return Ok(());
    }
    if t.get(k).is_none() {
        if let Some(Step::Index(i)) = rest.first() {
            return Err(format!(
                "`{here}` is not in the scenario file, so it has no element [{i}]"
            ));
        }
        t.insert(k, Item::Value(Value::InlineTable(InlineTable::new())));
    }
    let child = t.get_mut(k).expect("just inserted");
    // A strategy given as a preset name is the preset with no overrides.
    if k == "strategy" {
        if let Some(name) = child.as_str() {
            let mut table = InlineTable::new();
            table.insert("preset", Value::from(name));
            *child = Item::Value(Value::InlineTable(table));
        }
    }
    into_item(child, rest, value, &here)
}

/// Writes `value` over `slot`, keeping the spacing around it.
fn replace(slot: &mut Value, mut value: Value) {
    *value.decor_mut() = slot.decor().clone();
    *slot = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "seed = 3\n[[groups]]\nname = \"app\"\nstrategy = \"openai-python\"\ninput_tokens = 500 # prompt\n[[groups]]\nname = \"batch\"\nstrategy = { kind = \"constant\" }\n[[policy.models]]\nid = \"llama-3.3-70b\"\nrpm = 100\n[sweep]\nset = { \"groups.app.input_tokens\" = [1] }\n";

    fn write(path: &str, v: toml::Value) -> Result<String, String> {
        let s = steps(path)?;
        source_with(SRC, &[(&s, &v)]).map_err(|e| e.1)
    }

    #[test]
    fn paths_parse_into_keys_names_and_indices() {
        assert_eq!(
            steps("policy.models[0].limits[1].amount").unwrap(),
            vec![
                Step::Key("policy".into()),
                Step::Key("models".into()),
                Step::Index(0),
                Step::Key("limits".into()),
                Step::Index(1),
                Step::Key("amount".into()),
            ]
        );
        assert_eq!(
            steps("policy.models.\"llama-3.3-70b\".rpm").unwrap()[2],
            Step::Key("llama-3.3-70b".into())
        );
        for bad in ["", "a..b", "a[x]", "a[1", "\"a", "a b", "a]"] {
            assert!(steps(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn values_land_where_the_path_says_and_nothing_else_moves() {
        let out = write("groups.app.input_tokens", toml::Value::Integer(2000)).unwrap();
        assert!(out.contains("input_tokens = 2000 # prompt\n"), "{out}");
        assert!(!out.contains("[sweep]"));
        let out = write("groups[1].strategy.delay", toml::Value::String("2s".into())).unwrap();
        assert!(out.contains("delay = \"2s\""), "{out}");
        let out = write(
            "policy.models.\"llama-3.3-70b\".rpm",
            toml::Value::Integer(7),
        )
        .unwrap();
        assert!(out.contains("rpm = 7\n"), "{out}");
        // A preset name becomes a preset with an override.
        let out = write("groups.app.strategy.max_attempts", toml::Value::Integer(1)).unwrap();
        assert!(
            out.contains("preset = \"openai-python\"") && out.contains("max_attempts = 1"),
            "{out}"
        );
    }

    #[test]
    fn a_path_through_nothing_says_what_is_there() {
        let e = write("groups.ap.input_tokens", toml::Value::Integer(1)).unwrap_err();
        assert!(e.contains("no element of `groups` is called \"ap\""), "{e}");
        assert!(e.contains("app, batch"), "{e}");
        let e = write("groups[5].input_tokens", toml::Value::Integer(1)).unwrap_err();
        assert!(e.contains("has 2 element(s)"), "{e}");
        let e = write("groups.app", toml::Value::Integer(1)).unwrap_err();
        assert!(e.contains("whole table"), "{e}");
        let e = write("seed.x", toml::Value::Integer(1)).unwrap_err();
        assert!(e.contains("`seed` holds 3, not a table"), "{e}");
    }
}
