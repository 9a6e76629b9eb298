//! Block Kit limits as Slack enforces them: a message that breaks one is
//! rejected whole with `invalid_blocks`.

use std::collections::HashSet;

use serde_json::Value;

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn text_of(v: &Value) -> &Value {
    &v["text"]
}

/// Every limit `message` (a chat.postMessage / response_url body) breaks.
pub fn violations(message: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    let blocks = message["blocks"].as_array();
    let has_text = message["text"].as_str().is_some_and(|t| !t.is_empty());
    if !has_text && blocks.is_none_or(|b| b.is_empty()) {
        errors.push("no_text".to_string());
    }
    let Some(blocks) = blocks else {
        return errors;
    };
    if blocks.len() > 50 {
        errors.push(format!(
            "must provide an array of no more than 50 items [json-pointer:/blocks] ({})",
            blocks.len()
        ));
    }
    let mut action_ids = HashSet::new();
    for (i, block) in blocks.iter().enumerate() {
        let at = format!("/blocks/{i}");
        match block["type"].as_str() {
            Some("section") => {
                if text_of(block).is_null() && block["fields"].is_null() {
                    errors.push(format!("section needs text or fields [json-pointer:{at}]"));
                }
                if chars(&text_of(block)["text"]) > 3000 {
                    errors.push(format!(
                        "must be less than 3001 characters [json-pointer:{at}/text/text]"
                    ));
                }
                if let Some(fields) = block["fields"].as_array() {
                    if fields.len() > 10 {
                        errors.push(format!(
                            "must provide no more than 10 items [json-pointer:{at}/fields]"
                        ));
                    }
                    for (f, field) in fields.iter().enumerate() {
                        if chars(&field["text"]) > 2000 {
                            errors.push(format!("must be less than 2001 characters [json-pointer:{at}/fields/{f}/text]"));
                        }
                    }
                }
                if !block["accessory"].is_null() {
                    check_element(
                        &block["accessory"],
                        &format!("{at}/accessory"),
                        &mut action_ids,
                        &mut errors,
                    );
                }
            }
            Some("header") => {
                if text_of(block)["type"] != "plain_text" {
                    errors.push(format!(
                        "header text must be plain_text [json-pointer:{at}/text]"
                    ));
                }
                if chars(&text_of(block)["text"]) > 150 {
                    errors.push(format!(
                        "must be less than 151 characters [json-pointer:{at}/text/text]"
                    ));
                }
            }
            Some("context") => {
                let elements = block["elements"].as_array().map_or(0, Vec::len);
                if elements == 0 || elements > 10 {
                    errors.push(format!(
                        "must provide 1 to 10 items [json-pointer:{at}/elements]"
                    ));
                }
            }
            Some("actions") => {
                let elements = block["elements"].as_array().cloned().unwrap_or_default();
                if elements.is_empty() || elements.len() > 25 {
                    errors.push(format!(
                        "must provide 1 to 25 items [json-pointer:{at}/elements]"
                    ));
                }
                for (e, element) in elements.iter().enumerate() {
                    check_element(
                        element,
                        &format!("{at}/elements/{e}"),
                        &mut action_ids,
                        &mut errors,
                    );
                }
            }
            Some("divider") | Some("image") | Some("rich_text") => {}
            other => errors.push(format!("unknown block type {other:?} [json-pointer:{at}]")),
        }
    }
    errors
}

fn check_element(
    element: &Value,
    at: &str,
    action_ids: &mut HashSet<String>,
    errors: &mut Vec<String>,
) {
    if let Some(id) = element["action_id"].as_str() {
        if id.chars().count() > 255 {
            errors.push(format!(
                "must be less than 256 characters [json-pointer:{at}/action_id]"
            ));
        }
        if !action_ids.insert(id.to_string()) {
            errors.push(format!(
                "action_id must be unique in the message [json-pointer:{at}/action_id]"
            ));
        }
    }
    if element["type"] == "button" {
        if chars(&element["text"]["text"]) > 75 {
            errors.push(format!(
                "must be less than 76 characters [json-pointer:{at}/text/text]"
            ));
        }
        if chars(&element["value"]) > 2000 {
            errors.push(format!(
                "must be less than 2001 characters [json-pointer:{at}/value]"
            ));
        }
    }
}
