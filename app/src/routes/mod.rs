//! One module per page.
pub mod home;
pub mod links;
pub mod login;
pub mod not_found;
pub mod signup;
