#![recursion_limit = "256"]
//! hype's web UI: the HTML shell, the router and the pages. Server functions live in `api`,
//! wire types in `models`; with the `hydrate` feature this crate is the browser's wasm.
pub mod api;
pub mod codec;
pub mod components;
pub mod error;
pub mod models;
pub mod routes;

use crate::api::accounts::{current_user, Login, Logout, Signup};
use crate::error::AppError;
use crate::models::UserView;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, Lazy, SsrMode};

/// The HTML document around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is signed in, and the actions that change it; provided to every page.
#[derive(Clone, Copy)]
pub struct Session {
    pub user: Resource<Result<Option<UserView>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub signup: ServerAction<Signup>,
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let signup = ServerAction::<Signup>::new();
    let user = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                signup.version().get(),
            )
        },
        |_| current_user(),
    );
    provide_context(Session {
        user,
        login,
        logout,
        signup,
    });

    // In-order streaming: every page arrives complete as HTML, so it works without JavaScript.
    // The signed-in pages are lazy routes: every build of the site uses `--split`, which makes
    // each one a wasm chunk of its own, so a visitor's first load carries none of them.
    view! {
        <Stylesheet id="leptos" href="/pkg/hype.css"/>
        <Title text="hype — referral links"/>
        <Router>
            <components::nav::TopBar/>
            <main class="page">
                <Routes fallback=routes::not_found::NotFound>
                    <Route path=path!("/") view=routes::home::HomePage ssr=SsrMode::InOrder/>
                    <Route path=path!("/signup") view=routes::signup::SignupPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/login") view=routes::login::LoginPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/forgot-password") view=routes::password::ForgotPasswordPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/reset-password") view=routes::password::ResetPasswordPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/confirm-email") view=routes::password::ConfirmEmailPage ssr=SsrMode::InOrder/>
                    <Route path=path!("/account") view={Lazy::<routes::account::AccountPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/links") view={Lazy::<routes::links::LinksPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/links/:identifier") view={Lazy::<routes::link::LinkPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/leaderboard") view={Lazy::<routes::leaderboard::LeaderboardPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/rewards") view={Lazy::<routes::rewards::RewardsPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/referrals/:id") view={Lazy::<routes::receipt::ReceiptPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin") view={Lazy::<routes::admin::overview::OverviewPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/hits") view={Lazy::<routes::admin::hits::HitsPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/referrals") view={Lazy::<routes::admin::referrals::ReferralsPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/links") view={Lazy::<routes::admin::links::AdminLinksPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/users") view={Lazy::<routes::admin::users::AdminUsersPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/webhooks") view={Lazy::<routes::admin::webhooks::WebhooksPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/api-keys") view={Lazy::<routes::admin::api_keys::ApiKeysPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/what-if") view={Lazy::<routes::admin::what_if::WhatIfPage>::new()} ssr=SsrMode::InOrder/>
                    <Route path=path!("/admin/audit") view={Lazy::<routes::admin::audit::AuditPage>::new()} ssr=SsrMode::InOrder/>
                </Routes>
            </main>
            <footer class="footer">"hype · self-hosted referral links"</footer>
        </Router>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Lazy routes need the async hydration: it waits for a page's chunk before hydrating it.
    leptos::mount::hydrate_lazy(App);
}
