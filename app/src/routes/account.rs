//! `/account`: the signed-in user's own settings: password, e-mail address, sessions, notices
//! and deleting the account. Each form's outcome comes back as `?done=…`.
use crate::api::account::{
    my_account, ChangeEmail, ChangePassword, DeclineReferral, DeleteAccount, EraseVisitData,
    HideFromReferrer, ResendConfirmation, SetNotices, SignOutOthers,
};
use crate::components::form_error::{form_error_at, FormError};
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::error::AppError;
use crate::models::AccountView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(AccountPage => AccountBody);

#[component]
fn AccountBody() -> impl IntoView {
    let query = use_query_map();
    let done = Memo::new(move |_| query.read().get("done"));
    let account = Resource::new(move || done.get(), |_| my_account());
    view! {
        <Title text="Your account — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(account) => view! { <Account account done/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn done_message(done: &str) -> Option<&'static str> {
    Some(match done {
        "password" => "Your password was changed. Every other device was signed out.",
        "email" => "We mailed a confirmation link to your address: open it to confirm it.",
        "email-removed" => "Your e-mail address was removed.",
        "sessions" => "Every other device was signed out.",
        "notices" => "Your notice settings were saved.",
        "declined" => "You declined the referral: nobody is credited for your joining.",
        "erased" => "The addresses, browsers and referring sites of your visits were erased.",
        "hidden" => "The person who invited you now sees \"a friend\" instead of your username.",
        "shown" => "The person who invited you sees your username again.",
        _ => return None,
    })
}

#[component]
fn Account(account: AccountView, done: Memo<Option<String>>) -> impl IntoView {
    let change_password = ServerAction::<ChangePassword>::new();
    let change_email = ServerAction::<ChangeEmail>::new();
    let resend = ServerAction::<ResendConfirmation>::new();
    let sign_out = ServerAction::<SignOutOthers>::new();
    let notices = ServerAction::<SetNotices>::new();
    let decline = ServerAction::<DeclineReferral>::new();
    let erase = ServerAction::<EraseVisitData>::new();
    let hide = ServerAction::<HideFromReferrer>::new();
    let decline_error = form_error_at(decline.value(), DeclineReferral::url());
    let password_error = form_error_at(change_password.value(), ChangePassword::url());
    let email_error = form_error_at(change_email.value(), ChangeEmail::url());
    // The delete form is plain: its error comes back as `?error=`.
    let delete_error = form_error_at(
        Signal::derive(|| None::<Result<(), AppError>>),
        DeleteAccount::url(),
    );
    let message = move || {
        done.get()
            .as_deref()
            .and_then(done_message)
            .map(|m| view! { <p class="notice" role="status" data-testid="account-done">{m}</p> })
    };
    let email_state = match (&account.email, account.email_confirmed) {
        (None, _) => view! {
            <p class="muted">"No address: you get no notices, and a forgotten password needs an admin."</p>
        }
        .into_any(),
        (Some(_), true) => view! { <p><span class="badge ok">"Confirmed"</span></p> }.into_any(),
        (Some(_), false) => view! {
            <div class="row">
                <span class="badge warn">"Not confirmed"</span>
                <PostForm action=resend class="inline">
                    <button type="submit" class="button ghost">"Send the link again"</button>
                </PostForm>
            </div>
        }
        .into_any(),
    };
    view! {
        <section class="card">
            <h1>"Your account"</h1>
            <p class="muted">"Signed in as " <strong>{account.username.clone()}</strong></p>
            {message}
        </section>
        <div class="two-col even">
            <section class="card">
                <h2>"Password"</h2>
                <PostForm action=change_password>
                    <label>
                        "Current password"
                        <input type="password" name="current" required autocomplete="current-password"/>
                    </label>
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
                    <FormError message=password_error/>
                    <button type="submit" class="button">"Change password"</button>
                </PostForm>
            </section>
            <section class="card">
                <h2>"E-mail address"</h2>
                <PostForm action=change_email>
                    <label>
                        "Address"
                        <input
                            type="email"
                            name="email"
                            value=account.email.clone().unwrap_or_default()
                            autocomplete="email"
                        />
                    </label>
                    {email_state}
                    <FormError message=email_error/>
                    <button type="submit" class="button">"Save address"</button>
                </PostForm>
            </section>
        </div>
        <div class="two-col even">
            <section class="card">
                <h2>"Notices by mail"</h2>
                <PostForm action=notices>
                    <label class="check">
                        <input type="checkbox" name="joins" checked=account.notify_joins/>
                        "When someone joins through my link"
                    </label>
                    <label class="check">
                        <input type="checkbox" name="credits" checked=account.notify_credits/>
                        "When a referral of mine is confirmed and credited"
                    </label>
                    {account
                        .is_admin
                        .then(|| view! {
                            <label class="check">
                                <input type="checkbox" name="digest" checked=account.notify_digest/>
                                "Hourly digest of referrals waiting for review"
                            </label>
                        })}
                    <p class="muted small">"Notices go only to a confirmed address."</p>
                    <button type="submit" class="button">"Save notices"</button>
                </PostForm>
            </section>
            <section class="card">
                <h2>"Sessions"</h2>
                <p class="muted">
                    "Signed in on a shared or lost device? Sign out everywhere but here."
                </p>
                <PostForm action=sign_out>
                    <button type="submit" class="button ghost">"Sign out other devices"</button>
                </PostForm>
            </section>
        </div>
        {account.referral.clone().map(|r| {
            let who = r.referrer.clone().unwrap_or_else(|| "a deleted account".into());
            let state = match r.status.as_str() {
                "pending" => view! {
                    <p class="muted">
                        "It is waiting for review. If you'd rather not have anyone credited for \
                         your joining, decline it: it is closed with no credit."
                    </p>
                    <PostForm action=decline>
                        <button type="submit" class="button ghost">"Decline the referral"</button>
                    </PostForm>
                    <FormError message=decline_error/>
                }
                .into_any(),
                "confirmed" => view! {
                    <p class="muted">"It is confirmed: the referral is settled."</p>
                }
                .into_any(),
                "declined" => view! { <p class="muted">"You declined it."</p> }.into_any(),
                _ => view! { <p class="muted">"It was closed without credit."</p> }.into_any(),
            };
            let (hidden_text, button) = if r.hidden {
                (format!("{who} sees you as \"a friend\"."), "Show them my username")
            } else {
                (format!("{who} sees your username."), "Show me as \"a friend\" instead")
            };
            view! {
                <section class="card" data-testid="my-referral">
                    <h2>"How you joined"</h2>
                    <p>{format!("You joined through {who}'s link on {}.", r.joined)}</p>
                    {state}
                    <p>
                        <a href=format!("/referrals/{}", r.id) data-testid="my-receipt">
                            "See the receipt: everything recorded about it"
                        </a>
                    </p>
                    <p class="muted">{hidden_text}</p>
                    <PostForm action=hide>
                        <input type="hidden" name="hidden" value=(!r.hidden).to_string()/>
                        <button type="submit" class="button ghost">{button}</button>
                    </PostForm>
                </section>
            }
        })}
        <section class="card">
            <h2>"Your visit data"</h2>
            <p class="muted">
                "hype recorded the address, browser and referring site of each visit you made \
                 through a referral link. Erase them: the visits stay, as counts only."
            </p>
            <PostForm action=erase>
                <button type="submit" class="button ghost">"Erase my visit data"</button>
            </PostForm>
        </section>
        <section class="card danger-zone">
            <h2>"Delete your account"</h2>
            <p class="muted">
                "Your e-mail address, password and the addresses and browsers recorded for your \
                 visits are erased, your links stop working, and you are signed out. Referrals and \
                 points stay in the program's totals, under an anonymous name."
            </p>
            // A plain form: the browser loads the next page whole, with no trace of the account.
            <form method="post" action=DeleteAccount::url()>
                <label>
                    "Your password, to confirm"
                    <input type="password" name="password" required autocomplete="current-password"/>
                </label>
                <FormError message=delete_error/>
                <button type="submit" class="button danger">"Delete my account"</button>
            </form>
        </section>
    }
}
