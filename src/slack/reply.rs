//! A command or interaction answer, as Slack expects it in an HTTP response
//! body or a `response_url` post.

use serde::Serialize;
use slack_morphism::prelude::SlackBlock;

use crate::render::Message;

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
}
