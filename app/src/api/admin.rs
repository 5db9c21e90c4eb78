//! The admin dashboard's server functions. Every one checks, inside itself, that the caller is
//! signed in (401) and an admin (403) before it reads or changes anything.
use crate::error::AppError;
use crate::models::{
    AdminLinkView, AdminUserView, AuditView, HitPageView, HitQuery, LedgerView, OverviewView,
    ReferralView,
};
use leptos::prelude::*;

#[server(endpoint = "admin/overview", output = crate::codec::Json)]
pub async fn admin_overview() -> Result<OverviewView, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let o = hype::services::browse::overview(&state.db).await?;
    let conversion_percent = if o.unique_visitors > 0 {
        (o.referred_signups as f64) * 100.0 / (o.unique_visitors as f64)
    } else {
        0.0
    };
    Ok(OverviewView {
        users: o.users,
        links: o.links,
        hits_today: o.hits_today,
        hits_7d: o.hits_7d,
        hits_30d: o.hits_30d,
        unique_visitors: o.unique_visitors,
        referred_signups: o.referred_signups,
        pending: o.pending,
        confirmed: o.confirmed,
        conversion_percent,
        daily: o
            .daily
            .into_iter()
            .map(|(d, n)| (d.format("%Y-%m-%d").to_string(), n))
            .collect(),
        top_referrers: o.top_referrers,
    })
}

/// One page of the hits browser.
#[server(endpoint = "admin/list_hits", output = crate::codec::Json)]
pub async fn list_hits(#[server(default)] query: HitQuery) -> Result<HitPageView, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let (filter, page) = parse_hit_query(&query)?;
    let found = hype::services::browse::hits(&state.db, &filter, page, 50).await?;
    Ok(HitPageView {
        newest: found.rows.first().map(|r| {
            hype::services::browse::Cursor {
                created_at: r.created_at,
                id: r.id,
            }
            .encode()
        }),
        rows: found.rows.into_iter().map(hit_view).collect(),
        older: found.older.map(|c| c.encode()),
        newer: found.newer.map(|c| c.encode()),
    })
}

#[server(endpoint = "admin/list_referrals", output = crate::codec::Json)]
pub async fn list_referrals(status: String) -> Result<Vec<ReferralView>, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    if !matches!(status.as_str(), "pending" | "confirmed" | "rejected") {
        return Err(AppError::Invalid(
            "Status is pending, confirmed or rejected.".into(),
        ));
    }
    let rows = hype::services::referrals::list(&state.db, &status, None, 500).await?;
    Ok(rows.into_iter().map(ReferralView::from).collect())
}

/// Confirms (`confirm`, or `confirm_override` for a flagged one), rejects (`reject`) or
/// unconfirms (`unconfirm`) one referral. Returns what happened, in words.
#[server(endpoint = "admin/decide_referral", output = crate::codec::Json)]
pub async fn decide_referral(id: i32, action: String) -> Result<String, AppError> {
    use self::ssr::*;
    let (state, admin) = admin().await?;
    let outcome = decide(&state, admin.id, id, &action).await?;
    Ok(describe(&action, 1, outcome_changed(outcome)))
}

/// The same decision for several referrals (`ids[0]=…&ids[1]=…`); each is decided on its own,
/// so one refusal doesn't undo the others.
#[server(endpoint = "admin/decide_referrals", output = crate::codec::Json)]
pub async fn decide_referrals(ids: Option<Vec<i32>>, action: String) -> Result<String, AppError> {
    use self::ssr::*;
    let (state, admin) = admin().await?;
    let ids = ids.unwrap_or_default();
    if ids.is_empty() {
        return Err(AppError::Invalid("Select at least one referral.".into()));
    }
    let mut changed = 0;
    let mut refused = Vec::new();
    for id in &ids {
        match decide(&state, admin.id, *id, &action).await {
            Ok(outcome) => changed += usize::from(outcome_changed(outcome)),
            Err(hype::Error::Conflict(m) | hype::Error::NotFound(m)) => {
                refused.push(format!("#{id}: {m}"))
            }
            Err(e) => return Err(e.into()),
        }
    }
    let mut message = describe(&action, changed, changed > 0);
    if !refused.is_empty() {
        message.push_str(&format!(" Not done: {}", refused.join(" ")));
    }
    Ok(message)
}

