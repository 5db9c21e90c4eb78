//! One module per page.

/// Declares `$page`, the lazy route that shows the component `$body`. Every build of the site
/// uses `--split`, which makes the page's code a wasm chunk of its own, fetched when the page
/// is first shown. The page loads its data from inside that chunk (`data()` is empty), so none
/// of its types weigh on the wasm that every visitor loads.
macro_rules! lazy_page {
    ($page:ident => $body:ident) => {
        #[doc = concat!("`", stringify!($body), "` as a lazy route (see `routes::lazy_page!`).")]
        pub struct $page;

        #[::leptos_router::lazy_route]
        impl ::leptos_router::LazyRoute for $page {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> ::leptos::prelude::AnyView {
                use ::leptos::prelude::*;
                view! { <$body/> }.into_any()
            }
        }
    };
}
pub mod account;
pub mod admin;
pub mod home;
pub mod leaderboard;
pub mod link;
pub mod links;
pub mod login;
pub mod not_found;
pub mod password;
pub mod receipt;
pub mod rewards;
pub mod signup;
