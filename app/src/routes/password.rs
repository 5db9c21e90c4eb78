//! The pages a mailed link opens, and the form that mails one: `/forgot-password`,
//! `/reset-password?token=…` and `/confirm-email?token=…`. The links open a page with a
//! button, so a mail scanner that follows them uses up nothing.
use crate::api::account::{ConfirmEmail, ForgotPassword, ResetPassword};
use crate::components::form_error::{form_error, FormError};
use crate::components::post_form::PostForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let action = ServerAction::<ForgotPassword>::new();
    let error = form_error(action.value());
    let query = use_query_map();
    let sent = Memo::new(move |_| query.read().get("sent").is_some());
    view! {
        <Title text="Forgot your password? — hype"/>
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            {move || if sent.get() {
                view! {
                    <p class="notice" role="status" data-testid="reset-sent">
                        "If that account has an e-mail address, a link to choose a new password \
                         is on its way. It works once, within an hour."
                    </p>
                    <p class="aside">
                        "No mail? Look in your spam folder, or ask the site's admin for a link."
                    </p>
                }
                    .into_any()
            } else {
                view! {
                    <p class="muted">
                        "Give your username or e-mail address. We mail a link to choose a new \
                         password to the account's address."
                    </p>
                    <PostForm action>
                        <label>
                            "Username or e-mail"
                            <input type="text" name="login" required autocomplete="username"/>
                        </label>
                        <FormError message=error/>
                        <button type="submit" class="button large">
                            "Mail me a link"
                        </button>
                    </PostForm>
                }
                    .into_any()
            }}
            <p class="aside">
                "Remembered it? " <a href="/login">"Log in"</a>
            </p>
        </section>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let action = ServerAction::<ResetPassword>::new();
    let error = form_error(action.value());
    let token = use_query_map()
        .read_untracked()
        .get("token")
        .unwrap_or_default();
    view! {
        <Title text="Choose a new password — hype"/>
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <p class="muted">
                "Once it is set, every device signed in to your account is signed out."
            </p>
            <PostForm action>
                <input type="hidden" name="token" value=token/>
                <label>
                    "New password"
                    <input
                        type="password"
                        name="password"
                        required
                        minlength="8"
                        autocomplete="new-password"
                    />
                </label>
                <FormError message=error/>
                <button type="submit" class="button large">
                    "Set the new password"
                </button>
            </PostForm>
        </section>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let action = ServerAction::<ConfirmEmail>::new();
    let error = form_error(action.value());
    let query = use_query_map();
    let done = Memo::new(move |_| query.read().get("done").is_some());
    let token = query.read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Confirm your e-mail address — hype"/>
        <section class="card narrow">
            <h1>"Confirm your e-mail address"</h1>
            {move || if done.get() {
                view! {
                    <p class="notice" role="status" data-testid="email-confirmed">
                        "Your address is confirmed. Notices about your referrals will reach it."
                    </p>
                    <p class="aside">
                        <a href="/account">"Your account"</a>
                    </p>
                }
                    .into_any()
            } else {
                let token = token.clone();
                view! {
                    <PostForm action>
                        <input type="hidden" name="token" value=token/>
                        <FormError message=error/>
                        <button type="submit" class="button large">
                            "Confirm my address"
                        </button>
                    </PostForm>
                }
                    .into_any()
            }}
        </section>
    }
}
