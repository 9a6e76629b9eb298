//! A command or interaction answer, as Slack expects it in an HTTP response
//! body or a `response_url` post.

use serde::Serialize;
use slack_morphism::prelude::SlackBlock;

use crate::slack::Message;

/// Who sees an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    /// Only the person who asked.
    Ephemeral,
    /// Everyone in the channel.
    InChannel,
}

/// An answer to a command or interaction.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Reply {
    /// Who sees it.
    #[serde(rename = "response_type")]
    pub visibility: Visibility,
    /// Plain fallback text.
    pub text: String,
    /// Block Kit blocks.
    pub blocks: Vec<SlackBlock>,
    /// Replace the message the interaction came from.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replace_original: bool,
}

impl Reply {
    /// An answer only the asker sees.
    pub fn ephemeral(message: Message) -> Self {
        Self {
            visibility: Visibility::Ephemeral,
            text: message.text,
            blocks: message.blocks,
            replace_original: false,
        }
    }
}

/// A reply rendered and serialized once, for answers that never change
/// (help): a request that asks for one costs a reference count, not a render.
#[derive(Debug, PartialEq)]
pub struct PreparedReply {
    /// The reply, for transports that need it as a value (Socket Mode).
    pub reply: Reply,
    /// The reply as the JSON body of an HTTP response.
    pub json: bytes::Bytes,
}

impl PreparedReply {
    /// Renders `reply`'s JSON now.
    pub fn new(reply: Reply) -> Self {
        // A `Reply` is strings and Block Kit values: it always serializes.
        let json = serde_json::to_vec(&reply).unwrap_or_default();
        Self {
            reply,
            json: json.into(),
        }
    }
}

/// An answer given in the response itself.
#[derive(Clone, Debug, PartialEq)]
pub enum ImmediateReply {
    /// Rendered for this request.
    Fresh(Reply),
    /// Rendered once for the process.
    Prepared(&'static PreparedReply),
}

impl ImmediateReply {
    /// The reply as an owned value.
    pub fn into_reply(self) -> Reply {
        match self {
            ImmediateReply::Fresh(reply) => reply,
            ImmediateReply::Prepared(prepared) => prepared.reply.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_as_slack_expects() {
        let reply = Reply::ephemeral(Message::mrkdwn("hi *there*"));
        let json = serde_json::to_value(&reply).expect("serializes");
        assert_eq!(json["response_type"], "ephemeral");
        assert_eq!(json["text"], "hi *there*");
        assert_eq!(json["blocks"][0]["type"], "section");
        assert_eq!(json["blocks"][0]["text"]["type"], "mrkdwn");
        assert!(json.get("replace_original").is_none());
    }

    #[test]
    fn a_prepared_reply_is_the_same_json_as_the_reply() {
        let reply = Reply::ephemeral(Message::mrkdwn("a <b> & \"c\""));
        let prepared = PreparedReply::new(reply.clone());
        let from_bytes: serde_json::Value = serde_json::from_slice(&prepared.json).unwrap();
        assert_eq!(from_bytes, serde_json::to_value(&reply).unwrap());
    }
}
