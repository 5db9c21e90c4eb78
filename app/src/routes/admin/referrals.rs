//! `/admin/referrals`: the pending queue (confirm, reject, in bulk), and the confirmed and
//! rejected lists (unconfirm).
use crate::api::admin::referrals::{list_referrals, DecideReferral, DecideReferrals};
use crate::components::admin_nav::AdminNav;
use crate::components::form_error::FormError;
use crate::components::notice::ErrorNotice;
use crate::components::post_form::PostForm;
use crate::models::ReferralView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

lazy_page!(ReferralsPage => ReferralsBody);

#[component]
fn ReferralsBody() -> impl IntoView {
    let params = use_query_map();
    let status = Memo::new(move |_| match params.read().get("status").as_deref() {
        Some("confirmed") => "confirmed",
        Some("rejected") => "rejected",
        _ => "pending",
    });
    let decide = ServerAction::<DecideReferral>::new();
    let bulk = ServerAction::<DecideReferrals>::new();
    let list = Resource::new(
        move || (status.get(), decide.version().get(), bulk.version().get()),
        |(status, _, _)| list_referrals(status.to_owned()),
    );
    // Only the latest decision's outcome is shown: starting one clears the other's.
    Effect::new(move |_| {
        if decide.pending().get() {
            bulk.value().set(None);
        }
    });
    Effect::new(move |_| {
        if bulk.pending().get() {
            decide.value().set(None);
        }
    });
    let message = Signal::derive(move || match (decide.value().get(), bulk.value().get()) {
        (Some(Ok(m)), _) | (_, Some(Ok(m))) => Some(m),
        _ => None,
    });
    let error = Signal::derive(move || match (decide.value().get(), bulk.value().get()) {
        (Some(Err(e)), _) | (_, Some(Err(e))) => Some(e.to_string()),
        _ => params.read().get("error"),
    });
    let tab = move |name: &'static str, label: &'static str| {
        view! {
            <a
                href=format!("/admin/referrals?status={name}")
                class=move || if status.get() == name { "pill active" } else { "pill" }
            >
                {label}
            </a>
        }
    };

    view! {
        <Title text="Referrals — hype admin"/>
        <AdminNav current="/admin/referrals"/>
        <section class="card">
            <h1>"Referrals"</h1>
            <div class="pills">
                {tab("pending", "Pending")}
                {tab("confirmed", "Confirmed")}
                {tab("rejected", "Rejected")}
            </div>
            <FormError message=error/>
            {move || message.get().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(rows) => view! { <ReferralTable rows status=status.get_untracked() decide bulk/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ReferralTable(
    rows: Vec<ReferralView>,
    status: &'static str,
    decide: ServerAction<DecideReferral>,
    bulk: ServerAction<DecideReferrals>,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <section class="card empty"><p>{format!("No {status} referrals.")}</p></section> }
            .into_any();
    }
    let pending = status == "pending";
    let bulk_form = pending.then(|| {
        view! {
            <PostForm action=bulk id="bulk" class="bulk">
                <label>
                    "With the selected: "
                    <select name="action">
                        <option value="confirm">"confirm"</option>
                        <option value="reject">"reject"</option>
                    </select>
                </label>
                <button type="submit" class="button small">"Apply"</button>
            </PostForm>
        }
    });
    view! {
        <section class="card scroll">
            {bulk_form}
            <table class="data">
                <thead>
                    <tr>
                        {pending.then(|| view! { <th scope="col"><span class="sr-only">"Select"</span></th> })}
                        <th scope="col">"Referred user"</th>
                        <th scope="col">"Referrer"</th>
                        <th scope="col">"Link"</th>
                        <th scope="col">"Hit"</th>
                        <th scope="col">"Signed up"</th>
                        <th scope="col">"Conversions"</th>
                        <th scope="col">"Flags"</th>
                        <th scope="col">{if pending { "Decide" } else { "Decided" }}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .enumerate()
                        .map(|(index, referral)| view! { <ReferralRow index referral pending decide/> })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

#[component]
fn ReferralRow(
    index: usize,
    referral: ReferralView,
    pending: bool,
    decide: ServerAction<DecideReferral>,
) -> impl IntoView {
    let id = referral.id;
    let flagged = !referral.flags.is_empty();
    let who = referral.referred.clone();
    let button = move |action: &'static str, label: &'static str, class: &'static str| {
        let aria = format!("{label} referral of {who}");
        view! {
            <PostForm action=decide class="inline">
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="action" value=action/>
                <button type="submit" class=class aria-label=aria>
                    {label}
                </button>
            </PostForm>
        }
    };
    let actions = if pending {
        view! {
            {if flagged {
                button("confirm_override", "Confirm anyway", "button small danger").into_any()
            } else {
                button("confirm", "Confirm", "button small").into_any()
            }}
            {button("reject", "Reject", "button small ghost")}
        }
        .into_any()
    } else {
        let decided = format!(
            "{} by {}",
            referral.decided.clone().unwrap_or_default(),
            referral
                .decided_by
                .clone()
                .unwrap_or_else(|| "an API key".into())
        );
        let undo = (referral.status == "confirmed")
            .then(|| button("unconfirm", "Unconfirm", "button small ghost"));
        view! { <span class="muted small">{decided}</span> {undo} }.into_any()
    };
    view! {
        <tr class=if flagged { "flagged" } else { "" }>
            {pending.then(|| view! {
                <td>
                    <input
                        type="checkbox"
                        form="bulk"
                        name=format!("ids[{index}]")
                        value=id
                        aria-label=format!("Select referral of {}", referral.referred)
                    />
                </td>
            })}
            <td>
                <a href=format!("/referrals/{}", referral.id) title="See the receipt">
                    {referral.referred.clone()}
                </a>
            </td>
            <td>{referral.referrer}</td>
            <td>{referral.identifier}</td>
            <td class="nowrap">{referral.hit_at.unwrap_or_default()}</td>
            <td class="nowrap">{referral.created}</td>
            <td class="small">{referral.conversions}</td>
            <td>
                {referral
                    .flags
                    .into_iter()
                    .map(|f| view! { <span class="badge off">{f.replace('_', " ")}</span> })
                    .collect_view()}
            </td>
            <td class="actions">{actions}</td>
        </tr>
    }
}
