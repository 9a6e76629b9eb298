//! Sentry's `Link` header: `<url>; rel="next"; results="true"; cursor="…"`.
//! A page exists only where `results="true"`; cursors are opaque. Parsing is
//! lenient: odd spacing, unquoted values, missing `<>` and stray wrappers are
//! tolerated, and anything unreadable simply means "no next page". A page of
//! items and the next cursor is a [`Page`].

/// One page of a list and the cursor of the next, when Sentry has one.
#[derive(Clone, Debug, PartialEq)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Opaque cursor of the next page.
    pub next_cursor: Option<String>,
    /// How many items match in all (`X-Hits`), when the server says.
    pub total: Option<u64>,
}

/// One link of the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageLink {
    /// `next` or `previous`.
    pub rel: String,
    /// Whether the page has results.
    pub results: bool,
    /// The opaque cursor.
    pub cursor: String,
    /// The URL, when present.
    pub url: Option<String>,
}

/// Every link in a `Link` header, in order.
pub fn parse_link_header(header: &str) -> Vec<PageLink> {
    split_links(unwrap_set(header))
        .into_iter()
        .filter_map(|part| parse_link(&part))
        .collect()
}

/// The cursor of the next page, if Sentry says it has results.
pub fn next_cursor(header: &str) -> Option<String> {
    parse_link_header(header)
        .into_iter()
        .find(|link| link.rel == "next" && link.results && !link.cursor.is_empty())
        .map(|link| link.cursor)
}

/// Some compatible servers send the whole value as a stringified set,
/// `{'<…>; rel="next"; …'}`: the links are what is inside.
fn unwrap_set(header: &str) -> &str {
    let trimmed = header.trim();
    let Some(inner) = trimmed
        .strip_prefix('{')
        .and_then(|rest| rest.strip_suffix('}'))
    else {
        return trimmed;
    };
    let inner = inner.trim();
    for quote in ['\'', '"'] {
        if let Some(unquoted) = inner
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            return unquoted;
        }
    }
    inner
}

/// Splits on commas that are outside `<…>` and quotes (URLs and cursors may contain commas).
fn split_links(header: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut in_angle = false;
    let mut quote: Option<char> = None;
    for c in header.chars() {
        match c {
            '<' if quote.is_none() => in_angle = true,
            '>' if quote.is_none() => in_angle = false,
            '"' | '\'' if !in_angle => quote = toggle_quote(quote, c),
            ',' if !in_angle && quote.is_none() => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

fn parse_link(part: &str) -> Option<PageLink> {
    let part = part.trim();
    let (url, params) = match (part.find('<'), part.find('>')) {
        (Some(open), Some(close)) if open < close => (
            Some(part[open + 1..close].trim().to_string()),
            &part[close + 1..],
        ),
        _ => (None, part),
    };
    let mut rel = None;
    let mut results = None;
    let mut cursor = None;
    for param in split_params(params) {
        let Some((key, value)) = param.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim().trim_matches(|c| c == '"' || c == '\'').trim();
        match key.as_str() {
            "rel" => rel = Some(value.to_ascii_lowercase()),
            "results" => results = Some(value.eq_ignore_ascii_case("true")),
            "cursor" => cursor = Some(value.to_string()),
            _ => {}
        }
    }
    let cursor = cursor.or_else(|| url.as_deref().and_then(cursor_from_url))?;
    Some(PageLink {
        rel: rel?,
        results: results.unwrap_or(false),
        cursor,
        url,
    })
}

fn split_params(params: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (i, c) in params.char_indices() {
        match c {
            '"' | '\'' => quote = toggle_quote(quote, c),
            ';' if quote.is_none() => {
                out.push(&params[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&params[start..]);
    out
}

/// Opens a quote with `c`, or closes the open one if `c` matches it.
fn toggle_quote(open: Option<char>, c: char) -> Option<char> {
    match open {
        None => Some(c),
        Some(q) if q == c => None,
        other => other,
    }
}

fn cursor_from_url(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    parsed
        .query_pairs()
        .find(|(k, _)| k == "cursor")
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SENTRY: &str = r#"<https://sentry.io/api/0/organizations/acme/issues/?cursor=0:0:1>; rel="previous"; results="false"; cursor="0:0:1", <https://sentry.io/api/0/organizations/acme/issues/?cursor=0:100:0>; rel="next"; results="true"; cursor="0:100:0""#;

    #[test]
    fn reads_sentrys_header() {
        let links = parse_link_header(SENTRY);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].rel, "previous");
        assert!(!links[0].results);
        assert_eq!(next_cursor(SENTRY).as_deref(), Some("0:100:0"));
    }

    #[test]
    fn no_next_page_without_results() {
        let last = SENTRY.replace(r#"results="true""#, r#"results="false""#);
        assert_eq!(next_cursor(&last), None);
        assert_eq!(next_cursor(""), None);
        assert_eq!(next_cursor("garbage; ;;,,"), None);
    }

    #[test]
    fn tolerates_odd_spacing_quoting_and_wrappers() {
        let cases = [
            // Unquoted, so a comma in the cursor ends the link.
            (
                "<https://x/?cursor=a>;rel=next;results=true;cursor=abc:1,2",
                "abc:1",
            ),
            (
                "  <https://x/>  ;  REL = \"next\" ;results = \"TRUE\" ; cursor = \"abc:1,2\"  ",
                "abc:1,2",
            ),
            (
                "<https://x/a,b>; rel='next'; results='true'; cursor='abc:1,2'",
                "abc:1,2",
            ),
            (
                "rel=\"next\"; results=\"true\"; cursor=\"abc:1,2\"",
                "abc:1,2",
            ),
        ];
        for (header, expected) in cases {
            assert_eq!(next_cursor(header).as_deref(), Some(expected), "{header}");
        }
        // The whole value wrapped as a stringified set, with opaque base64 cursors.
        let wrapped = r#"{'<http://h/api/0/projects/acme/api/issues/?cursor=eyJvZmZzZXQiOjB9>; rel="previous"; results="false"; cursor="eyJvZmZzZXQiOjB9", <http://h/api/0/projects/acme/api/issues/?cursor=eyJvZmZzZXQiOjEwMH0=>; rel="next"; results="true"; cursor="eyJvZmZzZXQiOjEwMH0="'}"#;
        assert_eq!(
            next_cursor(wrapped).as_deref(),
            Some("eyJvZmZzZXQiOjEwMH0=")
        );
        assert_eq!(parse_link_header(wrapped)[0].rel, "previous");
        let last = wrapped.replace(r#"results="true""#, r#"results="false""#);
        assert_eq!(next_cursor(&last), None);
        // A cursor only in the URL.
        let url_only =
            r#"<https://sentry.io/api/0/x/?cursor=1735689600000:0:0>; rel="next"; results="true""#;
        assert_eq!(next_cursor(url_only).as_deref(), Some("1735689600000:0:0"));
    }
}
