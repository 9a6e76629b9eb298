//! Slack events (Events API or Socket Mode): each delivery acted on once
//! per replica; `link_shared` becomes an unfurl; `member_joined_channel`
//! (the bot added) and `channel_unarchive` resume a channel Slack refused;
//! `app_home_opened` draws the person's Home tab.

use serde::Deserialize;

use crate::context::Context;
use crate::issues::unfurl::unfurl;
use crate::recent_ids::RecentIds;

/// An Events API envelope, as much as the bot reads.
#[derive(Debug, Deserialize)]
pub(crate) struct EventEnvelope {
    /// `event_callback`, `url_verification`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// The handshake's challenge.
    #[serde(default)]
    pub challenge: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    event: Option<InnerEvent>,
}

#[derive(Debug, Deserialize)]
struct InnerEvent {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    channel: String,
    /// Who joined, on `member_joined_channel`; who opened, on `app_home_opened`.
    #[serde(default)]
    user: String,
    /// Which tab was opened, on `app_home_opened`.
    #[serde(default)]
    tab: String,
    #[serde(default)]
    message_ts: String,
    #[serde(default)]
    links: Vec<SharedLink>,
}

#[derive(Debug, Deserialize)]
struct SharedLink {
    #[serde(default)]
    url: String,
}

/// Starts the work an event calls for, whichever way it arrived.
pub(crate) fn dispatch(ctx: &Context, recent: &RecentIds, envelope: EventEnvelope) {
    if envelope.kind != "event_callback" {
        tracing::info!(kind = %envelope.kind, "ignored event envelope");
        return;
    }
    let event_id = envelope.event_id.as_deref().unwrap_or("");
    tracing::info!(
        event_id,
        event = envelope.event.as_ref().map_or("", |e| e.kind.as_str()),
        "event received"
    );
    if !event_id.is_empty() && !recent.first_time(event_id) {
        tracing::info!(event_id, "event already handled; Slack delivered it again");
        return;
    }
    let Some(event) = envelope.event else {
        return;
    };
    match event.kind.as_str() {
        "link_shared" => {
            let urls: Vec<String> = event.links.into_iter().map(|l| l.url).collect();
            // A skipped unfurl leaves the plain link, which is harmless.
            let Some(slot) = ctx.deferred.admit() else {
                return;
            };
            let task_ctx = ctx.clone();
            ctx.tasks.spawn(async move {
                let _slot = slot;
                unfurl(&task_ctx, &event.channel, &event.message_ts, &urls).await;
            });
        }
        // The bot was added to a channel (or one was unarchived): alerts
        // waiting for it go out. Cheap: a store read or two, and `auth.test`
        // once per process.
        "member_joined_channel" => {
            let task_ctx = ctx.clone();
            ctx.tasks.spawn(async move {
                crate::health::doctor::joined(&task_ctx, &event.channel, &event.user).await;
            });
        }
        "app_home_opened" if event.tab == "home" => {
            let task_ctx = ctx.clone();
            ctx.tasks.spawn(async move {
                crate::home::refresh::opened(&task_ctx, &event.user).await;
            });
        }
        "channel_unarchive" => {
            let task_ctx = ctx.clone();
            ctx.tasks.spawn(async move {
                crate::health::doctor::unarchived(&task_ctx, &event.channel).await;
            });
        }
        _ => {}
    }
}
