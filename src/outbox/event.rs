//! The kinds of event, as receivers name them, and the id each delivery of one carries.
use uuid::Uuid;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// A referral was recorded (pending).
    ReferralCreated,
    ReferralConfirmed,
    ReferralRejected,
    /// A confirmation was taken back; the referral is pending again.
    ReferralUnconfirmed,
    /// A referrer was credited for a confirmed referral.
    RewardCredited,
    /// A credit was reversed (the referral was unconfirmed or rejected).
    RewardReversed,
    /// The referred user was credited too (`HYPE_REFEREE_REWARD_POINTS`).
    RefereeRewardCredited,
    /// The referred user's credit was reversed.
    RefereeRewardReversed,
    UserCreated,
    /// Sent by an admin's "Send test event" to one endpoint only.
    WebhookTest,
    /// Mail only: confirm an e-mail address (data: the token's id).
    EmailConfirmation,
    /// Mail only: a password-reset link (data: the token's id).
    PasswordReset,
    /// Mail only: the hourly digest of referrals waiting for review, to admins.
    ReviewDigest,
}

impl EventType {
    /// The types an endpoint can ask for.
    pub const ALL: [Self; 9] = [
        Self::ReferralCreated,
        Self::ReferralConfirmed,
        Self::ReferralRejected,
        Self::ReferralUnconfirmed,
        Self::RewardCredited,
        Self::RewardReversed,
        Self::RefereeRewardCredited,
        Self::RefereeRewardReversed,
        Self::UserCreated,
    ];

    /// The type as receivers see it: `referral.confirmed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReferralCreated => "referral.created",
            Self::ReferralConfirmed => "referral.confirmed",
            Self::ReferralRejected => "referral.rejected",
            Self::ReferralUnconfirmed => "referral.unconfirmed",
            Self::RewardCredited => "reward.credited",
            Self::RewardReversed => "reward.reversed",
            Self::RefereeRewardCredited => "referee_reward.credited",
            Self::RefereeRewardReversed => "referee_reward.reversed",
            Self::UserCreated => "user.created",
            Self::WebhookTest => "webhook.test",
            Self::EmailConfirmation => "account.email_confirmation",
            Self::PasswordReset => "account.password_reset",
            Self::ReviewDigest => "admin.review_digest",
        }
    }

    /// True when an endpoint whose `events` column is `events` wants this type (empty: all
    /// of [`Self::ALL`]; the mail-only types never go to webhooks).
    pub fn wanted_by(self, events: &str) -> bool {
        Self::ALL.contains(&self)
            && (events.trim().is_empty() || events.split(',').any(|e| e.trim() == self.as_str()))
    }

    /// The type a stored event names, mail-only types included.
    pub fn from_stored(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .chain([
                Self::WebhookTest,
                Self::EmailConfirmation,
                Self::PasswordReset,
                Self::ReviewDigest,
            ])
            .find(|t| t.as_str() == s)
    }
}

impl std::str::FromStr for EventType {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim())
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|t| t.as_str()).collect();
                format!("unknown event {:?}: use {}", s.trim(), known.join(", "))
            })
    }
}

/// The `webhook-id` of an event: stable across retries and redeliveries.
pub fn message_id(event_id: Uuid) -> String {
    format!("msg_{}", event_id.simple())
}
