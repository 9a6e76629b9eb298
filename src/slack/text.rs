//! Block Kit to readable terminal text, for `sentry-slack-bot command`.

use serde_json::Value;

/// mrkdwn to plain text: links become `label (url)`, entities are decoded.
pub fn mrkdwn_to_plain(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('>') else {
            out.push_str(&rest[start..]);
            rest = "";
            break;
        };
        let inner = &after[..end];
        match inner.split_once('|') {
            Some((url, label)) if url.starts_with("http") => {
                out.push_str(&format!("{label} ({url})"))
            }
            Some((_, label)) => out.push_str(label),
            None if inner.starts_with('@') => out.push_str(inner),
            None => out.push_str(inner),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn element_text(element: &Value) -> Option<String> {
    match element["type"].as_str()? {
        "button" => Some(format!("[{}]", element["text"]["text"].as_str()?)),
        "static_select" | "overflow" => {
            let labels: Vec<&str> = element["options"]
                .as_array()?
                .iter()
                .filter_map(|o| o["text"]["text"].as_str())
                .collect();
            Some(format!("[{}]", labels.join(" | ")))
        }
        _ => element["text"].as_str().map(mrkdwn_to_plain),
    }
}

/// A message (`{text, blocks}` JSON) as lines of text.
pub fn message_to_text(message: &Value) -> String {
    let Some(blocks) = message["blocks"].as_array().filter(|b| !b.is_empty()) else {
        return mrkdwn_to_plain(message["text"].as_str().unwrap_or_default());
    };
    let mut lines = Vec::new();
    for block in blocks {
        match block["type"].as_str() {
            Some("header") => {
                let title = mrkdwn_to_plain(block["text"]["text"].as_str().unwrap_or_default());
                lines.push(format!("== {title} =="));
            }
            Some("section") => {
                if let Some(text) = block["text"]["text"].as_str() {
                    lines.push(mrkdwn_to_plain(text));
                }
                for field in block["fields"].as_array().into_iter().flatten() {
                    let text = mrkdwn_to_plain(field["text"].as_str().unwrap_or_default());
                    lines.push(text.replacen('\n', ": ", 1));
                }
                if let Some(accessory) = element_text(&block["accessory"]) {
                    lines.push(format!("    {accessory}"));
                }
            }
            Some("context") | Some("actions") => {
                let parts: Vec<String> = block["elements"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(element_text)
                    .collect();
                lines.push(parts.join(" "));
            }
            Some("divider") => lines.push("---".into()),
            _ => {}
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn links_entities_and_blocks_become_plain_lines() {
        assert_eq!(
            mrkdwn_to_plain("<https://x/1|*API-3F*> a &lt;b&gt; &amp; <@U1>"),
            "*API-3F* (https://x/1) a <b> & @U1"
        );
        let message = json!({ "text": "t", "blocks": [
            { "type": "header", "text": { "type": "plain_text", "text": "Title &amp; more" } },
            { "type": "section", "fields": [{ "type": "mrkdwn", "text": "*Status*\nunresolved" }] },
            { "type": "actions", "elements": [{ "type": "button", "text": { "type": "plain_text", "text": "Resolve" } }] }
        ]});
        assert_eq!(
            message_to_text(&message),
            "== Title & more ==\n*Status*: unresolved\n[Resolve]"
        );
    }
}
