//! `/signup`: create an account; names the referrer when this browser followed a link.
use crate::api::accounts::referral_context;
use crate::components::form_error::{form_error, FormError};
use crate::components::post_form::PostForm;
use crate::Session;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignupPage() -> impl IntoView {
    let session = expect_context::<Session>();
    let referrer = Resource::new(|| (), |_| referral_context());
    let error = form_error(session.signup.value());
    view! {
        <Title text="Sign up — hype"/>
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    referrer
                        .await
                        .ok()
                        .flatten()
                        .map(|name| {
                            view! {
                                <p class="invited" role="status">
                                    "You were invited by " <strong>{name}</strong> "."
                                </p>
                            }
                        })
                })}
            </Transition>
            <PostForm action=session.signup>
                <label>
                    "Username"
                    <input
                        type="text"
                        name="username"
                        required
                        minlength="3"
                        maxlength="32"
                        autocomplete="username"
                    />
                </label>
                <label>
                    "Email " <span class="hint">"(optional)"</span>
                    <input type="email" name="email" maxlength="254" autocomplete="email"/>
                </label>
                <label>
                    "Password"
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
                    "Sign up"
                </button>
            </PostForm>
            <p class="aside">"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}
