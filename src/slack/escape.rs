//! Escaping for Slack `mrkdwn`. Text from Sentry and from users is untrusted:
//! an unescaped `<!channel>` or `<@U123>` would ping people, and a stray `<`
//! breaks links.

/// Escapes `&`, `<` and `>` so Slack shows the text literally.
pub fn escape_mrkdwn(text: &str) -> String {
    escape_truncated(text, usize::MAX)
}

/// Escapes like [`escape_mrkdwn`] and keeps the result within `max_chars`
/// characters, ending with `…` when cut. Entities are never split.
pub fn escape_truncated(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars.saturating_mul(4)));
    let mut used = 0usize;
    let total_needed: usize = text.chars().map(escaped_len).sum();
    let budget = if total_needed <= max_chars {
        max_chars
    } else {
        // Leave room for the ellipsis.
        max_chars.saturating_sub(1)
    };
    for c in text.chars() {
        let len = escaped_len(c);
        if used + len > budget {
            out.push('…');
            return out;
        }
        used += len;
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// Untrusted text (titles, exception values, names) for mrkdwn: escaped,
/// cut to `max_chars`, and with Slack's formatting characters neutralised
/// so a title reads the same wherever it is shown (see [`neutralize`]).
pub fn untrusted(text: &str, max_chars: usize) -> String {
    // No more than `max_chars` characters can show, and one more tells
    // whether the text was cut: a 10,000-character title costs no more
    // than its first line.
    let end = text
        .char_indices()
        .nth(max_chars.saturating_add(1))
        .map_or(text.len(), |(i, _)| i);
    escape_truncated(&neutralize(&text[..end]), max_chars)
}

/// Swaps the characters Slack reads as formatting (`*bold*`, `_italic_`,
/// `~strike~`, `` `code` ``) for look-alikes, so untrusted text never turns
/// bold in one message and stays literal in another. An underscore inside a
/// word (`snake_case`) cannot format and is kept, so identifiers stay
/// searchable.
pub fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous: Option<char> = None;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let swapped = match c {
            '*' => '\u{2217}', // ∗ asterisk operator
            '~' => '\u{223C}', // ∼ tilde operator
            '`' => '\u{02CB}', // ˋ modifier letter grave accent
            '_' => {
                let inside_word = previous.is_some_and(char::is_alphanumeric)
                    && chars.peek().is_some_and(|n| n.is_alphanumeric());
                if inside_word {
                    '_'
                } else {
                    '\u{02CD}' // ˍ modifier letter low macron
                }
            }
            c => c,
        };
        out.push(swapped);
        previous = Some(c);
    }
    out
}

/// `encodeURIComponent`: every byte but the unreserved ones percent-encoded,
/// for a URL path segment or fragment built from untrusted text.
pub fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// Cuts plain text (not mrkdwn) to `max_chars` characters, ending with `…`.
pub fn truncate_plain(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Wraps escaped text in backticks for inline code, dropping backticks that
/// would close the span early.
pub fn inline_code(text: &str, max_chars: usize) -> String {
    let cleaned: String = text.chars().filter(|c| *c != '`').collect();
    format!("`{}`", escape_truncated(&cleaned, max_chars))
}

fn escaped_len(c: char) -> usize {
    match c {
        '&' => 5,
        '<' | '>' => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_sequences_cannot_ping() {
        let escaped = escape_mrkdwn("boom <!channel> <@U123> <#C1|x> a&b");
        assert_eq!(
            escaped,
            "boom &lt;!channel&gt; &lt;@U123&gt; &lt;#C1|x&gt; a&amp;b"
        );
        assert!(!escaped.contains('<'));
    }

    #[test]
    fn truncation_counts_characters_and_never_splits_entities() {
        assert_eq!(escape_truncated("abc", 3), "abc");
        assert_eq!(escape_truncated("abcd", 3), "ab…");
        // "a&lt;" would fill all 5 characters, leaving no room for the ellipsis.
        assert_eq!(escape_truncated("a<b", 5), "a…");
        assert_eq!(escape_truncated("a<b", 6), "a&lt;b");
        let long = "é".repeat(5000);
        let cut = escape_truncated(&long, 3000);
        assert_eq!(cut.chars().count(), 3000);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn formatting_characters_are_neutralised_but_identifiers_survive() {
        let shown = untrusted("*boom* in _init_ ~x~ `y` get_user_by_id <!here>", 200);
        assert!(!shown.contains('*'));
        assert!(!shown.contains('~'));
        assert!(!shown.contains('`'));
        assert!(shown.contains("get_user_by_id"));
        assert!(shown.contains("\u{02CD}init\u{02CD}"));
        assert!(shown.contains("&lt;!here&gt;"));
        // Character for character, so truncation limits still hold.
        assert_eq!(neutralize("a*b").chars().count(), 3);
        // Long text is cut the same way as escape_truncated cuts it.
        let long = "x&".repeat(5_000);
        assert_eq!(untrusted(&long, 200), escape_truncated(&long, 200));
        assert_eq!(untrusted(&"a".repeat(10_000), 200).chars().count(), 200);
        assert_eq!(untrusted("short", 200), "short");
    }

    #[test]
    fn plain_truncation_and_inline_code() {
        assert_eq!(truncate_plain("hello", 5), "hello");
        assert_eq!(truncate_plain("hello!", 5), "hell…");
        assert_eq!(inline_code("a`<b>`", 100), "`a&lt;b&gt;`");
    }
}
