//! `/sentry link`, `/sentry unlink` and `/sentry orgs`.

use std::time::Duration;

use tracing::Instrument;

use crate::context::Context;
use crate::context::Invocation;
use crate::links::messages as render;
use crate::orgs::failures;
use crate::orgs::grants::tapauth::TapAuthError;
use crate::orgs::grants::{GrantError, LinkPoll};
use crate::slack::Message;
use crate::slack::Reply;

/// How long a person has to approve before the bot stops polling.
const APPROVAL_WINDOW: Duration = Duration::from_secs(render::APPROVAL_MINUTES * 60);

/// Who may link, unlink and set up webhooks: workspace admins and owners,
/// and `ADMIN_SLACK_USERS`. `what` completes "can … Sentry orgs".
pub(super) async fn may_manage_orgs(
    ctx: &Context,
    user_id: &str,
    what: &str,
) -> Result<(), Message> {
    ctx.require_admin(user_id, &format!("{what} Sentry orgs"))
        .await
}

/// `/sentry link`: an approval link now, the outcome later.
pub(crate) async fn link(ctx: &Context, who: &Invocation) -> Reply {
    if let Err(denied) = may_manage_orgs(ctx, &who.user_id, "link or unlink").await {
        return Reply::ephemeral(denied);
    }
    let created = match ctx.issues.grants().start_link().await {
        Ok(created) => created,
        Err(e) => {
            tracing::warn!(error = %e, "could not start a TapAuth grant");
            return Reply::ephemeral(failures::grant_error(&e));
        }
    };
    tracing::info!(grant_id = %created.id, api = created.api.as_str(), "link started; waiting for approval");
    let approval = render::approval(&created.approve_url, ctx.issues.grants().requested_scopes());
    let task_ctx = ctx.clone();
    let task_who = who.clone();
    ctx.tasks.spawn(
        async move {
            let outcome = await_approval(&task_ctx, &created, &task_who).await;
            if let Err(e) = task_ctx
                .responder
                .send(&task_who.response_url, &Reply::ephemeral(outcome))
                .await
            {
                tracing::error!(error = %e, "could not tell the user how linking ended");
            }
        }
        .in_current_span(),
    );
    Reply::ephemeral(approval)
}

/// Polls TapAuth until the grant is approved, refused, or the window closes.
async fn await_approval(
    ctx: &Context,
    created: &crate::orgs::grants::tapauth::CreatedGrant,
    who: &Invocation,
) -> Message {
    let deadline = tokio::time::Instant::now() + APPROVAL_WINDOW;
    let interval = ctx.link_poll_interval;
    loop {
        tokio::time::sleep(interval).await;
        if tokio::time::Instant::now() >= deadline {
            tracing::info!("link not approved in time");
            return render::link_failed("timeout");
        }
        match ctx.issues.grants().poll_link(created).await {
            Ok(LinkPoll::Pending) => continue,
            Ok(LinkPoll::Failed { status }) => {
                tracing::info!(%status, "link ended without approval");
                return render::link_failed(&status);
            }
            Ok(LinkPoll::Approved {
                token,
                scopes,
                expires_at,
            }) => {
                let requested = ctx.issues.grants().requested_scopes().to_vec();
                let granted = scopes.unwrap_or_else(|| requested.clone());
                return match ctx
                    .issues
                    .complete_link(created, &token, &granted, expires_at, &who.user_id)
                    .await
                {
                    Ok(results) => {
                        let orgs: Vec<&str> = results.iter().map(|r| r.org.as_str()).collect();
                        tracing::info!(?orgs, "org linked");
                        render::linked(&results, &granted, &requested)
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "approved grant could not be completed");
                        failures::grant_error(&e)
                    }
                };
            }
            // The broker may blink; keep polling until the window closes.
            Err(GrantError::Broker(TapAuthError::Unavailable(reason))) => {
                tracing::warn!(%reason, "TapAuth unavailable while waiting for approval");
            }
            Err(e) => {
                tracing::warn!(error = %e, "polling the grant failed");
                return failures::grant_error(&e);
            }
        }
    }
}

/// `/sentry unlink <org>`.
pub(crate) async fn unlink(ctx: &Context, who: &Invocation, org: &str) -> Reply {
    if let Err(denied) = may_manage_orgs(ctx, &who.user_id, "link or unlink").await {
        return Reply::ephemeral(denied);
    }
    match ctx.issues.unlink(org).await {
        Ok(outcome) => {
            tracing::info!(org, ?outcome, "unlink");
            // An unlinked org's webhooks must not keep posting; a secret
            // left from an earlier unlink is cleared too.
            if outcome != crate::orgs::grants::Unlinked::Static {
                if let Err(e) = ctx.store.remove_webhook_secret(org).await {
                    tracing::warn!(org, error = %e, "cannot forget the unlinked org's webhook secret");
                }
            }
            Reply::ephemeral(render::unlinked(org, outcome))
        }
        Err(e) => Reply::ephemeral(failures::grant_error(&e)),
    }
}

/// `/sentry orgs`.
pub(crate) async fn orgs(ctx: &Context) -> Reply {
    match ctx.issues.linked_orgs().await {
        Ok(orgs) => {
            // Orgs are probed side by side, so a slow one does not hold up the rest.
            let gaps =
                futures_util::future::join_all(orgs.iter().map(|o| ctx.issues.gaps_probed(&o.org)))
                    .await;
            let orgs: Vec<_> = orgs.into_iter().zip(gaps).collect();
            let now = crate::store::now_ms();
            let webhooks = match ctx.store.webhook_arrivals().await {
                Ok(arrivals) => arrivals
                    .into_iter()
                    .map(|(org, at)| (org, (now - at) / 1000))
                    .collect(),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read webhook arrivals");
                    Default::default()
                }
            };
            Reply::ephemeral(render::orgs(&orgs, &webhooks, now))
        }
        Err(e) => Reply::ephemeral(failures::grant_error(&e)),
    }
}
