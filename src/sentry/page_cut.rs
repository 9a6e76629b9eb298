//! Pages a server sent larger than asked (it ignored both `per_page` and
//! `limit`), cut to size and paged by the bot: the rest of the server's page
//! is reached with a cursor of the bot's own that carries the server's
//! cursor and how many of its items were already shown. Pure.

use crate::sentry::pagination::Page;

/// Marks a cursor the bot made. Sentry's cursors (`value:offset:is_prev`)
/// and compatible servers' (base64) never contain it.
const MARK: char = '~';

/// The cursor to send to the server and how many of its items to skip.
pub(crate) fn server_cursor(cursor: Option<&str>) -> (Option<&str>, usize) {
    let Some(local) = cursor.and_then(|c| c.strip_prefix(MARK)) else {
        return (cursor, 0);
    };
    match local.split_once(MARK) {
        Some((skip, server)) => (
            (!server.is_empty()).then_some(server),
            skip.parse().unwrap_or(0),
        ),
        None => (None, 0),
    }
}

/// `page` (the server's answer to `sent`, of which `skip` items were shown
/// already) as a page of at most `asked` items, with a cursor that reaches
/// the rest.
pub(crate) fn cut<T>(page: Page<T>, asked: usize, sent: Option<&str>, skip: usize) -> Page<T> {
    let Page {
        items,
        next_cursor,
        total,
    } = page;
    let mut rest: Vec<T> = items.into_iter().skip(skip).collect();
    if rest.len() <= asked {
        return Page {
            items: rest,
            next_cursor,
            total,
        };
    }
    rest.truncate(asked);
    Page {
        items: rest,
        next_cursor: Some(format!(
            "{MARK}{}{MARK}{}",
            skip + asked,
            sent.unwrap_or("")
        )),
        total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(items: std::ops::Range<u32>, next: Option<&str>) -> Page<u32> {
        Page {
            items: items.collect(),
            next_cursor: next.map(String::from),
            total: None,
        }
    }

    #[test]
    fn a_page_of_the_asked_size_passes_through() {
        let cut = cut(page(0..5, Some("1:5:0")), 5, None, 0);
        assert_eq!(cut.items, vec![0, 1, 2, 3, 4]);
        assert_eq!(cut.next_cursor.as_deref(), Some("1:5:0"));
        assert_eq!(server_cursor(Some("1:5:0")), (Some("1:5:0"), 0));
        assert_eq!(server_cursor(None), (None, 0));
    }

    #[test]
    fn an_oversized_page_is_walked_to_its_end_then_the_server_pages() {
        // The server ignores the size: 12 items and its own next cursor.
        let server = |cursor: Option<&str>| match cursor {
            None => page(0..12, Some("b64next")),
            Some("b64next") => page(12..14, None),
            Some(other) => panic!("sent {other}"),
        };
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let (sent, skip) = server_cursor(cursor.as_deref());
            let got = cut(server(sent), 5, sent, skip);
            assert!(got.items.len() <= 5);
            seen.extend(got.items);
            cursor = got.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(
            seen,
            (0..14).collect::<Vec<_>>(),
            "every item once, in order"
        );
    }
}
