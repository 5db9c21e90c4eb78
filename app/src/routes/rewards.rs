//! `/rewards`: the signed-in user's balance, ledger, and referrals by link and status, each
//! linking to its receipt.
use crate::api::rewards::my_rewards;
use crate::components::ledger_table::LedgerTable;
use crate::components::notice::ErrorNotice;
use crate::models::{ReferralView, RewardsView};
use leptos::prelude::*;
use leptos_meta::Title;

lazy_page!(RewardsPage => RewardsBody);

#[component]
fn RewardsBody() -> impl IntoView {
    let rewards = Resource::new(|| (), |_| my_rewards());
    view! {
        <Title text="Rewards — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rewards.await {
                    Ok(r) => view! { <Rewards r/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Rewards(r: RewardsView) -> impl IntoView {
    view! {
        <section class="card">
            <h1>"Rewards"</h1>
            <p class="balance big">
                <strong data-testid="balance">{r.balance}</strong>
                " points"
            </p>
            <p class="muted">
                {format!(
                    "{} confirmed referral(s), {} waiting for review.",
                    r.confirmed.len(),
                    r.pending.len(),
                )}
            </p>
        </section>
        <div class="two-col">
            <section class="card">
                <h2>"Waiting for review"</h2>
                <ByLink rows=r.pending/>
            </section>
            <section class="card">
                <h2>"Confirmed"</h2>
                <ByLink rows=r.confirmed/>
            </section>
        </div>
        {(!r.declined.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Declined by the person you invited"</h2>
                <ByLink rows=r.declined/>
            </section>
        })}
        <section class="card">
            <h2>"Ledger"</h2>
            <LedgerTable entries=r.entries/>
        </section>
    }
}

#[component]
fn ByLink(rows: Vec<ReferralView>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"None yet."</p> }.into_any();
    }
    let mut groups: Vec<(String, Vec<(i32, String)>)> = Vec::new();
    for row in rows {
        let person = (row.id, row.referred);
        match groups.iter_mut().find(|(link, _)| *link == row.identifier) {
            Some((_, people)) => people.push(person),
            None => groups.push((row.identifier, vec![person])),
        }
    }
    view! {
        <ul class="by-link">
            {groups
                .into_iter()
                .map(|(link, people)| {
                    let last = people.len().saturating_sub(1);
                    view! {
                        <li>
                            <span class="mono">{format!("/ref/{link}")}</span>
                            ": "
                            {people
                                .into_iter()
                                .enumerate()
                                .map(|(i, (id, name))| view! {
                                    <a href=format!("/referrals/{id}") title="See the receipt">{name}</a>
                                    {(i < last).then_some(", ")}
                                })
                                .collect_view()}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}
