//! `/login`: sign in with username and password.
use crate::components::form_error::{form_error, FormError};
use crate::components::post_form::PostForm;
use crate::Session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let error = form_error(session.login.value());
    // The page that sent the visitor here to log in, if any: they go back to it afterwards.
    let query = use_query_map().read_untracked();
    let next = query.get("next");
    let notice = if query.get("reset").is_some() {
        Some("Your password was changed, and every device was signed out. Log in with the new one.")
    } else if query.get("deleted").is_some() {
        Some("Your account was deleted. Thank you for taking part.")
    } else {
        None
    };
    view! {
        <Title text="Log in — hype"/>
        <section class="card narrow">
            <h1>"Log in"</h1>
            {notice.map(|n| view! { <p class="notice" role="status" data-testid="login-notice">{n}</p> })}
            <PostForm action=session.login>
                {next.map(|next| view! { <input type="hidden" name="next" value=next/> })}
                <label>
                    "Username"
                    <input type="text" name="username" required autocomplete="username"/>
                </label>
                <label>
                    "Password"
                    <input
                        type="password"
                        name="password"
                        required
                        autocomplete="current-password"
                    />
                </label>
                <FormError message=error/>
                <button type="submit" class="button large">
                    "Log in"
                </button>
            </PostForm>
            <p class="aside">
                <a href="/forgot-password">"Forgot your password?"</a>
                " · New here? "
                <a href="/signup">"Create an account"</a>
            </p>
        </section>
    }
}
