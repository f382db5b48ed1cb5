//! "Did you mean ...?" for every name a user types.
//!
//! Model ids, preset names, class names, strategy names and scenario keys are
//! all long hyphenated strings that are easy to get almost right. One helper
//! ranks the candidates by Levenshtein distance (case-insensitive) so every
//! error message in the tool suggests the same way. A candidate that contains
//! the word, or is contained in it, also counts as close: "llama" should
//! suggest "llama-3.3-70b" even though eight edits separate them.
//!
//! The same goes for echoing what a user typed: a message quotes at most
//! [`EXCERPT_CHARS`] characters of a value ([`excerpt`], [`shorten_quotes`]),
//! so a 10 MB string cell or a 100,000-character line gives a readable error.

/// Most characters of a value an error message quotes.
pub const EXCERPT_CHARS: usize = 80;

/// At most this many suggestions are returned.
const MAX_SUGGESTIONS: usize = 3;

/// Containment only counts when the shorter string has at least this many
/// characters; otherwise "m" would be "close" to every model id.
const MIN_CONTAINED_LEN: usize = 3;

/// Up to three of `candidates` close to `word`, closest first.
///
/// A candidate is close when its case-insensitive edit distance to `word` is at
/// most `max(2, len / 3)` (len = characters in `word`), or when one of the two
/// contains the other. Ties keep the candidates' order; duplicates are dropped.
pub fn close_matches<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let word_lower = word.to_lowercase();
    let word_chars: Vec<char> = word_lower.chars().collect();
    let max_distance = (word_chars.len() / 3).max(2);

    let mut scored: Vec<(usize, usize, &'a str)> = Vec::new();
    for (position, candidate) in candidates.into_iter().enumerate() {
        if scored.iter().any(|(_, _, seen)| *seen == candidate) {
            continue;
        }
        let candidate_lower = candidate.to_lowercase();
        // The distance is at least the difference in length: a long word
        // (a pasted paragraph) is not compared character by character.
        let length_gap = word_chars.len().abs_diff(candidate_lower.chars().count());
        let distance = if length_gap > max_distance {
            usize::MAX
        } else {
            levenshtein(&word_chars, &candidate_lower)
        };
        if distance <= max_distance || contains_either(&word_lower, &candidate_lower) {
            scored.push((distance, position, candidate));
        }
    }
    scored.sort_unstable();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, candidate)| candidate)
        .collect()
}

/// The tail of an error message: `" (did you mean a, b or c?)"`, or `""` when
/// there is nothing to suggest.
pub fn did_you_mean<S: AsRef<str>>(suggestions: &[S]) -> String {
    if suggestions.is_empty() {
        String::new()
    } else {
        format!(" (did you mean {}?)", or_list(suggestions))
    }
}

/// `"a"`, `"a or b"`, `"a, b or c"`.
pub fn or_list<S: AsRef<str>>(items: &[S]) -> String {
    match items {
        [] => String::new(),
        [only] => only.as_ref().to_string(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} or {}", init.join(", "), last.as_ref())
        }
    }
}

/// The first [`EXCERPT_CHARS`] characters of `text`, then `…` if it goes on.
pub fn excerpt(text: &str) -> String {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => text.to_string(),
        Some((end, _)) => format!("{}…", &text[..end]),
    }
}