/// Confirms the referral behind a claimed hit (creating it when its user has none).
#[server(endpoint = "admin/confirm_hit", output = crate::codec::Json)]
pub async fn confirm_hit(id: String, override_flags: Option<bool>) -> Result<String, AppError> {
    use self::ssr::*;
    let (state, admin) = admin().await?;
    let hit = uuid_param(&id)?;
    let outcome = hype::services::referrals::confirm_hit(
        &state.db,
        hit,
        admin.id,
        override_flags.unwrap_or(false),
        state.config.reward_points,
    )
    .await?;
    Ok(describe("confirm", 1, outcome_changed(outcome)))
}

#[server(endpoint = "admin/list_links", output = crate::codec::Json)]
pub async fn admin_list_links(q: Option<String>) -> Result<Vec<AdminLinkView>, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let rows = hype::services::links::search(&state.db, q.as_deref().unwrap_or(""), 200).await?;
    Ok(rows
        .into_iter()
        .map(|l| AdminLinkView {
            id: l.id,
            identifier: l.identifier,
            label: l.label,
            owner: l.owner,
            disabled: l.disabled,
            created: l.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

#[server(endpoint = "admin/set_link_disabled", output = crate::codec::Json)]
pub async fn admin_set_link_disabled(id: i32, disabled: bool) -> Result<(), AppError> {
    use self::ssr::*;
    let (state, admin) = admin().await?;
    hype::services::links::admin_set_disabled(&state.db, admin.id, id, disabled).await?;
    state.links.forget_all();
    Ok(())
}

#[server(endpoint = "admin/create_link", output = crate::codec::Json)]
pub async fn admin_create_link(
    username: String,
    identifier: Option<String>,
    label: Option<String>,
) -> Result<String, AppError> {
    use self::ssr::*;
    use hype::services::links::NewLink;
    let (state, admin) = admin().await?;
    let identifier = match identifier.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(hype::types::Identifier::parse(raw)?),
    };
    let link = hype::services::links::admin_create(
        &state.db,
        admin.id,
        &username,
        NewLink {
            identifier,
            label: label.unwrap_or_default(),
            disabled: false,
        },
    )
    .await?;
    state.links.forget_all();
    Ok(format!(
        "Created {}",
        state.config.link_url(&link.identifier)
    ))
}

#[server(endpoint = "admin/list_users", output = crate::codec::Json)]
pub async fn admin_list_users(q: Option<String>) -> Result<Vec<AdminUserView>, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let users = hype::services::users::search(&state.db, q.as_deref().unwrap_or(""), 200).await?;
    let ids: Vec<i32> = users.iter().map(|u| u.id).collect();
    let balances = hype::services::ledger::balances(&state.db, &ids).await?;
    Ok(users
        .into_iter()
        .map(|u| AdminUserView {
            balance: balances.get(&u.id).copied().unwrap_or(0),
            id: u.id,
            username: u.username,
            email: u.email,
            is_admin: u.is_admin,
            joined: u.created_at.format("%Y-%m-%d").to_string(),
        })
        .collect())
}

/// Grants or revokes admin rights; the last admin can't be revoked.
#[server(endpoint = "admin/set_user_admin", output = crate::codec::Json)]
pub async fn set_user_admin(id: i32, is_admin: bool) -> Result<(), AppError> {
    use self::ssr::*;
    let (state, admin) = admin().await?;
    hype::services::users::set_admin(&state.db, admin.id, id, is_admin).await?;
    Ok(())
}

#[server(endpoint = "admin/user_ledger", output = crate::codec::Json)]
pub async fn user_ledger(id: i32) -> Result<LedgerView, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let user = hype::services::users::find_by_id(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound("No such user.".into()))?;
    ledger_view(&state, user.id, user.username).await
}

#[server(endpoint = "admin/list_audit", output = crate::codec::Json)]
pub async fn list_audit(before: Option<i32>) -> Result<Vec<AuditView>, AppError> {
    use self::ssr::*;
    let (state, _admin) = admin().await?;
    let rows = hype::services::audit::list(&state.db, before, 100).await?;
    Ok(rows
        .into_iter()
        .map(|r| AuditView {
            id: r.id,
            actor: r.actor,
            action: r.action,
            target: format!("{} #{}", r.target_table, r.target_id),
            detail: r.detail,
            at: r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
        })
        .collect())
}

