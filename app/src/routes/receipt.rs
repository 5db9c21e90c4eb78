//! `/referrals/{id}`: a referral's receipt — the journey of the person referred, the rule and
//! why the winning visit won, the flags, every decision, the conversions and the points. For
//! admins in full; for the referrer without the addresses and browsers of the person they
//! invited; for that person, their own data in full. It prints on its own (see `@media print`).
use crate::api::rewards::referral_receipt;
use crate::models::{ReceiptView, VisitView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

lazy_page!(ReceiptPage => ReceiptBody);

#[component]
fn ReceiptBody() -> impl IntoView {
    let params = use_params_map();
    let receipt = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i32>().ok())
        },
        |id| async move {
            match id {
                Some(id) => referral_receipt(id).await,
                None => Err(crate::error::AppError::NotFound("No such referral.".into())),
            }
        },
    );
    view! {
        <Title text="Referral receipt — hype"/>
        <Transition fallback=|| view! { <p class="muted">"Loading the receipt…"</p> }>
            {move || Suspend::new(async move {
                match receipt.await {
                    Ok(r) => view! { <Receipt r/> }.into_any(),
                    Err(e) => view! {
                        <section class="card narrow">
                            <h1>"Referral receipt"</h1>
                            <p class="form-error" role="alert">{e.to_string()}</p>
                            <p><a href="/rewards">"Back to your rewards"</a></p>
                        </section>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

fn status_badge(status: &str) -> impl IntoView {
    let class = match status {
        "confirmed" => "badge ok",
        "pending" => "badge warn",
        _ => "badge",
    };
    view! { <span class=class data-testid="receipt-status">{status.to_owned()}</span> }
}

#[component]
fn Receipt(r: ReceiptView) -> impl IntoView {
    let full = r.viewer != "referrer";
    let (audience, back) = match r.viewer.as_str() {
        "admin" => (
            "You see this receipt in full, as an admin.",
            ("/admin/referrals", "Back to referrals"),
        ),
        "referee" => (
            "This is your own referral: every detail recorded about it.",
            ("/account", "Back to your account"),
        ),
        _ => (
            "The addresses and browsers of the person you invited are not shown to you.",
            ("/rewards", "Back to your rewards"),
        ),
    };
    let decided = r
        .decided
        .clone()
        .map(|d| format!(" Last decided {d} UTC."))
        .unwrap_or_default();
    view! {
        <section class="card receipt-head">
            <p class="muted small">{format!("Receipt · referral #{}", r.id)}</p>
            <h1>
                {format!("{} invited {}", r.referrer, r.referred)}
                " "
                {status_badge(&r.status)}
            </h1>
            <p>{format!("Joined {} UTC.{decided}", r.joined)}</p>
            <p class="muted small">{audience}</p>
            <p class="no-print"><a href=back.0>{back.1}</a></p>
        </section>
        <section class="card">
            <h2>"Why this referral"</h2>
            <dl class="facts">
                <dt>"Rule"</dt>
                <dd data-testid="receipt-rule">{r.rule.clone()}</dd>
                <dt>"Winning visit"</dt>
                <dd data-testid="receipt-why">{r.why.clone()}</dd>
            </dl>
        </section>
        <section class="card">
            <h2>"The journey"</h2>
            <Journey visits=r.journey.clone() full/>
            {(r.more_visits > 0).then(|| view! {
                <p class="muted small">{format!("…and {} later visit(s) not listed.", r.more_visits)}</p>
            })}
        </section>
        <section class="card">
            <h2>"Flags"</h2>
            {if r.flags.is_empty() {
                view! { <p class="muted">"None: nothing made it look like a self-referral."</p> }.into_any()
            } else {
                view! {
                    <ul class="flags" data-testid="receipt-flags">
                        {r.flags
                            .clone()
                            .into_iter()
                            .map(|(flag, why)| view! {
                                <li><span class="badge warn">{flag}</span>" "{why}</li>
                            })
                            .collect_view()}
                    </ul>
                }
                .into_any()
            }}
        </section>
        <section class="card">
            <h2>"Decisions"</h2>
            {if r.decisions.is_empty() {
                view! { <p class="muted">"None yet: it is waiting for review."</p> }.into_any()
            } else {
                view! {
                    <div class="scroll">
                        <table class="data" data-testid="receipt-decisions">
                            <thead>
                                <tr>
                                    <th scope="col">"When (UTC)"</th>
                                    <th scope="col">"What"</th>
                                    <th scope="col">"By"</th>
                                    {(r.viewer == "admin").then(|| view! { <th scope="col">"Detail"</th> })}
                                </tr>
                            </thead>
                            <tbody>
                                {r.decisions
                                    .clone()
                                    .into_iter()
                                    .map(|d| view! {
                                        <tr>
                                            <td class="nowrap">{d.at}</td>
                                            <td>{d.what}</td>
                                            <td>{d.by}</td>
                                            {d.detail.map(|detail| view! { <td class="small">{detail}</td> })}
                                        </tr>
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            }}
        </section>
        {(!r.conversions.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Conversions the product reported"</h2>
                <ul>
                    {r.conversions
                        .clone()
                        .into_iter()
                        .map(|(at, event)| view! { <li><span class="mono">{event}</span>{format!(" — {at} UTC")}</li> })
                        .collect_view()}
                </ul>
            </section>
        })}
        <section class="card">
            <h2>"Points"</h2>
            {if r.ledger.is_empty() {
                view! { <p class="muted">"No points moved for this referral."</p> }.into_any()
            } else {
                view! {
                    <div class="scroll">
                    <table class="data" data-testid="receipt-ledger">
                        <thead>
                            <tr>
                                <th scope="col">"When (UTC)"</th>
                                <th scope="col">"Whose"</th>
                                <th scope="col">"What"</th>
                                <th scope="col" class="num">"Points"</th>
                            </tr>
                        </thead>
                        <tbody>
                            {r.ledger
                                .clone()
                                .into_iter()
                                .map(|e| view! {
                                    <tr>
                                        <td class="nowrap">{e.at}</td>
                                        <td>{e.who}</td>
                                        <td>{e.reason}</td>
                                        <td class=if e.amount < 0 { "num negative" } else { "num" }>{format!("{:+}", e.amount)}</td>
                                    </tr>
                                })
                                .collect_view()}
                        </tbody>
                    </table>
                    </div>
                }
                .into_any()
            }}
        </section>
    }
}

#[component]
fn Journey(visits: Vec<VisitView>, full: bool) -> impl IntoView {
    if visits.is_empty() {
        return view! { <p class="muted">"No visits are recorded for this person any more."</p> }
            .into_any();
    }
    view! {
        <div class="scroll">
            <table class="data journey" data-testid="receipt-journey">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Link"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"For the rule"</th>
                        {full.then(|| view! {
                            <th scope="col">"Address"</th>
                            <th scope="col">"Browser"</th>
                        })}
                    </tr>
                </thead>
                <tbody>
                    {visits
                        .into_iter()
                        .map(|v| {
                            let standing = if v.won {
                                view! { <span class="badge ok">"won"</span> }.into_any()
                            } else {
                                view! { <span class="muted">{v.standing}</span> }.into_any()
                            };
                            view! {
                                <tr class:won=v.won>
                                    <td class="nowrap">{v.at}</td>
                                    <td class="mono">{v.link}</td>
                                    <td>{v.from}</td>
                                    <td>{standing}</td>
                                    {full.then(|| view! {
                                        <td class="mono small">{v.ip.unwrap_or_else(|| "—".into())}</td>
                                        <td class="small ua">{v.user_agent.unwrap_or_else(|| "—".into())}</td>
                                    })}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