/// `message` with every quoted run (between `"` or backticks) longer than
/// [`EXCERPT_CHARS`] characters cut to an [`excerpt`], for messages that
/// quote a value someone else formatted (serde's, a parser's).
pub fn shorten_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest.as_bytes()[open];
        out.push_str(&rest[..=open]);
        let inner = &rest[open + 1..];
        let mut close = None;
        let mut escaped = false;
        for (i, b) in inner.bytes().enumerate() {
            match b {
                b'\\' if quote == b'"' && !escaped => escaped = true,
                _ if b == quote && !escaped => {
                    close = Some(i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let end = close.unwrap_or(inner.len());
        out.push_str(&excerpt(&inner[..end]));
        match close {
            Some(c) => {
                out.push(quote as char);
                rest = &inner[c + 1..];
            }
            None => rest = "",
        }
    }
    out.push_str(rest);
    out
}

fn contains_either(a: &str, b: &str) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.chars().count() >= MIN_CONTAINED_LEN && long.contains(short)
}

/// Edit distance (insertions, deletions, substitutions) between `a` and `b`,
/// over characters, with two rows of the classic table.
fn levenshtein(a: &[char], b: &str) -> usize {
    let mut previous: Vec<usize> = (0..=a.len()).collect();
    let mut current = vec![0; a.len() + 1];
    for (j, cb) in b.chars().enumerate() {
        current[0] = j + 1;
        for (i, ca) in a.iter().enumerate() {
            let substitution = previous[i] + usize::from(*ca != cb);
            current[i + 1] = substitution.min(previous[i + 1] + 1).min(current[i] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[a.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODELS: [&str; 5] = [
        "llama-3.2-3b",
        "llama-3.3-70b",
        "qwen3-5-9b",
        "zai-org-glm-5",
        "zai-org-glm-5-1",
    ];

    #[test]
    fn a_dropped_character_is_suggested_first() {
        assert_eq!(
            close_matches("llama-3.3-70", MODELS),
            ["llama-3.3-70b", "llama-3.2-3b"]
        );
    }

    #[test]
    fn case_does_not_matter() {
        assert_eq!(
            close_matches("MEDIUM", ["Small", "Medium", "Large"]),
            ["Medium"]
        );
    }

    #[test]
    fn a_contained_word_is_close_even_when_many_edits_away() {
        assert_eq!(
            close_matches("glm", MODELS),
            ["zai-org-glm-5", "zai-org-glm-5-1"]
        );
        assert_eq!(
            close_matches("llama", MODELS),
            ["llama-3.2-3b", "llama-3.3-70b"]
        );
    }

    #[test]
    fn distant_words_are_not_suggested() {
        assert!(close_matches("gpt-4o", MODELS).is_empty());
        assert!(close_matches("", MODELS).is_empty());
        // Two letters are too few for containment to mean anything.
        assert!(close_matches("3b", MODELS).is_empty());
    }

    #[test]
    fn at_most_three_and_no_duplicates() {
        let found = close_matches("a", ["b", "c", "d", "e", "b"]);
        assert_eq!(found, ["b", "c", "d"]);
    }

    #[test]
    fn threshold_grows_with_the_word() {
        // 15 characters allow 5 edits.
        assert_eq!(
            close_matches("zai-org-glm-5-1", ["zai-org-xxxxx-1"]),
            ["zai-org-xxxxx-1"]
        );
        assert!(close_matches("zai-org-glm-5-1", ["zai-org-xxxxxx1"]).is_empty());
    }

    #[test]
    fn message_tails() {
        assert_eq!(did_you_mean::<&str>(&[]), "");
        assert_eq!(did_you_mean(&["Medium"]), " (did you mean Medium?)");
        assert_eq!(did_you_mean(&["a", "b", "c"]), " (did you mean a, b or c?)");
        assert_eq!(or_list(&["a", "b"]), "a or b");
    }

    #[test]
    fn long_values_are_quoted_as_excerpts() {
        let long = "x".repeat(10_000_000);
        assert_eq!(excerpt("short"), "short");
        assert_eq!(excerpt(&long), format!("{}…", "x".repeat(EXCERPT_CHARS)));
        let message =
            format!("invalid type: string {long:?}, expected `a \\\"q\\\"`; got `{long}`");
        assert_eq!(
            shorten_quotes(&message),
            format!(
                "invalid type: string \"{x}…\", expected `a \\\"q\\\"`; got `{x}…`",
                x = "x".repeat(EXCERPT_CHARS)
            )
        );
        assert_eq!(shorten_quotes("unclosed \"abc"), "unclosed \"abc");
        // A pasted paragraph is not compared character by character.
        assert!(close_matches(&long, MODELS).is_empty());
    }
}
