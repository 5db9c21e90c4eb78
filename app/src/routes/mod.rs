//! One module per page.
pub mod admin;
pub mod home;
pub mod links;
pub mod login;
pub mod not_found;
pub mod rewards;
pub mod signup;
