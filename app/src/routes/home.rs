//! `/`: what hype is, and where to go next.
use crate::Session;
use leptos::prelude::*;

#[component]
pub fn HomePage() -> impl IntoView {
    let session = expect_context::<Session>();
    view! {
        <section class="hero">
            <h1>"Invite friends. Get credit for every one who joins."</h1>
            <p class="lead">
                "Create a referral link, share it anywhere, and watch visits and sign-ups add up. "
                "Every confirmed referral is credited to you exactly once."
            </p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match session.user.await {
                        Ok(Some(_)) => {
                            view! {
                                <a class="button large" href="/links">
                                    "Go to my links"
                                </a>
                            }
                                .into_any()
                        }
                        _ => {
                            view! {
                                <a class="button large" href="/signup">
                                    "Create your account"
                                </a>
                                <a class="button large ghost" href="/login">
                                    "Log in"
                                </a>
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
        <section class="steps">
            <div class="step">
                <span class="step-number">"1"</span>
                <h2>"Create a link"</h2>
                <p>"Pick a name people remember, or let hype choose one."</p>
            </div>
            <div class="step">
                <span class="step-number">"2"</span>
                <h2>"Share it"</h2>
                <p>"Post it, mail it, print it. Every visit through it is counted."</p>
            </div>
            <div class="step">
                <span class="step-number">"3"</span>
                <h2>"Friends sign up"</h2>
                <p>"Their sign-up is tied to your link, even if they join days later."</p>
            </div>
        </section>
    }
}
