//! Test support shared by the integration tests: a Slack request signer, a
//! fake Slack Web API (with `response_url`s), and a helper that starts the
//! real `sentry-slack-bot serve` binary against them.
#![allow(dead_code)]

pub mod alerts;
pub mod app;
pub mod block_kit;
pub mod fake_sentry;
pub mod fake_slack;
pub mod fake_tapauth;
pub mod postgres;
pub mod signer;

/// Every scope the bot asks for by default, as the fake Sentry grants them.
pub const ALL_SCOPES: &[&str] = &[
    "org:read",
    "project:read",
    "team:read",
    "member:read",
    "event:write",
];

/// Serves `router` on an ephemeral loopback port in the background.
pub async fn serve_on_loopback(router: axum::Router, name: &str) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("bind {name}: {e}"));
    let addr = listener.local_addr().expect("local addr");
    let name = name.to_string();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .await
            .unwrap_or_else(|e| panic!("{name} stopped: {e}"));
    });
    addr
}

/// The element with `action_id` in a message's actions blocks.
pub fn action_element<'a>(
    reply: &'a serde_json::Value,
    action_id: &str,
) -> Option<&'a serde_json::Value> {
    reply["blocks"]
        .as_array()?
        .iter()
        .filter(|b| b["type"] == "actions")
        .flat_map(|b| b["elements"].as_array().into_iter().flatten())
        .find(|e| e["action_id"] == action_id)
}

/// The status of the first of up to ten sends that gets an answer, for
/// bodies a server refuses before reading them: it may close while the
/// client is still sending, which the client sees as a failed send.
#[allow(dead_code)]
pub async fn first_status(mut send: impl FnMut(usize) -> reqwest::RequestBuilder) -> Option<u16> {
    for attempt in 0..10 {
        if let Ok(response) = send(attempt).send().await {
            return Some(response.status().as_u16());
        }
    }
    None
}

/// The rows of an issue list: one section each, with its one menu.
pub fn list_rows(reply: &serde_json::Value) -> Vec<serde_json::Value> {
    reply["blocks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|block| {
            block["type"] == "section"
                && block["accessory"]["type"] == "overflow"
                && block["block_id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with('r'))
        })
        .collect()
}

/// A pick in a list row's menu of the option whose value starts with
/// `prefix` (`resolve:`, `show:`, …), as Slack sends it.
#[allow(dead_code)]
pub fn row_pick(row: &serde_json::Value, prefix: &str) -> serde_json::Value {
    let menu = &row["accessory"];
    let option = menu["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["value"].as_str().unwrap().starts_with(prefix))
        .unwrap_or_else(|| panic!("no {prefix} in the row's menu: {menu}"));
    serde_json::json!({
        "action_id": menu["action_id"], "block_id": row["block_id"],
        "type": "overflow", "selected_option": option
    })
}

/// All the text a person would read in a Slack message JSON: the fallback,
/// block texts, fields and element labels, one per line.
pub fn message_text(message: &serde_json::Value) -> String {
    let mut out = message["text"].as_str().unwrap_or_default().to_string();
    for block in message["blocks"].as_array().into_iter().flatten() {
        let mut parts = vec![&block["text"]["text"]];
        for field in block["fields"].as_array().into_iter().flatten() {
            parts.push(&field["text"]);
        }
        for element in block["elements"].as_array().into_iter().flatten() {
            parts.push(&element["text"]);
            parts.push(&element["text"]["text"]);
        }
        for part in parts {
            if let Some(text) = part.as_str() {
                out.push('\n');
                out.push_str(text);
            }
        }
    }
    out
}

/// Runs the async test body `$body(mode)` twice, as two tests in module
/// `$name`: against sentry.io as documented, and against a Sentry-compatible
/// server that strays from the docs.
#[macro_export]
macro_rules! both_modes {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sentry_io() {
                super::$body($crate::support::fake_sentry::Mode::SentryIo).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn compatible_server() {
                super::$body($crate::support::fake_sentry::Mode::Compatible).await
            }
        }
    };
}
