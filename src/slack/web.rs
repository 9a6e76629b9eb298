//! The Slack Web API through slack-morphism. The connector accepts `http://`
//! as well as `https://` so `SLACK_API_URL` can point at a local server.

use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;

use crate::config::Secret;
use crate::slack::SlackError;

/// The HTTP(S) connector the Slack client uses.
pub(crate) type Connector = SlackClientHyperConnector<HttpsConnector<HttpConnector>>;

/// Who the bot token belongs to, from `auth.test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BotIdentity {
    /// Workspace name.
    pub team: String,
    /// Workspace ID.
    pub team_id: String,
    /// The bot user's ID.
    pub user_id: String,
}

/// A Web API client bound to the bot token.
#[derive(Clone)]
pub struct SlackWeb {
    client: Arc<SlackClient<Connector>>,
    token: SlackApiToken,
}

impl std::fmt::Debug for SlackWeb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackWeb").finish_non_exhaustive()
    }
}

impl SlackWeb {
    /// A client for the Web API at `api_base` (no trailing slash).
    pub fn new(api_base: &str, bot_token: &Secret) -> Result<Self, SlackError> {
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .build();
        let connector =
            SlackClientHyperConnector::with_connector(https).with_slack_api_url(api_base);
        Ok(Self {
            client: Arc::new(SlackClient::new(connector)),
            token: SlackApiToken::new(bot_token.expose().to_string().into()),
        })
    }

    /// The underlying slack-morphism client, for Socket Mode.
    pub fn client(&self) -> Arc<SlackClient<Connector>> {
        self.client.clone()
    }

    /// Calls `auth.test` to learn who the token belongs to.
    pub async fn auth_test(&self) -> Result<BotIdentity, SlackError> {
        let session = self.client.open_session(&self.token);
        let response = bounded(session.auth_test()).await?;
        Ok(BotIdentity {
            team: response.team,
            team_id: response.team_id.to_string(),
            user_id: response.user_id.to_string(),
        })
    }
}

impl SlackWeb {
    /// Whether the user is a workspace admin or owner (`users.info`).
    pub async fn user_is_admin(&self, user_id: &str) -> Result<bool, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUsersInfoRequest::new(user_id.to_string().into());
        let response = bounded(session.users_info(&request)).await?;
        let flags = &response.user.flags;
        Ok(flags.is_admin == Some(true)
            || flags.is_owner == Some(true)
            || flags.is_primary_owner == Some(true))
    }
}

impl SlackWeb {
    /// The user's email from `users.info`, when Slack shares it.
    pub async fn user_email(&self, user_id: &str) -> Result<Option<String>, SlackError> {
        Ok(self.user_profile(user_id).await?.email)
    }

    /// The user's name and email (when Slack shares it) from `users.info`.
    pub async fn user_profile(&self, user_id: &str) -> Result<SlackProfile, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUsersInfoRequest::new(user_id.to_string().into());
        let response = bounded(session.users_info(&request)).await?;
        let user = response.user;
        let flags = &user.flags;
        let admin = flags.is_admin == Some(true)
            || flags.is_owner == Some(true)
            || flags.is_primary_owner == Some(true);
        let profile = user.profile;
        let email = profile
            .as_ref()
            .and_then(|p| p.email.as_ref())
            .map(|e| e.to_string())
            .filter(|e| !e.is_empty());
        let name = profile
            .as_ref()
            .and_then(|p| p.real_name.clone().or(p.display_name.clone()))
            .filter(|n| !n.is_empty())
            .or(user.name.clone())
            .unwrap_or_else(|| user_id.to_string());
        let tz = user.tz.clone().filter(|tz| !tz.is_empty());
        Ok(SlackProfile {
            name,
            email,
            admin,
            tz,
        })
    }
}

/// Most pages of `users.list` read: 20 pages of 200 members.
const MAX_USER_PAGES: usize = 20;
/// Members per `users.list` page.
const USERS_PER_PAGE: u16 = 200;
/// Most people read from `users.list`.
pub(crate) const MAX_PEOPLE_READ: usize = MAX_USER_PAGES * USERS_PER_PAGE as usize;