#[cfg(feature = "ssr")]
pub(crate) mod ssr {
    pub use crate::api::ssr::*;
    use crate::error::AppError;
    use crate::models::{HitQuery, HitView};
    use hype::services::browse::{HitFilter, HitRow, Page};
    use hype::services::referrals::Outcome;
    use hype::web::auth::SessionUser;
    use hype::HypeState;

    /// The state and the calling admin; 401 for nobody, 403 for a non-admin.
    pub async fn admin() -> Result<(HypeState, SessionUser), AppError> {
        let state = state()?;
        let user = require_user().await?;
        if !user.is_admin {
            return Err(AppError::Forbidden);
        }
        Ok((state, user))
    }

    pub async fn decide(
        state: &HypeState,
        admin_id: i32,
        id: i32,
        action: &str,
    ) -> Result<Outcome, hype::Error> {
        use hype::services::referrals;
        match action {
            "confirm" | "confirm_override" => {
                referrals::confirm(
                    &state.db,
                    id,
                    admin_id,
                    action == "confirm_override",
                    state.config.reward_points,
                )
                .await
            }
            "reject" => referrals::reject(&state.db, id, admin_id).await,
            "unconfirm" => referrals::unconfirm(&state.db, id, admin_id).await,
            _ => Err(hype::Error::invalid(
                "The action is confirm, confirm_override, reject or unconfirm.",
            )),
        }
    }

    pub fn outcome_changed(outcome: Outcome) -> bool {
        outcome == Outcome::Changed
    }

    pub fn describe(action: &str, count: usize, changed: bool) -> String {
        let verb = match action {
            "confirm" | "confirm_override" => "confirmed",
            "reject" => "rejected",
            _ => "unconfirmed",
        };
        match (count, changed) {
            (_, false) => format!("Nothing to do: already {verb}."),
            (1, true) => format!("Referral {verb}."),
            (n, true) => format!("{n} referrals {verb}."),
        }
    }

    pub fn uuid_param(raw: &str) -> Result<uuid::Uuid, hype::Error> {
        uuid::Uuid::try_parse(raw.trim()).map_err(|_| hype::Error::invalid("That is not a hit id."))
    }

    pub fn parse_hit_query(q: &HitQuery) -> Result<(HitFilter, Page), hype::Error> {
        hype::services::browse::parse_query(|key| q.get(key))
    }

    pub fn hit_view(r: HitRow) -> HitView {
        HitView {
            id: r.id.to_string(),
            at: r.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            identifier: r.identifier,
            referrer: r.referrer,
            hit_user: r.hit_user,
            authenticated: r.authenticated,
            visitor: r.visitor_id.map(|v| v.simple().to_string()[..8].to_owned()),
            ip: r.ip.unwrap_or_default(),
            user_agent: r.user_agent,
            referer: r.http_referer,
            next: r.next,
            confirmed: r.confirmed.map(|c| c.format("%Y-%m-%d %H:%M").to_string()),
        }
    }
}

/// The forms' fields, read in the browser (see `components::post_form`).
mod from_fields {
    use super::{
        AdminCreateLink, AdminSetLinkDisabled, ConfirmHit, DecideReferral, DecideReferrals,
        SetUserAdmin,
    };
    use crate::components::post_form::{Fields, FromFields};

    impl FromFields for DecideReferral {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                action: f.text("action")?,
            })
        }
    }

    impl FromFields for DecideReferrals {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                ids: Some(f.indexed("ids")?),
                action: f.text("action")?,
            })
        }
    }

    impl FromFields for ConfirmHit {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.text("id")?,
                override_flags: match f.text("override_flags") {
                    Some(flag) => Some(flag.parse().ok()?),
                    None => None,
                },
            })
        }
    }

    impl FromFields for AdminSetLinkDisabled {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                disabled: f.parse("disabled")?,
            })
        }
    }

    impl FromFields for AdminCreateLink {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                username: f.text("username")?,
                identifier: f.text("identifier"),
                label: f.text("label"),
            })
        }
    }

    impl FromFields for SetUserAdmin {
        fn from_fields(f: &Fields) -> Option<Self> {
            Some(Self {
                id: f.parse("id")?,
                is_admin: f.parse("is_admin")?,
            })
        }
    }
}
