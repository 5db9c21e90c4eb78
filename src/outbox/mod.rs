//! The outbox: every event worth telling is a row written in the transaction of the change
//! that causes it (`emit`), together with one delivery row per webhook endpoint that wants it
//! (`endpoints`). The delivery worker (`worker`) sends them, at least once, signed the
//! Standard Webhooks way (`signing`), and forgets them a month after they ended (`prune`).
pub mod emit;
pub mod endpoints;
pub mod event;
mod http;
pub mod prune;
pub mod signing;
pub mod worker;

pub use emit::{emit, emit_mail, emit_referral, emit_user_created};
pub use event::{message_id, EventType};