impl SlackWeb {
    /// The Slack user whose profile email is `email` (`users.lookupByEmail`),
    /// or `None` when no one's is.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<String>, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUsersLookupByEmailRequest::new(email.to_string().into());
        match bounded(session.users_lookup_by_email(&request)).await {
            // A deactivated account or a bot is no one to mention.
            Ok(response)
                if response.user.deleted == Some(true)
                    || response.user.flags.is_bot == Some(true) =>
            {
                Ok(None)
            }
            Ok(response) => Ok(Some(response.user.id.to_string())),
            Err(SlackError::Api(code)) if code == "users_not_found" => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The workspace's people (`users.list`, following cursors), without
    /// bots and deactivated accounts; `complete` is false when the pages
    /// read stopped short of the end.
    pub async fn people(&self) -> Result<SlackPeople, SlackError> {
        let session = self.client.open_session(&self.token);
        let mut people = Vec::new();
        let mut cursor: Option<SlackCursorId> = None;
        for _ in 0..MAX_USER_PAGES {
            let request = SlackApiUsersListRequest::new()
                .with_limit(USERS_PER_PAGE)
                .opt_cursor(cursor.clone());
            let response = bounded(session.users_list(&request)).await?;
            for user in response.members {
                if user.deleted == Some(true) || user.flags.is_bot == Some(true) {
                    continue;
                }
                let profile = user.profile.as_ref();
                people.push(SlackPerson {
                    id: user.id.to_string(),
                    handle: user.name.clone().unwrap_or_default(),
                    display_name: profile
                        .and_then(|p| p.display_name.clone())
                        .unwrap_or_default(),
                    email: profile
                        .and_then(|p| p.email.as_ref())
                        .map(|e| e.to_string()),
                });
            }
            cursor = response
                .response_metadata
                .and_then(|m| m.next_cursor)
                .filter(|c| !c.to_string().is_empty());
            if cursor.is_none() {
                break;
            }
        }
        Ok(SlackPeople {
            complete: cursor.is_none(),
            people,
        })
    }
}

/// The workspace's people as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlackPeople {
    /// Those read.
    pub people: Vec<SlackPerson>,
    /// Every page was read.
    pub complete: bool,
}

/// A workspace member as `users.list` describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackPerson {
    /// User id.
    pub id: String,
    /// The `@handle`.
    pub handle: String,
    /// Display name, possibly empty.
    pub display_name: String,
    /// Profile email, when Slack shares it.
    pub email: Option<String>,
}

/// Who a Slack user is, as the bot needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackProfile {
    /// Real or display name.
    pub name: String,
    /// Profile email, when Slack shares it (`users:read.email`).
    pub email: Option<String>,
    /// Workspace admin or owner.
    pub admin: bool,
    /// The user's IANA time zone (`Europe/Berlin`), as set in Slack.
    pub tz: Option<String>,
}

/// A new message's content: a message without blocks is sent as text
/// alone (Slack refuses an empty `blocks` list).
fn post_content(message: &crate::slack::Message) -> SlackMessageContent {
    let content = SlackMessageContent::new().with_text(message.text.clone());
    if message.blocks.is_empty() {
        content
    } else {
        content.with_blocks(message.blocks.clone())
    }
}

/// A channel as Slack shows it to the bot.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelState {
    /// The bot is a member (it can post even in a private channel).
    pub is_member: bool,
    /// Archived: nobody can post.
    pub is_archived: bool,
    /// A private channel, where only members can post.
    pub is_private: bool,
    /// A DM.
    pub is_im: bool,
}

impl SlackWeb {
    /// Posts `message` in `channel` (in a thread when `thread_ts` is set,
    /// also shown in the channel when `broadcast`); returns its `ts`.
    pub async fn post_message(
        &self,
        channel: &str,
        message: &crate::slack::Message,
        thread_ts: Option<&str>,
        broadcast: bool,
    ) -> Result<String, SlackError> {
        let session = self.client.open_session(&self.token);
        let content = post_content(message);
        let mut request = SlackApiChatPostMessageRequest::new(channel.to_string().into(), content)
            .with_unfurl_links(false)
            .with_unfurl_media(false);
        if let Some(ts) = thread_ts {
            request = request.with_thread_ts(ts.to_string().into());
            if broadcast {
                request = request.with_reply_broadcast(true);
            }
        }
        let response = bounded(session.chat_post_message(&request)).await?;
        Ok(response.ts.to_string())
    }

    /// Sends `message` to `user` in the app's DM with them; returns the DM
    /// channel's id (`D…`, which later updates need) and the `ts`.
    pub async fn post_dm(
        &self,
        user: &str,
        message: &crate::slack::Message,
    ) -> Result<(String, String), SlackError> {
        let session = self.client.open_session(&self.token);
        let content = post_content(message);
        let request = SlackApiChatPostMessageRequest::new(user.to_string().into(), content)
            .with_unfurl_links(false)
            .with_unfurl_media(false);
        let response = bounded(session.chat_post_message(&request)).await?;
        Ok((response.channel.to_string(), response.ts.to_string()))
    }

