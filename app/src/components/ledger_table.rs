//! A user's ledger: every credit and reversal, newest first. Shown to the user on Rewards and
//! to admins on Users.
use leptos::prelude::*;

#[component]
pub fn LedgerTable(entries: Vec<crate::models::LedgerEntryView>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="muted">"No entries yet."</p> }.into_any();
    }
    view! {
        <table class="data">
            <thead>
                <tr>
                    <th scope="col">"When (UTC)"</th>
                    <th scope="col">"What"</th>
                    <th scope="col" class="num">"Points"</th>
                </tr>
            </thead>
            <tbody>
                {entries
                    .into_iter()
                    .map(|e| view! {
                        <tr>
                            <td class="nowrap">{e.at}</td>
                            <td>
                                {match e.referral {
                                    Some(id) => view! {
                                        <a href=format!("/referrals/{id}") title="See the receipt">{e.reason}</a>
                                    }
                                    .into_any(),
                                    None => e.reason.into_any(),
                                }}
                            </td>
                            <td class=if e.amount < 0 { "num negative" } else { "num" }>{format!("{:+}", e.amount)}</td>
                        </tr>
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
