//! Reading one field of a foreign record: a CSV cell or a JSON scalar, into a
//! token count, a name or a time, with the message a user needs when it is
//! not one.
//!
//! JSON fields are deserialised as a [`Scalar`], which accepts any JSON value
//! and borrows strings from the input, so a record costs no allocation for
//! the fields ratesim ignores and a wrongly typed field becomes a located
//! message instead of serde's generic "invalid type".

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::timestamp;

/// Any JSON value, with objects and arrays reduced to a marker.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Scalar<'a> {
    Null,
    Bool(bool),
    Unsigned(u64),
    Negative(i64),
    Float(f64),
    Str(Cow<'a, str>),
    /// An object or an array (its content is skipped).
    Nested,
}

impl<'de: 'a, 'a> Deserialize<'de> for Scalar<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;

        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar::Unsigned(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(if v >= 0 {
                    Scalar::Unsigned(v as u64)
                } else {
                    Scalar::Negative(v)
                })
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Nested)
            }
        }

        deserializer.deserialize_any(ScalarVisitor)
    }
}

impl fmt::Display for Scalar<'_> {
    /// The value as a message quotes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scalar::Null => f.write_str("null"),
            Scalar::Bool(b) => write!(f, "{b}"),
            Scalar::Unsigned(n) => write!(f, "{n}"),
            Scalar::Negative(n) => write!(f, "{n}"),
            Scalar::Float(x) => write!(f, "{x}"),
            Scalar::Str(s) => write!(f, "{s:?}"),
            Scalar::Nested => f.write_str("an object or a list"),
        }
    }
}