    /// What Slack says of `channel` to the bot (scopes `channels:read`,
    /// `groups:read`): whether the bot is a member, whether it is archived.
    pub async fn channel_state(&self, channel: &str) -> Result<ChannelState, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiConversationsInfoRequest::new(channel.to_string().into());
        let response = bounded(session.conversations_info(&request)).await?;
        let flags = response.channel.flags;
        Ok(ChannelState {
            is_member: flags.is_member.unwrap_or(false),
            is_archived: flags.is_archived.unwrap_or(false),
            is_private: flags.is_private.unwrap_or(false),
            is_im: flags.is_im.unwrap_or(false),
        })
    }

    /// Shows `blocks` as `user`'s Home tab of the app (at most 100 blocks).
    pub async fn publish_home(
        &self,
        user: &str,
        blocks: Vec<slack_morphism::prelude::SlackBlock>,
    ) -> Result<(), SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiViewsPublishRequest::new(
            user.to_string().into(),
            SlackView::Home(SlackHomeView::new(blocks)),
        );
        bounded(session.views_publish(&request)).await?;
        Ok(())
    }

    /// The workspace's user groups as (id, handle) (scope `usergroups:read`).
    pub async fn user_groups(&self) -> Result<Vec<(String, String)>, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiUserGroupsListRequest::new();
        let response = bounded(session.usergroups_list(&request)).await?;
        Ok(response
            .usergroups
            .into_iter()
            .map(|g| (g.id.to_string(), g.handle))
            .collect())
    }

    /// Replaces the message at `ts` in `channel`.
    pub async fn update_message(
        &self,
        channel: &str,
        ts: &str,
        message: &crate::slack::Message,
    ) -> Result<(), SlackError> {
        let session = self.client.open_session(&self.token);
        let content = SlackMessageContent::new()
            .with_text(message.text.clone())
            .with_blocks(message.blocks.clone());
        let request = SlackApiChatUpdateRequest::new(
            channel.to_string().into(),
            content,
            ts.to_string().into(),
        );
        bounded(session.chat_update(&request)).await?;
        Ok(())
    }
}

/// A file to share in a channel.
#[derive(Clone, Debug)]
pub struct Upload<'a> {
    /// Channel to share it in.
    pub channel: &'a str,
    /// File name, with its extension (`report.png`).
    pub filename: &'a str,
    /// Title shown above it.
    pub title: &'a str,
    /// Text for screen readers (images).
    pub alt: &'a str,
    /// MIME type of `bytes`.
    pub content_type: &'a str,
    /// The file.
    pub bytes: &'a [u8],
}

impl SlackWeb {
    /// Uploads a file and shares it in its channel (scope `files:write`):
    /// `files.getUploadURLExternal`, the bytes to the URL it answers, then
    /// `files.completeUploadExternal`. Returns the file's id.
    pub async fn upload_file(&self, upload: &Upload<'_>) -> Result<String, SlackError> {
        let session = self.client.open_session(&self.token);
        let request = SlackApiFilesGetUploadUrlExternalRequest::new(
            upload.filename.to_string(),
            upload.bytes.len(),
        )
        .with_alt_txt(upload.alt.to_string());
        let target = bounded(session.get_upload_url_external(&request)).await?;
        let bytes = SlackApiFilesUploadViaUrlRequest::new(
            target.upload_url,
            upload.bytes.to_vec(),
            upload.content_type.to_string(),
        );
        bounded(session.files_upload_via_url(&bytes)).await?;
        let file =
            SlackApiFilesComplete::new(target.file_id.clone()).with_title(upload.title.to_string());
        let complete = SlackApiFilesCompleteUploadExternalRequest::new(vec![file])
            .with_channel_id(upload.channel.to_string().into());
        bounded(session.files_complete_upload_external(&complete)).await?;
        Ok(target.file_id.to_string())
    }
}

impl SlackWeb {
    /// Unfurls links in the message at `ts` in `channel`: URL → blocks.
    pub async fn unfurl(
        &self,
        channel: &str,
        ts: &str,
        unfurls: Vec<(String, crate::slack::Message)>,
    ) -> Result<(), SlackError> {
        let session = self.client.open_session(&self.token);
        let map = unfurls
            .into_iter()
            .map(|(url, message)| (url, SlackApiChatUnfurlMapItemV2::new(message.blocks)))
            .collect();
        let id = SlackUnfurlRequestId::ChannelTs(SlackChannelTs::new(
            channel.to_string().into(),
            ts.to_string().into(),
        ));
        let request = SlackApiChatUnfurlRequestV3::new(id, map);
        bounded(session.chat_unfurl_v3(&request)).await?;
        Ok(())
    }
}

/// Longest a Slack Web API call may take; a post that hangs must not
/// outlive the claim it is made under.
pub(crate) const SLACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a Slack call within [`SLACK_TIMEOUT`].
async fn bounded<T>(
    call: impl std::future::Future<Output = Result<T, SlackClientError>>,
) -> Result<T, SlackError> {
    match tokio::time::timeout(SLACK_TIMEOUT, call).await {
        Ok(result) => result.map_err(map_error),
        Err(_) => Err(SlackError::Unreachable(format!(
            "no answer within {} s",
            SLACK_TIMEOUT.as_secs()
        ))),
    }
}

fn map_error(error: SlackClientError) -> SlackError {
    match error {
        SlackClientError::ApiError(e) => SlackError::Api(e.code),
        SlackClientError::RateLimitError(e) => SlackError::RateLimited {
            retry_after_secs: e.retry_after.map(|d| d.as_secs()).unwrap_or(1),
        },
        SlackClientError::HttpError(e) => SlackError::Status {
            status: e.status_code.as_u16(),
            body: e
                .http_response_body
                .unwrap_or_default()
                .chars()
                .take(200)
                .collect(),
        },
        other => SlackError::Unreachable(other.to_string()),
    }
}
