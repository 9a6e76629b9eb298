//! Posting a report with its chart. With `PUBLIC_URL` the chart is kept
//! in the store under an unguessable, expiring token and shown in an
//! image block that Slack fetches; without it (or when Slack cannot fetch
//! it) the PNG is uploaded to the channel right after the report. The
//! report is posted whatever becomes of the chart: the sparkline on its
//! events line stands in for it.

use chrono::Utc;
use chrono_tz::Tz;

use crate::context::Context;
use crate::reports::chart;
use crate::reports::figures::{Figures, Step, Timeline};
use crate::reports::message::{report, ChartImage, Heading};
use crate::slack::web::Upload;
use crate::slack::SlackError;

/// How long a hosted chart is served: Slack fetches it again when the
/// message is shown after its image cache expires.
const CHART_DAYS: i64 = 30;

/// A drawn chart and its words.
struct Drawn {
    png: Vec<u8>,
    title: String,
    alt: String,
}

/// Draws the chart off the async threads (it takes milliseconds of CPU).
async fn draw(heading: &Heading, timeline: &Timeline, tz: Tz) -> Option<Drawn> {
    let per = match timeline.step {
        Step::Hour => "hour",
        Step::Day => "day",
    };
    let title = format!(
        "{}/{} · events per {per} ({})",
        heading.org,
        heading.project,
        tz.name()
    );
    let alt = chart::alt_text(timeline, tz);
    let (timeline, caption) = (timeline.clone(), title.clone());
    match tokio::task::spawn_blocking(move || chart::draw(&timeline, &caption, tz)).await {
        Ok(Ok(png)) => Some(Drawn { png, title, alt }),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "report chart not drawn");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "report chart drawing stopped");
            None
        }
    }
}

/// Keeps the chart for Slack to fetch, when the bot has a public URL.
async fn host(ctx: &Context, drawn: &Drawn) -> Option<ChartImage> {
    let base = ctx.webhook_setup.public_url.as_ref()?;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let now = Utc::now().timestamp_millis();
    let expires = now + CHART_DAYS * 86_400_000;
    if let Err(e) = ctx.store.put_chart(&token, &drawn.png, expires, now).await {
        tracing::warn!(error = %e, "cannot keep the report chart; uploading it instead");
        return None;
    }
    let url = base.join(&format!("charts/{token}.png")).ok()?;
    Some(ChartImage {
        url,
        alt: drawn.alt.clone(),
    })
}

/// Uploads the chart to `channel`; a refusal only costs the chart.
async fn upload(ctx: &Context, channel: &str, drawn: &Drawn) {
    let upload = Upload {
        channel,
        filename: "report.png",
        title: &drawn.title,
        alt: &drawn.alt,
        content_type: "image/png",
        bytes: &drawn.png,
    };
    match ctx.slack.upload_file(&upload).await {
        Ok(file) => tracing::info!(%channel, %file, "report chart uploaded"),
        Err(SlackError::Api(code)) if code == "missing_scope" => tracing::warn!(
            %channel,
            "report chart not uploaded: the app lacks the files:write scope (add it, or set PUBLIC_URL)"
        ),
        Err(e) => tracing::warn!(%channel, error = %e, "report chart not uploaded"),
    }
}

/// Posts the report on `figures` in `channel` with its chart, the labels
/// read in `tz`; returns the report's `ts`.
pub(crate) async fn post(
    ctx: &Context,
    channel: &str,
    heading: &Heading,
    figures: &Figures,
    tz: Tz,
) -> Result<String, SlackError> {
    let drawn = match &figures.timeline {
        Some(timeline) if !timeline.buckets.is_empty() => draw(heading, timeline, tz).await,
        _ => None,
    };
    let hosted = match &drawn {
        Some(drawn) => host(ctx, drawn).await,
        None => None,
    };
    let posted = ctx
        .slack
        .post_message(
            channel,
            &report(heading, figures, hosted.as_ref()),
            None,
            false,
        )
        .await;
    let (ts, uploaded_needed) = match posted {
        Ok(ts) => (ts, hosted.is_none()),
        // Slack could not fetch the image (the public URL is not reachable
        // from the internet): the report without it, the chart uploaded.
        Err(SlackError::Api(code)) if hosted.is_some() && code == "invalid_blocks" => {
            tracing::warn!(%channel, "Slack could not show the hosted report chart; uploading it instead");
            let ts = ctx
                .slack
                .post_message(channel, &report(heading, figures, None), None, false)
                .await?;
            (ts, true)
        }
        Err(e) => return Err(e),
    };
    if let Some(drawn) = drawn.as_ref().filter(|_| uploaded_needed) {
        upload(ctx, channel, drawn).await;
    }
    Ok(ts)
}
