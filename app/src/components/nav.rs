//! The bar at the top of every page: brand, and the account links for who is signed in.
use crate::components::post_form::PostForm;
use crate::Session;
use leptos::prelude::*;

#[component]
pub fn TopBar() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark">"h"</span>
                "hype"
            </a>
            <nav aria-label="Account">
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        match session.user.await {
                            Ok(Some(user)) => {
                                let admin = user
                                    .is_admin
                                    .then(|| view! { <a href="/admin">"Admin"</a> });
                                view! {
                                    {admin}
                                    <a href="/links">"My links"</a>
                                    <a href="/rewards">"Rewards"</a>
                                    <a href="/leaderboard">"Leaderboard"</a>
                                    <a class="who" href="/account" title="Your account">
                                        {user.username}
                                    </a>
                                    <PostForm action=session.logout class="inline">
                                        <button type="submit" class="button ghost">
                                            "Log out"
                                        </button>
                                    </PostForm>
                                }
                                    .into_any()
                            }
                            _ => {
                                view! {
                                    <a href="/login">"Log in"</a>
                                    <a class="button" href="/signup">
                                        "Sign up"
                                    </a>
                                }
                                    .into_any()
                            }
                        }
                    })}
                </Transition>
            </nav>
        </header>
    }
}
