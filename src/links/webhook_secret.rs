//! `/sentry webhooks <org> [client secret | off]`: how to point an org's
//! internal integration at the bot, and the sealed client secret that
//! verifies its deliveries. Workspace admins only, like linking.

use crate::commands::parse::WebhookChange;
use crate::context::Context;
use crate::context::Invocation;
use crate::links::link::may_manage_orgs;
use crate::links::webhook_messages::{self as render, SecretSource, Setup};
use crate::orgs::failures;
use crate::orgs::grants::GrantError;
use crate::slack::Message;
use crate::store::now_ms;

/// Runs `/sentry webhooks`.
pub(crate) async fn run(
    ctx: &Context,
    who: &Invocation,
    org: &str,
    change: &WebhookChange,
) -> Message {
    if let Err(denied) = may_manage_orgs(ctx, &who.user_id, "set up webhooks for").await {
        return denied;
    }
    match change {
        // Forgetting a secret needs no link: one may outlive its org's grant.
        WebhookChange::Remove => remove(ctx, org).await,
        WebhookChange::Show | WebhookChange::SetSecret(_) => match ctx.issues.linked_orgs().await {
            Ok(orgs) if orgs.iter().any(|o| o.org == org) => {
                show_or_set(ctx, who, org, change).await
            }
            Ok(_) => failures::grant_error(&GrantError::NotLinked {
                org: org.to_string(),
            }),
            Err(e) => failures::grant_error(&e),
        },
    }
}

async fn remove(ctx: &Context, org: &str) -> Message {
    if ctx.webhook_setup.secret_in_environment(org) {
        return render::secret_from_environment(org);
    }
    match ctx.store.remove_webhook_secret(org).await {
        Ok(had) => {
            tracing::info!(org, had, "webhook secret removed");
            render::secret_removed(org, had)
        }
        Err(e) => {
            tracing::warn!(org, error = %e, "cannot remove the webhook secret");
            failures::grant_error(&GrantError::Store(e))
        }
    }
}

/// The set-up answer, or the secret stored; `org` is linked.
async fn show_or_set(
    ctx: &Context,
    who: &Invocation,
    org: &str,
    change: &WebhookChange,
) -> Message {
    let setup = &ctx.webhook_setup;
    let endpoint = setup.endpoint(org);
    let state = match ctx.store.webhook_state(org).await {
        Ok(state) => state,
        Err(e) => {
            tracing::warn!(org, error = %e, "cannot read the webhook state");
            return failures::grant_error(&GrantError::Store(e));
        }
    };
    let secret = match change {
        WebhookChange::SetSecret(secret) => secret,
        WebhookChange::Show | WebhookChange::Remove => {
            let now = now_ms();
            let source = if setup.secret_in_environment(org) {
                SecretSource::Environment
            } else if state.stored_secret {
                SecretSource::Stored {
                    by: state.set_by,
                    seconds_ago: state.set_at_ms.map(|at| (now - at) / 1000),
                }
            } else {
                SecretSource::Missing
            };
            return render::setup(&Setup {
                org: org.to_string(),
                endpoint,
                secret: source,
                last_delivery_seconds_ago: state.last_received_ms.map(|at| (now - at) / 1000),
            });
        }
    };
    if setup.secret_in_environment(org) {
        return render::secret_from_environment(org);
    }
    let sealed = setup.secrets.sealer.seal(secret);
    match ctx
        .store
        .put_webhook_secret(org, &sealed, &who.user_id)
        .await
    {
        Ok(()) => {
            tracing::info!(org, "webhook secret stored");
            render::secret_stored(
                org,
                &endpoint,
                state.stored_secret,
                setup.secrets.sealer.encrypts(),
            )
        }
        Err(e) => {
            tracing::warn!(org, error = %e, "cannot store the webhook secret");
            failures::grant_error(&GrantError::Store(e))
        }
    }
}