impl Scalar<'_> {
    /// Whether the field carries nothing: null or an empty (blank) string.
    pub(super) fn is_blank(&self) -> bool {
        match self {
            Scalar::Null => true,
            Scalar::Str(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

/// A token count from JSON; null counts as zero (logs write null when a
/// failed request reported no usage).
pub(super) fn tokens(value: Option<&Scalar<'_>>) -> Result<u32, String> {
    match value {
        None => Ok(0),
        Some(v) if v.is_blank() => Ok(0),
        Some(Scalar::Unsigned(n)) => u32::try_from(*n).map_err(|_| too_many(&n.to_string())),
        Some(Scalar::Float(x)) if x.fract() == 0.0 && *x >= 0.0 => {
            if *x <= f64::from(u32::MAX) {
                Ok(*x as u32)
            } else {
                Err(too_many(&x.to_string()))
            }
        }
        Some(Scalar::Str(s)) => token_text(s, true),
        Some(other) => Err(format!(
            "expected a whole number of tokens, found {}",
            crate::suggest::excerpt(&other.to_string())
        )),
    }
}

/// A token count from text. With `lenient`, an empty cell is zero and an
/// integral decimal (`1200.0`, as spreadsheets and pandas write) is accepted.
pub(super) fn token_text(text: &str, lenient: bool) -> Result<u32, String> {
    let t = text.trim();
    if lenient && t.is_empty() {
        return Ok(0);
    }
    let digits = if lenient {
        t.split_once('.')
            .filter(|(_, frac)| frac.bytes().all(|b| b == b'0'))
            .map_or(t, |(int, _)| int)
    } else {
        t
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "expected a whole number of tokens, found {:?}",
            crate::suggest::excerpt(t)
        ));
    }
    digits
        .parse()
        .map_err(|_| too_many(&format!("{:?}", crate::suggest::excerpt(t))))
}

fn too_many(shown: &str) -> String {
    format!(
        "expected a whole number of tokens up to {}, found {shown}",
        u32::MAX
    )
}

/// An optional token count (`max_tokens`): blank or absent is `None`.
pub(super) fn optional_tokens(value: Option<&Scalar<'_>>) -> Result<Option<u32>, String> {
    match value {
        Some(v) if !v.is_blank() => tokens(Some(v)).map(Some),
        _ => Ok(None),
    }
}

/// A name (model id, key): a string, or `""` when blank or absent.
pub(super) fn name<'v>(value: Option<&'v Scalar<'_>>) -> Result<&'v str, String> {
    match value {
        None | Some(Scalar::Null) => Ok(""),
        Some(Scalar::Str(s)) => Ok(s.trim()),
        Some(other) => Err(format!("expected a name (a string), found {other}")),
    }
}

/// A time as nanoseconds since 1970: a date-time string or an epoch number.
pub(super) fn time(value: Option<&Scalar<'_>>) -> Result<u64, String> {
    match value {
        None | Some(Scalar::Null) => {
            Err("the time is missing; every request needs one".to_string())
        }
        Some(Scalar::Str(s)) => timestamp::parse_timestamp(s),
        Some(Scalar::Unsigned(n)) => timestamp::epoch_from_u64(*n),
        Some(Scalar::Float(x)) => timestamp::epoch_from_f64(*x),
        Some(other) => Err(format!(
            "expected a date-time or an epoch number, found {other}"
        )),
    }
}

/// Whether an HTTP-ish status says the request failed: a number outside
/// 200..=299, or a word other than "success"/"ok". Blank means unknown and
/// counts as success.
pub(super) fn failed_status(value: Option<&Scalar<'_>>) -> bool {
    match value {
        None => false,
        Some(Scalar::Unsigned(code)) => !(200..300).contains(code),
        Some(Scalar::Negative(_)) => true,
        Some(Scalar::Float(x)) => !(200.0..300.0).contains(x),
        Some(Scalar::Str(s)) => failed_status_text(s),
        Some(Scalar::Bool(ok)) => !ok,
        Some(Scalar::Null | Scalar::Nested) => false,
    }
}

/// [`failed_status`] for a CSV cell.
pub(super) fn failed_status_text(text: &str) -> bool {
    let t = text.trim();
    if t.is_empty() {
        return false;
    }
    if let Ok(code) = t.parse::<i64>() {
        return !(200..300).contains(&code);
    }
    !["success", "succeeded", "ok"]
        .iter()
        .any(|word| t.eq_ignore_ascii_case(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(json: &str) -> Scalar<'_> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn scalars_borrow_and_mark_nested_values() {
        assert_eq!(scalar("\"abc\""), Scalar::Str(Cow::Borrowed("abc")));
        assert_eq!(scalar("\"a\\\"b\""), Scalar::Str(Cow::Owned("a\"b".into())));
        assert_eq!(scalar("-3"), Scalar::Negative(-3));
        assert_eq!(scalar("7"), Scalar::Unsigned(7));
        assert_eq!(scalar("{\"a\": [1, {}]}"), Scalar::Nested);
        assert_eq!(scalar("null"), Scalar::Null);
    }

    #[test]
    fn token_counts() {
        assert_eq!(tokens(Some(&scalar("1200"))), Ok(1200));
        assert_eq!(tokens(Some(&scalar("1200.0"))), Ok(1200));
        assert_eq!(tokens(Some(&scalar("\"1200\""))), Ok(1200));
        assert_eq!(tokens(Some(&scalar("null"))), Ok(0));
        assert_eq!(tokens(None), Ok(0));
        assert_eq!(
            tokens(Some(&scalar("12.5"))),
            Err("expected a whole number of tokens, found 12.5".into())
        );
        assert_eq!(
            tokens(Some(&scalar("-1"))),
            Err("expected a whole number of tokens, found -1".into())
        );
        assert_eq!(
            tokens(Some(&scalar("5000000000"))),
            Err("expected a whole number of tokens up to 4294967295, found 5000000000".into())
        );
        assert_eq!(token_text("", true), Ok(0));
        assert!(token_text("", false).is_err());
        assert!(token_text("7.0", false).is_err());
        assert_eq!(token_text(" 7.00 ", true), Ok(7));
        assert!(token_text("+7", true).is_err());
    }

    #[test]
    fn statuses() {
        for (json, failed) in [
            ("200", false),
            ("201", false),
            ("429", true),
            ("500", true),
            ("-1", true),
            ("\"success\"", false),
            ("\"Success\"", false),
            ("\"failure\"", true),
            ("\"error\"", true),
            ("\"200\"", false),
            ("\"\"", false),
            ("null", false),
        ] {
            assert_eq!(failed_status(Some(&scalar(json))), failed, "{json}");
        }
    }

    #[test]
    fn names_and_times() {
        assert_eq!(name(Some(&scalar("\" llama \""))), Ok("llama"));
        assert_eq!(name(None), Ok(""));
        assert!(name(Some(&scalar("3"))).is_err());
        assert_eq!(time(Some(&scalar("1"))), Ok(1_000_000_000));
        assert!(time(None).unwrap_err().contains("missing"));
        assert!(time(Some(&scalar("true"))).is_err());
    }
}
